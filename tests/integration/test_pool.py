"""The server pool against three real InvokeAI servers (two started here, plus the session's shared one).

The three-server fixture is session-scoped and marked ``pool`` (it runs with the rest of the
integration suite, once): starting a server costs ~15 s of CPU and ~1.5 GB. The last test kills
one of the two servers this module started, with SIGKILL, in the middle of a batch.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from PIL import Image

from invokeai_sdk.pool import AsyncInvokeAIPool, InvokeAIPool, NoServerError, PoolEvent, PoolRun
from invokeai_sdk.workflows import WorkflowDocument

from ..conftest import ServerInfo, clean_server
from ._graphs import edge

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import invokeai_server

pytestmark = pytest.mark.pool

SHIPPED = Path(__file__).resolve().parents[2] / "workflows"


@pytest.fixture(scope="session")
def three_servers(server: ServerInfo) -> Iterator[list[tuple[str, int | None]]]:
    """``(base_url, pid)`` of three servers: the shared one (pid unknown) and two started here.

    ``INVOKEAI_TEST_POOL_ROOTS`` (two roots of servers started by ``scripts/invokeai_server.py start``,
    separated by ``os.pathsep``) reuses servers across runs; the last test kills the second one.
    """
    roots = os.environ.get("INVOKEAI_TEST_POOL_ROOTS")
    if roots:
        infos = [json.loads((Path(r) / "server.json").read_text()) for r in roots.split(os.pathsep)]
        yield [(server.base_url, None), *((i["base_url"], int(i["pid"])) for i in infos)]
        return
    started = []
    try:
        for _ in range(2):
            started.append(invokeai_server.start())
        yield [(server.base_url, None), *((s.base_url, s.pid) for s in started)]
    finally:
        for s in started:
            s.stop()


@pytest.fixture
async def urls(three_servers: list[tuple[str, int | None]]) -> AsyncIterator[list[str]]:
    """The three servers' URLs, each emptied before and after the test (a killed one is skipped)."""
    alive = [url for url, pid in three_servers if pid is None or _alive(pid)]
    for url in alive:
        await anyio.to_thread.run_sync(clean_server, url)
    yield [url for url, _ in three_servers]
    for url, pid in three_servers:
        if pid is None or _alive(pid):
            await anyio.to_thread.run_sync(clean_server, url)


def _alive(pid: int) -> bool:
    """True while the process runs (a killed child not yet reaped is a zombie: dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def blur_graph(size: int = 64, blurs: int = 1) -> dict[str, Any]:
    """blank image -> ``blurs`` x blur -> save (the first blur's radius is swept by the tests)."""
    nodes: dict[str, Any] = {
        "blank": {
            "id": "blank",
            "type": "blank_image",
            "width": size,
            "height": size,
            "mode": "RGB",
            "color": {"r": 10, "g": 120, "b": 200, "a": 255},
            "is_intermediate": True,
        },
        "save": {"id": "save", "type": "save_image", "is_intermediate": False, "use_cache": False},
    }
    edges, previous = [], "blank"
    for i in range(blurs):
        node = "blur" if i == 0 else f"blur{i}"
        nodes[node] = {
            "id": node,
            "type": "img_blur",
            "radius": 2,
            "blur_type": "gaussian",
            "is_intermediate": True,
            "use_cache": False,
        }
        edges.append(edge(previous, "image", node, "image"))
        previous = node
    edges.append(edge(previous, "image", "save", "image"))
    return {"nodes": nodes, "edges": edges}


def radii(n: int) -> list[list[dict[str, Any]]]:
    return [[{"node_path": "blur", "field_name": "radius", "items": [float(r) for r in range(1, n + 1)]}]]


async def test_a_sweep_spreads_over_three_servers_and_downloads_into_one_folder(
    urls: list[str], tmp_path: Path
) -> None:
    async with AsyncInvokeAIPool(urls, poll_interval=0.1) as pool:
        missing = {"key": "no-such-key", "hash": "x", "name": "no-such-model", "base": "sd-1", "type": "main"}
        with pytest.raises(NoServerError, match="lacks no-such-model"):  # checked against models.list()
            await pool.enqueue({"nodes": {"m": {"id": "m", "type": "main_model_loader", "model": missing}}})
        # the processors wait until the event stream is up, so that it sees every item from the start
        await _processors(urls, "pause")
        run = await pool.enqueue(blur_graph(), data=radii(12))
        events: list[PoolEvent] = []

        async def collect() -> None:
            events.extend([e async for e in run.events()])

        async with anyio.create_task_group() as tg:
            tg.start_soon(collect)
            await anyio.sleep(2)
            await _processors(urls, "resume")
            assert await run.wait(wait_timeout=180) == ["completed"] * 12
        status = run.status()
        assert status.completed == 12 and set(status.per_server) == set(urls)  # every server ran some
        results = await run.results()
        # item i is the i-th sweep value, whichever server ran it
        assert [r.session["graph"]["nodes"]["blur"]["radius"] for r in results] == [
            float(r) for r in range(1, 13)
        ]
        images = await run.images()
        assert len(images) == 12 and {i.server for i in images} == set(urls)
        paths = await run.download_images(tmp_path)
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(i.image_name for i in images)  # noqa: ASYNC240
        assert all(_size(p) == (64, 64) for p in paths)
        done = {
            (e.server, getattr(e.event, "item_id", None))
            for e in events
            if getattr(e.event, "status", None) == "completed"
        }
        assert done == {(job.server, job.item_id) for job in run.jobs}  # events tagged with their server
        # each server holds exactly its own items, one per sweep value, under the run's origin
        for url in urls:
            async with httpx.AsyncClient(base_url=url, timeout=60) as http:
                items = (await http.get("/api/v1/queue/default/list_all")).json()
            mine = [i for i in items if i["origin"] == run.origin]
            assert len(mine) == status.per_server[url]


async def _processors(urls: list[str], verb: str) -> None:
    for url in urls:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            (await http.put(f"/api/v1/queue/default/processor/{verb}")).raise_for_status()


def _size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 150), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_workflow_uploads_its_image_to_every_server_that_runs_it(urls: list[str], tmp_path: Path) -> None:
    wf = WorkflowDocument.load(SHIPPED / "resize-and-crop.json")
    wf.inputs["Image"] = _png()
    with InvokeAIPool(urls, poll_interval=0.1) as pool:  # the sync twin
        run = pool.enqueue_workflow(wf, runs=9)
        assert run.wait(wait_timeout=180) == ["completed"] * 9
        assert set(run.status().per_server) == set(urls)
        paths = run.download_images(tmp_path)
    assert len(paths) == 9 and all(_size(p) == (96, 96) for p in paths)
    for url in urls:  # the source image was uploaded to each server (it appears in its gallery)
        names = httpx.get(f"{url}/api/v1/images/names", params={"is_intermediate": False}, timeout=60).json()[
            "image_names"
        ]
        assert len(names) >= 2


