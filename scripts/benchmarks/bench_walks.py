"""A full walk of a 5,000-image gallery: the SDK (async and sync) against raw httpx paging by 1,000.

Goal: each walk at most 1.1x the raw walk. The raw baseline pages by the server's largest page and
only decodes JSON; the SDK also validates every item into an ``ImageDTO``. Walks take turns, so drift
on a shared machine falls on each alike.
"""

from __future__ import annotations

import io
import time

import anyio
import anyio.to_thread
import httpx
from _common import p50, report

from invokeai_sdk import AsyncInvokeAI, InvokeAI

IMAGES = 5000
ROUNDS = 7
GOAL = 1.1


def _png(i: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (i % 256, (i // 256) % 256, 7)).save(buffer, format="PNG")
    return buffer.getvalue()


async def _fill(ivk: AsyncInvokeAI, board_id: str, count: int) -> None:
    limiter = anyio.Semaphore(8)

    async def one(i: int) -> None:
        async with limiter:
            await ivk.images.upload(_png(i), board=board_id)

    async with anyio.create_task_group() as group:
        for i in range(count):
            group.start_soon(one, i)


async def _raw_walk(http: httpx.AsyncClient, params: dict[str, object]) -> int:
    offset, seen = 0, 0
    while True:
        reply = await http.get("/api/v1/images/", params={**params, "offset": offset, "limit": 1000})
        reply.raise_for_status()
        data = reply.json()
        seen += len(data["items"])
        offset += len(data["items"])
        if not data["items"] or offset >= data["total"]:
            return seen


def _verdict(name: str, value: float, baseline: float) -> None:
    report(f"{name} p50 vs raw httpx", value, baseline, goal=f"<= {GOAL}x")
    print(f"  {name}: {'MET' if value / baseline <= GOAL else 'NOT MET'}", flush=True)


async def main(base_url: str) -> None:
    async with AsyncInvokeAI(base_url) as ivk, httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        board = await ivk.boards.create("bench-walks")
        try:
            started = time.perf_counter()
            await _fill(ivk, board.board_id, IMAGES)
            print(f"uploaded {IMAGES} images in {time.perf_counter() - started:.1f} s", flush=True)
            sync = InvokeAI(base_url)
            try:
                for scope, params in (("board", {"board_id": board.board_id}), ("gallery", {})):
                    walks: dict[str, list[float]] = {"raw": [], "async": [], "sync": []}
                    for _ in range(ROUNDS):
                        t = time.perf_counter()
                        raw = await _raw_walk(http, params)
                        walks["raw"].append(time.perf_counter() - t)
                        t = time.perf_counter()
                        if scope == "board":
                            items = [i async for i in ivk.images.list(board=board)]
                        else:
                            items = [i async for i in ivk.images.list()]
                        walks["async"].append(time.perf_counter() - t)

                        def sync_walk(scope: str = scope, samples: list[float] = walks["sync"]) -> int:
                            started = time.perf_counter()
                            listing = (
                                sync.images.list(board=board.board_id)
                                if scope == "board"
                                else sync.images.list()
                            )
                            count = sum(1 for _ in listing)
                            samples.append(time.perf_counter() - started)
                            return count

                        counted = await anyio.to_thread.run_sync(sync_walk)
                        assert raw == len(items) == counted >= IMAGES, (raw, len(items), counted)
                    baseline = p50(walks["raw"])
                    print(f"-- full walk of the {scope} ({raw} images), {ROUNDS} rounds each", flush=True)
                    _verdict(f"async walk ({scope})", p50(walks["async"]), baseline)
                    _verdict(f"sync walk ({scope})", p50(walks["sync"]), baseline)
            finally:
                await anyio.to_thread.run_sync(sync.close)
        finally:
            await ivk.boards.delete(board, include_images=True)
