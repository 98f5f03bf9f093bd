"""``images.latest()``, ``images.download()`` and ``images.download_to()`` against raw httpx.

The "constant memory" claim of ``download_to`` is shown, not asserted: its peak Python memory
(tracemalloc) is measured for two file sizes, a 2048x2048 and a 4096x4096 noise PNG (about 4x the
bytes). A streaming download's peak is set by its chunk size, so the two peaks should be about
equal (peak ratio near 1x, peak/size falling about 4x); an in-memory download's peak grows with the
file (ratio near 4x). The raw-httpx streaming loop is the baseline. Throughput is the byte count
actually downloaded over the median time.
"""

from __future__ import annotations

import io
import os
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from _common import interleaved, p50, report

from invokeai_sdk import AsyncInvokeAI

SIDES = (2048, 4096)
CHUNK = 256 * 1024


def _noise_png(side: int) -> bytes:
    """A ``side`` x ``side`` PNG of noise (it does not compress: 4096 gives about 50 MB)."""
    from PIL import Image

    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _size_of(path: Path) -> int:
    return path.stat().st_size


async def _peak(fn: Callable[[], Awaitable[object]]) -> tuple[int, float]:
    """Peak Python memory (bytes above the level before the call) and duration of one ``fn()``.

    The benchmark keeps the largest of three runs, so one lucky run cannot make a peak look small.
    """
    tracemalloc.start()
    tracemalloc.reset_peak()
    before, _ = tracemalloc.get_traced_memory()
    started = time.perf_counter()
    await fn()
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return max(peak - before, 0), elapsed


async def main(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=300) as raw, AsyncInvokeAI(base_url) as ivk:
        board = await ivk.boards.create("bench-images")
        try:
            from PIL import Image

            for i in range(5):
                buffer = io.BytesIO()
                Image.new("RGB", (16, 16), (i, i, i)).save(buffer, format="PNG")
                await ivk.images.upload(buffer.getvalue(), board=board)

            async def raw_latest() -> object:
                response = await raw.get(
                    "/api/v1/images/",
                    params={
                        "offset": 0,
                        "limit": 1,
                        "starred_first": "false",
                        "order_dir": "DESC",
                        "is_intermediate": "false",
                    },
                )
                response.raise_for_status()
                return response.json()["items"][0]

            async def sdk_latest() -> object:
                return await ivk.images.latest()

            samples = await interleaved({"raw": raw_latest, "sdk": sdk_latest}, repeat=300)
            baseline, sdk = p50(samples["raw"]), p50(samples["sdk"])
            report("images.latest() p50 vs raw httpx", sdk, baseline, goal="<= 1.05x")

            peaks: dict[int, tuple[int, int, int]] = {}  # side -> (file bytes, sdk peak, raw peak)
            with tempfile.TemporaryDirectory() as folder:
                for side in SIDES:
                    image = await ivk.images.upload(_noise_png(side), board=board, timeout=300)
                    url = f"/api/v1/images/i/{image.image_name}/full"
                    raw_file = Path(folder) / f"raw-{side}.png"

                    async def raw_stream_to_disk(url: str = url, raw_file: Path = raw_file) -> object:
                        async with raw.stream("GET", url) as response:
                            response.raise_for_status()
                            with open(raw_file, "wb") as handle:  # noqa: ASYNC230
                                async for chunk in response.aiter_bytes(CHUNK):
                                    handle.write(chunk)
                        return None

                    async def sdk_download_to(name: str = image.image_name) -> object:
                        return await ivk.images.download_to(name, folder)

                    async def raw_download(url: str = url) -> object:
                        response = await raw.get(url)
                        response.raise_for_status()
                        return response.content

                    async def sdk_download(name: str = image.image_name) -> object:
                        return await ivk.images.download(name)

                    written = await ivk.images.download_to(image.image_name, folder)
                    size = _size_of(written)  # the bytes actually downloaded
                    mb = size / 1e6
                    pair = {"raw": raw_download, "sdk": sdk_download}
                    samples = await interleaved(pair, repeat=9, warmup=1)
                    raw_t, sdk_t = p50(samples["raw"]), p50(samples["sdk"])
                    report(
                        f"download() MB/s, {side}px ({mb:.1f} MB) vs raw",
                        mb / sdk_t,
                        mb / raw_t,
                        unit="MB/s",
                        goal=">= 0.9x",
                    )
                    pair = {"raw": raw_stream_to_disk, "sdk": sdk_download_to}
                    samples = await interleaved(pair, repeat=9, warmup=1)
                    raw_t, sdk_t = p50(samples["raw"]), p50(samples["sdk"])
                    report(f"download_to() MB/s, {side}px vs raw stream", mb / sdk_t, mb / raw_t, unit="MB/s")

                    sdk_peak = max([(await _peak(sdk_download_to))[0] for _ in range(3)])
                    raw_peak = max([(await _peak(raw_stream_to_disk))[0] for _ in range(3)])
                    assert _size_of(raw_file) == size
                    peaks[side] = (size, sdk_peak, raw_peak)
                    report(
                        f"download_to() peak MB, {side}px vs raw stream",
                        sdk_peak / 1e6,
                        raw_peak / 1e6,
                        unit="MB",
                    )
                    print(
                        f"{'':<4}{side}px: file {mb:.1f} MB, peak/size sdk {sdk_peak / size:.4f}"
                        f"  raw {raw_peak / size:.4f}",
                        flush=True,
                    )

            (small_size, small_sdk, small_raw), (big_size, big_sdk, big_raw) = (peaks[s] for s in SIDES)
            print(
                f"{'':<4}file size ratio {big_size / small_size:.2f}x; peak ratio (4096 vs 2048)"
                f" sdk {big_sdk / max(small_sdk, 1):.2f}x, raw stream {big_raw / max(small_raw, 1):.2f}x"
                "   goal: sdk peak ratio ~1x (flat), far below the size ratio",
                flush=True,
            )
        finally:
            await ivk.boards.delete(board, include_images=True)
