"""Job completion latency: ``job.wait()`` vs a bare python-socketio listener vs REST polling every 50 ms.

Each figure is the time from the server's completion of a queue item (its ``completed_at``) to the
moment the waiter knows, p50 over many small jobs; all three watch the same jobs in the same run.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import anyio
import httpx
import socketio
from _common import p50, report

from invokeai_sdk import AsyncInvokeAI

JOBS = 30
GRAPH: dict[str, Any] = {
    "nodes": {
        "a": {"id": "a", "type": "integer", "value": 1},
        "b": {"id": "b", "type": "integer", "value": 2},
        "sum": {"id": "sum", "type": "add", "use_cache": False},
    },
    "edges": [
        {"source": {"node_id": "a", "field": "value"}, "destination": {"node_id": "sum", "field": "a"}},
        {"source": {"node_id": "b", "field": "value"}, "destination": {"node_id": "sum", "field": "b"}},
    ],
}


def _server_time(text: str) -> float:
    """The server's ``completed_at`` ("2026-11-22 05:24:18.505", UTC) as epoch seconds."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp()


async def main(base_url: str) -> None:
    url = httpx.URL(base_url)
    bare_seen: dict[int, float] = {}
    bare_done: dict[int, anyio.Event] = {}
    bare = socketio.AsyncClient(reconnection=False)

    @bare.on("queue_item_status_changed")  # type: ignore[untyped-decorator,misc]
    async def on_status(data: dict[str, Any]) -> None:
        if data.get("status") == "completed":
            bare_seen[data["item_id"]] = time.time()
            bare_done.setdefault(data["item_id"], anyio.Event()).set()

    await bare.connect(
        f"{url.scheme}://{url.netloc.decode()}",
        socketio_path=url.path.rstrip("/") + "/ws/socket.io",
        transports=["websocket"],
    )
    await bare.call("subscribe_queue", {"queue_id": "default"})
    sdk_lat: list[float] = []
    bare_lat: list[float] = []
    poll_lat: list[float] = []
    try:
        async with AsyncInvokeAI(base_url) as ivk, httpx.AsyncClient(base_url=base_url) as raw:
            await ivk.queue.run(GRAPH, wait_timeout=60)  # warm up: features, socket, caches
            for _ in range(JOBS):
                batch = await ivk.queue.enqueue(GRAPH)
                job = batch.jobs[0]
                polled: list[float] = []

                async def poll(item_id: int = job.item_id, out: list[float] = polled) -> None:
                    while True:
                        response = await raw.get(f"/api/v1/queue/default/i/{item_id}")
                        if response.json()["status"] == "completed":
                            out.append(time.time())
                            return
                        await anyio.sleep(0.05)

                async with anyio.create_task_group() as tg:
                    tg.start_soon(poll)
                    await job.wait(timeout=60)
                    sdk_at = time.time()
                item = await ivk.queue.get(job.item_id)
                done = bare_done.setdefault(job.item_id, anyio.Event())
                with anyio.fail_after(10):
                    await done.wait()
                assert item.completed_at is not None
                finished = _server_time(item.completed_at)
                sdk_lat.append(sdk_at - finished)
                bare_lat.append(bare_seen[job.item_id] - finished)
                poll_lat.append(polled[0] - finished)
            await ivk.queue.prune()
    finally:
        await bare.disconnect()
    base = p50(bare_lat)
    report("job.wait() after completion, p50 vs bare socketio", p50(sdk_lat), base, goal="<= 1.1x")
    report("REST poll 50 ms after completion, p50 vs bare socketio", p50(poll_lat), base)
    gaps = [s - b for s, b in zip(sdk_lat, bare_lat, strict=True)]
    print(
        f"{'job.wait() minus bare socketio, p50':<48} {p50(gaps) * 1000:10.3f} ms   goal <= 10 ms", flush=True
    )
