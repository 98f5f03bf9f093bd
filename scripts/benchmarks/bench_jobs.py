"""Job completion latency: ``job.wait()`` vs a bare python-socketio listener vs REST polling every 50 ms.

Each figure is the time from the server's completion of a queue item (its ``completed_at``) to the
moment the waiter knows, p50 over many small jobs; all watch the same jobs in the same run.

The server writes an event to the sockets of a room one after another, in the order they joined, so
the first socket to connect has a head start. Two bare listeners are used: one connected before the
SDK's socket and one after it; the SDK's figure is printed against each.
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

JOBS = 40
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


class BareListener:
    """A plain python-socketio client that notes when each item's ``completed`` event arrives."""

    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.seen: dict[int, float] = {}
        self.done: dict[int, anyio.Event] = {}

    async def connect(self, base_url: str) -> None:
        url = httpx.URL(base_url)

        async def on_status(data: dict[str, Any]) -> None:
            if data.get("status") == "completed":
                self.seen[data["item_id"]] = time.time()
                self.done.setdefault(data["item_id"], anyio.Event()).set()

        self.client.on("queue_item_status_changed", on_status)
        await self.client.connect(
            f"{url.scheme}://{url.netloc.decode()}",
            socketio_path=url.path.rstrip("/") + "/ws/socket.io",
            transports=["websocket"],
        )
        await self.client.call("subscribe_queue", {"queue_id": "default"})

    async def seen_at(self, item_id: int) -> float:
        with anyio.fail_after(10):
            await self.done.setdefault(item_id, anyio.Event()).wait()
        return self.seen[item_id]


async def main(base_url: str) -> None:
    first, last = BareListener(), BareListener()
    sdk_lat: list[float] = []
    first_lat: list[float] = []
    last_lat: list[float] = []
    poll_lat: list[float] = []
    await first.connect(base_url)
    try:
        async with AsyncInvokeAI(base_url) as ivk, httpx.AsyncClient(base_url=base_url) as raw:
            await ivk.queue.run(GRAPH, wait_timeout=60)  # warm up: features, socket, caches
            await last.connect(base_url)
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
                assert item.completed_at is not None
                finished = _server_time(item.completed_at)
                sdk_lat.append(sdk_at - finished)
                first_lat.append(await first.seen_at(job.item_id) - finished)
                last_lat.append(await last.seen_at(job.item_id) - finished)
                poll_lat.append(polled[0] - finished)
            await ivk.queue.prune()
    finally:
        await first.client.disconnect()
        await last.client.disconnect()
    report("job.wait() p50 vs bare socketio joined before it", p50(sdk_lat), p50(first_lat), goal="<= 1.1x")
    report("job.wait() p50 vs bare socketio joined after it", p50(sdk_lat), p50(last_lat), goal="<= 1.1x")
    report("REST poll 50 ms p50 vs bare socketio (before)", p50(poll_lat), p50(first_lat))
    for name, bare in (("before", first_lat), ("after", last_lat)):
        # Paired per job: the same completion seen by both, so server-side jitter cancels out.
        gaps = [s - b for s, b in zip(sdk_lat, bare, strict=True)]
        ratios = [s / b for s, b in zip(sdk_lat, bare, strict=True) if b > 0]
        label = f"job.wait() minus bare socketio ({name}), p50"
        print(f"{label:<48} {p50(gaps) * 1000:10.3f} ms   goal <= 10 ms", flush=True)
        label = f"job.wait() / bare socketio ({name}), p50 per job"
        print(f"{label:<48} {p50(ratios):10.3f}x    goal <= 1.1x", flush=True)
