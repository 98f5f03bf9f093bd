"""The compatibility scenario: every namespace, waits, events, workflows and the sync facade.

Marked ``compat``: ``nox -s compat -- 5.15.0 6.8.1 6.14.2-unpinned`` runs it against each named
release (CI runs three of them). Where a release lacks an API, the test expects
:class:`FeatureNotSupportedError` naming the release that brought it; nothing is skipped.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from packaging.version import Version
from PIL import Image

from invokeai_sdk import (
    APIStatusError,
    AsyncInvokeAI,
    FeatureNotSupportedError,
    InvokeAI,
    JobCanceledError,
    JobFailedError,
)
from invokeai_sdk.events import QueueItemStatusChangedEvent
from invokeai_sdk.workflows import WorkflowDocument

from ..conftest import ServerInfo
from ._graphs import fail_missing_image, image_to_board, math, slow_chain

pytestmark = pytest.mark.compat

SHIPPED = Path(__file__).resolve().parents[2] / "workflows"

# What each release lacks, read from the /openapi.json of every tested release (not from the SDK's
# own table): the call, and the first tested release that answers it.
GAPS: dict[str, tuple[str, Callable[[AsyncInvokeAI], Awaitable[Any]]]] = {
    "queue.delete": ("6.3.0", lambda ivk: ivk.queue.delete(10**9)),
    "queue.delete_destination": ("6.3.0", lambda ivk: ivk.queue.delete_destination("compat-none")),
    "images.names": ("6.3.0", lambda ivk: ivk.images.names()),
    "workflows.tags": ("6.11.1", lambda ivk: ivk.workflows.tags()),
    "models.missing": ("6.12.0", lambda ivk: ivk.models.missing()),
    "models.get_by_hash": ("6.12.0", lambda ivk: ivk.models.get_by_hash("blake3:0")),
    "videos.names": ("6.14.2", lambda ivk: ivk.videos.names()),
    "auth.login": ("6.12.0", lambda ivk: ivk.auth.login("nobody@example.com", "not-a-password")),
    "models.delete_many": ("6.11.1", lambda ivk: ivk.models.delete_many(["no-such-key"])),
}


def _png(color: tuple[int, int, int], width: int = 16) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, 12), color).save(buffer, format="PNG")
    return buffer.getvalue()


async def _version(ivk: AsyncInvokeAI) -> Version:
    return Version((await ivk.app.version()).version)


async def test_boards_images_and_zip(ivk: AsyncInvokeAI, tmp_path: Path) -> None:
    board = await ivk.boards.create("compat-board")
    assert board.board_name == "compat-board"
    assert [b.board_id async for b in ivk.boards.list()] == [board.board_id]
    image = await ivk.images.upload(_png((200, 10, 10)), board=board)
    other = await ivk.images.upload(_png((10, 200, 10), width=20))
    assert (await ivk.images.get(image.image_name)).board_id == board.board_id
    assert await ivk.boards.image_names(board) == [image.image_name]
    await ivk.boards.add_images(board, [other.image_name])
    assert sorted(await ivk.boards.image_names(board)) == sorted([image.image_name, other.image_name])
    assert (await ivk.images.download(other.image_name))[:8] == b"\x89PNG\r\n\x1a\n"
    result = await ivk.images.bulk_download(board=board, to=tmp_path, wait_timeout=60)
    with zipfile.ZipFile(result.path) as archive:
        assert len(archive.namelist()) == 2
    deleted = await ivk.images.delete(other.image_name)
    assert deleted.deleted_images == [other.image_name]
    assert await ivk.boards.image_names(board) == [image.image_name]
    await ivk.boards.delete(board, include_images=True)
    assert [b async for b in ivk.boards.list()] == []


async def test_enqueue_wait_outputs_and_every_queue_read(ivk: AsyncInvokeAI) -> None:
    batch = await ivk.queue.enqueue(image_to_board(), runs=2)
    assert len(batch.item_ids) == 2
    assert await batch.wait(wait_timeout=120) == ["completed", "completed"]
    outputs = await batch.outputs()
    assert [len(o["save"]) for o in outputs] == [1, 1]
    names = await batch.jobs[0].images()
    assert names == [outputs[0]["save"][0]["image"]["image_name"]]
    first, second = batch.item_ids
    missing = second + 1000
    items = await ivk.queue.items_by_ids([second, missing, first])
    assert [i.item_id for i in items] == [second, first] and all(i.session for i in items)
    summaries = await ivk.queue.summaries([first, missing, second])
    assert [(s.item_id, s.status, s.batch_id) for s in summaries] == [
        (first, "completed", batch.batch_id),
        (second, "completed", batch.batch_id),
    ]
    assert sorted(i.item_id for i in await ivk.queue.list_all()) == [first, second]
    # Items of one batch share a creation time: their order among themselves is the server's.
    listed = [item async for item in ivk.queue.list(limit=1)]
    assert sorted(i.item_id for i in listed) == [first, second]
    oldest = await ivk.queue.list(order="asc", limit=1)
    assert len(oldest.items) == 1 and oldest.total == 2
    assert (await ivk.queue.get(first)).status == "completed"
    status = await ivk.queue.batch_status(batch.batch_id)
    assert status.completed == 2


async def test_failed_and_canceled_jobs(ivk: AsyncInvokeAI) -> None:
    failing = await ivk.queue.enqueue(fail_missing_image())
    with pytest.raises(JobFailedError) as failed:
        await failing.jobs[0].wait(wait_timeout=60)
    assert failed.value.error_type and failed.value.item_id == failing.item_ids[0]
    await ivk.queue.pause()
    try:
        slow = await ivk.queue.enqueue(slow_chain())
        await slow.jobs[0].cancel()
    finally:
        await ivk.queue.resume()
    with pytest.raises(JobCanceledError):
        await slow.jobs[0].wait(wait_timeout=60)


async def test_ten_concurrent_waits(ivk: AsyncInvokeAI) -> None:
    # Enqueued while the queue is paused: 5.15's enqueue shares one database connection with the thread
    # running the items, and an enqueue racing an item's commit can fail there (a server bug; what the
    # SDK makes of its 500 is tested in test_enqueue_exactly_once.py). The waits are what is tested here.
    await ivk.queue.pause()
    try:
        batches = [await ivk.queue.enqueue(math(n, n)) for n in range(10)]
    finally:
        await ivk.queue.resume()
    results: dict[int, list[str]] = {}

    async def wait(n: int) -> None:
        results[n] = await batches[n].wait(wait_timeout=120)

    async with anyio.create_task_group() as group:
        for n in range(10):
            group.start_soon(wait, n)
    assert results == {n: ["completed"] for n in range(10)}
    sums = [(await b.jobs[0].outputs())["sum"][0]["value"] for b in batches]
    assert sums == [2 * n for n in range(10)]


async def test_event_stream_sees_each_status_once(ivk: AsyncInvokeAI) -> None:
    async with ivk.events.subscribe(types=[QueueItemStatusChangedEvent]) as stream:
        batch = await ivk.queue.enqueue(math(2, 3))
        seen: list[str] = []
        with anyio.fail_after(60):
            async for event in stream:
                assert isinstance(event, QueueItemStatusChangedEvent)
                if event.item_id == batch.item_ids[0]:
                    seen.append(event.status)
                if event.status == "completed":
                    break
    assert seen == ["in_progress", "completed"]


async def test_gui_workflow_run_and_the_library(ivk: AsyncInvokeAI) -> None:
    run = await ivk.workflows.run(str(SHIPPED / "blur-to-board.json"), board="none")
    assert await run.wait(wait_timeout=60) == ["completed"]
    image = (await run[0].outputs()).images("Output")
    assert len(image) == 1 and (await ivk.images.get(image[0])).image_name == image[0]
    document = WorkflowDocument.load(SHIPPED / "blur-to-board.json").set(Width=40)
    created = await ivk.workflows.create(document)
    assert (await ivk.workflows.get(created.workflow_id)).name == created.name
    assert created.workflow_id in [w.workflow_id async for w in ivk.workflows.list(categories="user")]
    await ivk.workflows.delete(created.workflow_id)
    assert [w async for w in ivk.workflows.list(categories="user")] == []
    assert [w async for w in ivk.workflows.list(categories="default")]


async def test_models_and_app(ivk: AsyncInvokeAI) -> None:
    assert [m async for m in ivk.models.list()] == []
    assert (await ivk.app.health()).ok
    features = await ivk.app.features()
    assert features.has_invocation("blank_image")
    assert (await ivk.auth.status()).multiuser_enabled is False
    # A 204 reply (the unpinned 6.14 server turns it into a 500 for clients that accept gzip).
    await ivk.models.prune_install_jobs()
    assert await ivk.models.install_jobs() == []


@pytest.mark.parametrize("name", sorted(GAPS))
async def test_a_missing_api_raises_feature_not_supported_naming_the_release(
    ivk: AsyncInvokeAI, name: str
) -> None:
    since, call = GAPS[name]
    version = await _version(ivk)
    if version < Version(since):
        with pytest.raises(FeatureNotSupportedError) as info:
            await call(ivk)
        assert info.value.added_in == since
        assert f"InvokeAI {since} and later" in str(info.value) and str(version) in str(info.value)
    else:
        refusal: APIStatusError | None = None
        try:
            await call(ivk)
        except APIStatusError as exc:  # the route is there: "no such item", "bad password" are answers
            refusal = exc
        assert refusal is None or (refusal.status_code != 405 and refusal.detail != "Not Found"), refusal


async def test_board_creation_answered_with_500_still_returns_the_board(ivk: AsyncInvokeAI) -> None:
    """6.10-6.11 create the board, then answer 500; the SDK finds the board it made."""
    version = await _version(ivk)
    async with httpx.AsyncClient(base_url=ivk.base_url, timeout=30) as http:
        raw = await http.post("/api/v1/boards/", params={"board_name": "compat-raw"})
    assert raw.status_code == (500 if Version("6.10") <= version < Version("6.12") else 201), raw.text
    board = await ivk.boards.create("compat-raw")
    assert board.board_name == "compat-raw"
    boards = [b async for b in ivk.boards.list()]
    assert sorted(b.board_name for b in boards) == ["compat-raw", "compat-raw"]
    assert board.board_id in [b.board_id for b in boards]


def test_sync_facade_tour(clean: ServerInfo) -> None:
    with InvokeAI(clean.base_url) as ivk:
        board = ivk.boards.create("compat-sync")
        uploaded = ivk.images.upload(_png((1, 2, 3)), board=board)
        assert ivk.boards.image_names(board) == [uploaded.image_name]
        assert ivk.images.delete(uploaded.image_name).deleted_images == [uploaded.image_name]
        batch = ivk.queue.enqueue(image_to_board(board.board_id))
        assert batch.wait(wait_timeout=60) == ["completed"]
        names = batch.jobs[0].images()
        assert ivk.boards.image_names(board) == names
        assert ivk.queue.run(math(4, 5))["sum"][0]["value"] == 9
        ivk.boards.delete(board, include_images=True)


def test_no_reply_asks_for_gzip_and_the_server_agrees(clean: ServerInfo) -> None:
    """The raw server: a 204 asked for without gzip works on every release, the SDK's way."""
    with httpx.Client(base_url=clean.base_url, timeout=30) as http:
        reply = http.request("DELETE", "/api/v2/models/install", headers={"Accept-Encoding": "identity"})
    assert reply.status_code in (200, 204), reply.text
    assert json.loads(reply.content or b"null") is None
