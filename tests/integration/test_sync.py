"""The sync facade ``InvokeAI`` against the real server: every namespace, pages, jobs, events, threads."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from invokeai_sdk import (
    GraphValidationError,
    InvokeAI,
    NotFoundError,
    SyncBatchHandle,
    SyncEventStream,
    SyncJobHandle,
    SyncPage,
)
from invokeai_sdk.events import Event, QueueItemStatusChangedEvent

from ._graphs import image_to_board, math

ROOT = Path(__file__).resolve().parents[2]


def _png(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def sync_ivk(clean: object) -> Iterator[InvokeAI]:
    """A sync client on the (emptied) test server."""
    base_url = clean.base_url
    with InvokeAI(base_url) as ivk:
        yield ivk
    assert ivk.is_closed


def test_one_call_per_namespace(sync_ivk: InvokeAI) -> None:
    ivk = sync_ivk
    assert ivk.app.version() >= "6.0"
    assert ivk.app.health().ok
    assert ivk.auth.status().multiuser_enabled is False
    board = ivk.boards.create("sync-board")
    assert ivk.boards.get(board.board_id).board_name == "sync-board"
    image = ivk.images.upload(_png((200, 10, 10)), board=board)
    assert ivk.images.get(image.image_name).board_id == board.board_id
    assert ivk.images.download(image.image_name)[:8] == b"\x89PNG\r\n\x1a\n"
    videos = ivk.videos.list(limit=5).first_page()
    assert isinstance(videos, SyncPage) and videos.items == []
    assert ivk.models.list().first_page().items == []
    assert ivk.models.hf.status() == "invalid"  # the nested namespace; no token on the test server
    assert ivk.workflows.list(per_page=5).first_page().total is not None
    assert ivk.queue.status().queue.pending == 0
    with ivk.events.subscribe() as stream:
        assert isinstance(stream, SyncEventStream)
        assert ivk.events.connected
    with ivk.events.subscribe() as stream:  # entered and left again: the last one was unwound
        assert isinstance(stream, SyncEventStream)
    with pytest.raises(NotFoundError):
        ivk.images.get("no-such-image.png")


def test_plain_for_loop_walks_every_page(sync_ivk: InvokeAI) -> None:
    uploaded = {sync_ivk.images.upload(_png((i * 40, 0, 0))).image_name for i in range(5)}
    seen = [image.image_name for image in sync_ivk.images.list(limit=2)]
    assert len(seen) == 5 and set(seen) == uploaded
    pages = list(sync_ivk.images.list(limit=2).first_page().iter_pages())
    assert [len(page) for page in pages] == [2, 2, 1]
    assert sync_ivk.images.list(limit=2).to_list() == sync_ivk.images.list(limit=10).first_page().items


def test_enqueue_and_wait_for_a_job(sync_ivk: InvokeAI) -> None:
    batch = sync_ivk.queue.enqueue(math(2, 40))
    job = batch.jobs[0]
    assert isinstance(job, SyncJobHandle)
    assert [type(j) for j in batch] == [SyncJobHandle]
    assert job.wait(wait_timeout=60) == "completed"
    outputs = job.outputs()
    assert any(out.get("value") == 42 for outs in outputs.values() for out in outs)


def test_workflow_run_and_wait(sync_ivk: InvokeAI) -> None:
    board = sync_ivk.boards.create("sync-wf")
    wf = sync_ivk.workflows.load(ROOT / "workflows" / "blur-to-board.json")
    batch = sync_ivk.workflows.run(wf, board=board, sweep={"Width": [40, 56]})
    assert batch.wait(wait_timeout=90) == ["completed", "completed"]
    widths = {sync_ivk.images.get(job.images()[0]).width for job in batch.jobs}
    assert widths == {40, 56}
    assert isinstance(batch, SyncBatchHandle) and batch.labels["Output"] == ["save"]
    assert [o.images("Output") for o in batch.outputs()] == [job.outputs().images("save") for job in batch]


def test_iterating_an_event_stream(sync_ivk: InvokeAI) -> None:
    statuses: list[str | None] = []
    seen: list[Event] = []
    done = threading.Event()

    def listen() -> None:
        with sync_ivk.events.subscribe(types=[QueueItemStatusChangedEvent]) as stream:
            ready.set()
            for event in stream:
                seen.append(event)
                assert isinstance(event, QueueItemStatusChangedEvent)
                statuses.append(event.status)
                if event.status in ("completed", "failed", "canceled"):
                    break
        done.set()

    ready = threading.Event()
    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert ready.wait(30)
    batch = sync_ivk.queue.enqueue(image_to_board())
    assert batch.jobs[0].wait(wait_timeout=60) == "completed"
    assert done.wait(30), f"no terminal event; saw {statuses}"
    assert statuses[-1] == "completed" and "in_progress" in statuses
    assert all(getattr(e, "item_id", None) == batch.item_ids[0] for e in seen)


def test_eight_threads_share_one_client(sync_ivk: InvokeAI) -> None:
    for i in range(3):
        sync_ivk.images.upload(_png((0, i * 60, 0)))

    def work(n: int) -> tuple[str, int, int]:
        version = str(sync_ivk.app.version())
        count = sum(1 for _ in sync_ivk.images.list(limit=2))
        board = sync_ivk.boards.create(f"thread-{n}")
        return version, count, len(sync_ivk.boards.get(board.board_id).board_name)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    assert {r[1] for r in results} == {3}
    assert len({r[0] for r in results}) == 1
    assert len(sync_ivk.boards.list().to_list()) == 8


def test_graph_built_checked_and_run_with_the_sync_client(sync_ivk: InvokeAI) -> None:
    nodes = sync_ivk.graphs.nodes()
    g = nodes.graph()
    a = g.add(nodes.integer(value=2))
    g.add(nodes.add(a=a.value, b=40, use_cache=False), id="sum")
    assert sync_ivk.graphs.validate(g).ok
    assert sync_ivk.queue.run(g, wait_timeout=60)["sum"][0]["value"] == 42
    g["sum"].set(b="forty")
    with pytest.raises(GraphValidationError, match="'sum'"):
        sync_ivk.queue.enqueue(g)