def _render(actor: Any, first: int) -> list[tuple[str, float]]:
    """A pipeline stage run as a Ray task: three images through the pool actor, then post-processing."""
    import ray

    outputs = ray.get(
        actor.run.remote(
            blur_graph(),
            data=[
                [{"node_path": "blur", "field_name": "radius", "items": [float(first + i) for i in range(3)]}]
            ],
        )
    )
    return [(o["save"][0]["image"]["image_name"], float(first)) for o in outputs]


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::ResourceWarning")
def test_ray_tasks_feed_and_drain_the_servers_through_one_pool_actor(urls: list[str], tmp_path: Path) -> None:
    import ray

    from invokeai_sdk.pool.ray import pool_actor

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        actor = pool_actor(urls, poll_interval=0.1)
        render = ray.remote(_render)
        stages = ray.get([render.remote(actor, first) for first in (1, 4, 7, 10)])
        names = [name for stage in stages for name, _ in stage]
        assert len(names) == len(set(names)) == 12
        info = ray.get(actor.servers.remote())
        assert sum(i["completed"] for i in info) == 12
        assert sum(i["completed"] > 0 for i in info) >= 2  # four tasks at once: the work spread out
        run_id = ray.get(actor.submit.remote(blur_graph(), data=radii(3)))
        assert ray.get(actor.wait.remote(run_id, timeout=120)) == ["completed"] * 3
        assert ray.get(actor.status.remote(run_id))["completed"] == 3
        paths = ray.get(actor.download_images.remote(run_id, str(tmp_path)))
        assert len(paths) == 3 and all(Path(p).is_file() for p in paths)
        ray.get(actor.close.remote())
    finally:
        ray.shutdown()


def _ready_to_kill(pool: AsyncInvokeAIPool, run: PoolRun, victim: str) -> bool:
    """The victim finished an item and holds more."""
    held = next(i for i in pool.server_info() if i.name == victim).in_flight
    return run.status().per_server.get(victim, 0) >= 1 and held >= 1


async def test_a_server_killed_mid_batch_loses_and_duplicates_nothing(
    urls: list[str], three_servers: list[tuple[str, int | None]]
) -> None:
    victim_url, victim_pid = three_servers[2]
    assert victim_pid is not None
    n = 18
    async with AsyncInvokeAIPool(urls, poll_interval=0.1, reassign_after=2.0, probe_interval=0.5) as pool:
        run = await pool.enqueue(blur_graph(size=768, blurs=3), data=radii(n))
        with anyio.fail_after(120):  # kill it once it finished one item and holds more
            while not _ready_to_kill(pool, run, victim_url):  # noqa: ASYNC110  (polls the pool's own snapshot)
                await anyio.sleep(0.05)
        os.kill(victim_pid, signal.SIGKILL)
        assert await run.wait(wait_timeout=300) == ["completed"] * n
        assert pool.reassigned >= 1
        assert not next(i for i in pool.server_info() if i.name == victim_url).up
        accepted = [(job.server, job.item_id) for job in run.jobs]
        assert len(set(accepted)) == n  # one result per item, none shared
        survivors = [u for u in urls if u != victim_url]
        ran = Counter()
        for url in survivors:
            async with httpx.AsyncClient(base_url=url, timeout=60) as http:
                items = (await http.get("/api/v1/queue/default/list_all")).json()
            for item in items:
                if item["origin"] == run.origin:
                    assert item["status"] == "completed"
                    ran[int(item["batch_id"].split(":")[-2])] += 1
        # every item not settled on the victim before it died ran exactly once on a survivor
        on_victim = {job.index for job in run.jobs if job.server == victim_url}
        assert set(ran) == set(range(n)) - on_victim
        assert set(ran.values()) == {1}
        moved = [job for job in run.jobs if len(job.attempts) > 1]
        assert moved and all(job.attempts[0][0] == victim_url for job in moved)
        # the outputs of every item that ran on a survivor are there to read
        outputs = [await job.outputs() for job in run.jobs if job.server != victim_url]
        assert len(outputs) == n - len(on_victim) and all("save" in o for o in outputs)
