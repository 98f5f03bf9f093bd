"""The added cost of the sync facade (``InvokeAI``) over the async path it runs on.

Each sync figure is measured from a worker thread (a sync caller has no running loop) and compared
with the same call awaited on ``AsyncInvokeAI`` in the same run. The pure runtime hop is also
measured on a no-op coroutine. The verdict is the median of each sync call's time minus the async
call's just before it (the p50 of the added cost per call); the difference of the two medians is
printed too.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

import anyio
from _common import p50, report, timed

from invokeai_sdk import AsyncInvokeAI, InvokeAI
from invokeai_sdk._sync import runtime

GOAL_ADDED_MS = 0.25


def verdict(what: str, added: float) -> None:
    """Print whether an added p50 cost (seconds) meets the goal: a line of text, not an assertion."""
    met = "MET" if added <= GOAL_ADDED_MS / 1000 else "NOT MET"
    print(f"  {what}: {added * 1000:+.3f} ms -> {GOAL_ADDED_MS} ms p50 goal {met}", flush=True)


def _timed_sync(fn: Callable[[], object], *, repeat: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def _png(i: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (i % 256, (i * 7) % 256, 3)).save(buffer, format="PNG")
    return buffer.getvalue()


async def main(base_url: str) -> None:
    async def noop() -> None:
        return None

    direct = p50(await timed(noop, repeat=2000))
    hop = p50(await anyio.to_thread.run_sync(lambda: _timed_sync(lambda: runtime.call(noop), repeat=2000)))
    report("runtime.call(no-op) p50 vs await no-op", hop, direct)
    report("  added cost of one sync hop (vs 0.25 ms goal)", hop - direct, GOAL_ADDED_MS / 1000, goal="<= 1x")
    verdict("sync hop overhead p50 (no-op)", hop - direct)

    async with AsyncInvokeAI(base_url) as aivk:
        sivk = InvokeAI(base_url)
        try:
            same = sivk._target  # the async session the sync client drives, on the private loop

            def compare(
                name: str, sync_call: Callable[[], object], async_call: Callable[[], Any], n: int
            ) -> None:
                async_samples: list[float] = []
                sync_samples: list[float] = []
                _timed_sync(sync_call, repeat=0)  # warm up both paths
                for _ in range(n):  # call by call, so drift on a shared machine hits both alike
                    async_samples += runtime.call(timed, async_call, repeat=1, warmup=0)
                    sync_samples += _timed_sync(sync_call, repeat=1, warmup=0)
                a, s = p50(async_samples), p50(sync_samples)
                # Each sync call against the async call just before it: the server's drift between
                # calls (most of a call's time) cancels out of the difference.
                paired = p50(
                    [sync - async_ for sync, async_ in zip(sync_samples, async_samples, strict=True)]
                )
                report(
                    f"sync {name} p50 vs async (same loop+pool)", s, a, goal=f"added <= {GOAL_ADDED_MS} ms"
                )
                print(f"  p50 of sync minus p50 of async: {(s - a) * 1000:+.3f} ms", flush=True)
                report(
                    "  added cost per call, p50 (vs 0.25 ms goal)",
                    max(paired, 0.0),
                    GOAL_ADDED_MS / 1000,
                    goal="<= 1x",
                )
                verdict(f"sync overhead p50 of {name}", paired)

            await anyio.to_thread.run_sync(
                compare, "app.version()", sivk.app.version, lambda: same.app.version(), 800
            )

            board = await aivk.boards.create("bench-sync")
            try:
                for i in range(100):
                    await aivk.images.upload(_png(i), board=board)

                def sync_page() -> object:
                    page = sivk.images.list(board=board.board_id, limit=100).first_page()
                    assert len(page) == 100
                    return page

                async def async_page() -> object:
                    page = await same.images.list(board=board.board_id, limit=100)
                    assert len(page) == 100
                    return page

                await anyio.to_thread.run_sync(
                    compare, "images.list(limit=100) page", sync_page, async_page, 300
                )
            finally:
                await aivk.boards.delete(board, include_images=True)
        finally:
            await anyio.to_thread.run_sync(sivk.close)
