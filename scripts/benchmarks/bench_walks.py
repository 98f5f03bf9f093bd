"""A full walk of a 5,000-image gallery: the SDK (async and sync) against raw httpx paging by 1,000.

Goal: each walk at most 1.1x the raw walk. The raw baseline pages by the server's largest page and
only decodes JSON; the SDK also validates every item into an ``ImageDTO``. Walks take turns, in an
order reversed every round, so drift in the server (most of a walk's time) falls on each alike. The
verdict is the p50 of each round's ratio (the SDK's walk over the raw walk of the same round), so
that the server's slower and faster spells cancel out; the ratio of the two p50s is printed too. The
client's own CPU time per walk (every thread of this process) is printed beside: it is what the SDK
adds, without the server's noise.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import anyio
import anyio.to_thread
import httpx
from _common import p50, report

from invokeai_sdk import AsyncInvokeAI, InvokeAI

IMAGES = 5000
ROUNDS = 21
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


def _verdict(name: str, walls: list[float], raw: list[float], cpu: float, cpu_baseline: float) -> None:
    paired = p50([walk / base for walk, base in zip(walls, raw, strict=True)])
    report(f"{name} p50 vs raw httpx", p50(walls), p50(raw))
    print(f"  p50 of each round's ratio: {paired:.3f}x   goal <= {GOAL}x", flush=True)
    report("  client CPU p50 vs raw httpx's", cpu, cpu_baseline)
    print(f"  {name}: {'MET' if paired <= GOAL else 'NOT MET'}", flush=True)


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
                    walls: dict[str, list[float]] = {"raw": [], "async": [], "sync": []}
                    cpus: dict[str, list[float]] = {"raw": [], "async": [], "sync": []}
                    counts: dict[str, int] = {}

                    async def raw_walk(params: dict[str, object] = params) -> int:
                        return await _raw_walk(http, params)

                    async def async_walk(scope: str = scope) -> int:
                        listing = ivk.images.list(board=board) if scope == "board" else ivk.images.list()
                        return sum([1 async for _ in listing])

                    def sync_walk(scope: str = scope) -> int:
                        listing = (
                            sync.images.list(board=board.board_id) if scope == "board" else sync.images.list()
                        )
                        return sum(1 for _ in listing)

                    async def sync_in_thread(walk: Callable[[], int] = sync_walk) -> int:
                        return await anyio.to_thread.run_sync(walk)

                    contenders = {"raw": raw_walk, "async": async_walk, "sync": sync_in_thread}
                    for round_ in range(ROUNDS):
                        for name in list(contenders)[:: 1 if round_ % 2 == 0 else -1]:
                            wall, cpu = time.perf_counter(), time.process_time()
                            counts[name] = await contenders[name]()
                            walls[name].append(time.perf_counter() - wall)
                            cpus[name].append(time.process_time() - cpu)
                        assert counts["raw"] == counts["async"] == counts["sync"] >= IMAGES, counts
                    print(
                        f"-- full walk of the {scope} ({counts['raw']} images), {ROUNDS} rounds each",
                        flush=True,
                    )
                    for name in ("async", "sync"):
                        _verdict(
                            f"{name} walk ({scope})",
                            walls[name],
                            walls["raw"],
                            p50(cpus[name]),
                            p50(cpus["raw"]),
                        )
            finally:
                await anyio.to_thread.run_sync(sync.close)
        finally:
            await ivk.boards.delete(board, include_images=True)
