"""``images.latest()``, ``images.download()`` and ``images.download_to()`` against raw httpx."""

from __future__ import annotations

import io
import os
import tempfile
import time
import tracemalloc
from pathlib import Path

import httpx
from _common import p50, report, timed

from invokeai_sdk import AsyncInvokeAI


def _big_png() -> bytes:
    """A 4096x4096 PNG of noise (about 50 MB: it does not compress), so transfer time dominates."""
    from PIL import Image

    image = Image.frombytes("RGB", (4096, 4096), os.urandom(4096 * 4096 * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


async def main(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as raw, AsyncInvokeAI(base_url) as ivk:
        board = await ivk.boards.create("bench-images")
        try:
            for i in range(5):
                from PIL import Image

                buffer = io.BytesIO()
                Image.new("RGB", (16, 16), (i, i, i)).save(buffer, format="PNG")
                await ivk.images.upload(buffer.getvalue(), board=board)

            async def raw_latest() -> object:
                response = await raw.get(
                    "/api/v1/images/",
                    params={"offset": 0, "limit": 1, "starred_first": "false", "order_dir": "DESC"},
                )
                response.raise_for_status()
                return response.json()["items"][0]

            async def sdk_latest() -> object:
                return await ivk.images.latest()

            baseline = p50(await timed(raw_latest, repeat=100))
            sdk = p50(await timed(sdk_latest, repeat=100))
            report("images.latest() p50 vs raw httpx", sdk, baseline, goal="<= 1.05x")

            data = _big_png()
            big = await ivk.images.upload(data, board=board, timeout=300)
            url = f"/api/v1/images/i/{big.image_name}/full"

            async def raw_download() -> object:
                response = await raw.get(url)
                response.raise_for_status()
                return response.content

            async def sdk_download() -> object:
                return await ivk.images.download(big.image_name)

            raw_t = p50(await timed(raw_download, repeat=5, warmup=1))
            sdk_t = p50(await timed(sdk_download, repeat=5, warmup=1))
            mb = len(data) / 1e6
            report(
                f"download() throughput MB/s ({mb:.0f} MB PNG) vs raw",
                mb / sdk_t,
                mb / raw_t,
                unit="MB/s",
                goal=">= 0.9x",
            )

            with tempfile.TemporaryDirectory() as folder:

                async def raw_stream_to_disk() -> object:
                    async with raw.stream("GET", url) as response:
                        with open(Path(folder) / "raw.png", "wb") as handle:  # noqa: ASYNC230
                            async for chunk in response.aiter_bytes(256 * 1024):
                                handle.write(chunk)
                    return None

                async def sdk_download_to() -> object:
                    return await ivk.images.download_to(big.image_name, folder)

                raw_t = p50(await timed(raw_stream_to_disk, repeat=5, warmup=1))
                sdk_t = p50(await timed(sdk_download_to, repeat=5, warmup=1))
                report(
                    "download_to() throughput MB/s vs raw stream",
                    mb / sdk_t,
                    mb / raw_t,
                    unit="MB/s",
                    goal=">= 0.9x",
                )

                tracemalloc.start()
                started = time.perf_counter()
                await ivk.images.download_to(big.image_name, folder)
                elapsed = time.perf_counter() - started
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                report(
                    f"download_to() peak Python memory MB vs file size ({elapsed:.2f}s)",
                    peak / 1e6,
                    len(data) / 1e6,
                    unit="MB",
                    goal="flat (ratio << 1)",
                )
        finally:
            await ivk.boards.delete(board, include_images=True)
