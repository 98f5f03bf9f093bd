"""``models.list()`` (parsed into lenient configs) and an install round trip, against raw httpx."""

from __future__ import annotations

import json
import struct
import tempfile
import time
from pathlib import Path

import httpx
from _common import p50, report, timed

from invokeai_sdk import AsyncInvokeAI


def _tiny_safetensors(path: Path) -> None:
    data = struct.pack("<4f", 1.0, 2.0, 3.0, 4.0)
    header = json.dumps({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, len(data)]}})
    raw = header.encode() + b" " * (-len(header) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)


async def main(base_url: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as raw, AsyncInvokeAI(base_url) as ivk:
            keys: list[str] = []
            try:
                # Install round trip: SDK install + wait() against raw POST + a tight 50 ms GET poll.
                raw_times, sdk_times = [], []
                for i in range(5):
                    path = Path(folder) / f"raw-{i}.safetensors"
                    _tiny_safetensors(path)
                    started = time.perf_counter()
                    job = (
                        await raw.post(
                            "/api/v2/models/install", params={"source": str(path), "inplace": True}, json={}
                        )
                    ).json()
                    while job["status"] not in ("completed", "error", "cancelled"):
                        await _sleep(0.05)
                        job = (await raw.get(f"/api/v2/models/install/{job['id']}")).json()
                    raw_times.append(time.perf_counter() - started)
                    keys.append(job["config_out"]["key"])

                    path = Path(folder) / f"sdk-{i}.safetensors"
                    _tiny_safetensors(path)
                    started = time.perf_counter()
                    result = await (await ivk.models.install(str(path), inplace=True)).wait(timeout=60)
                    sdk_times.append(time.perf_counter() - started)
                    assert result.model is not None
                    keys.append(result.model.key)
                report(
                    "install + wait p50 vs raw 50 ms polling", p50(sdk_times), p50(raw_times), goal="<= 1.5x"
                )

                async def raw_list() -> object:
                    response = await raw.get("/api/v2/models/")
                    response.raise_for_status()
                    return response.json()

                async def sdk_list() -> object:
                    return await ivk.models.list()

                baseline = p50(await timed(raw_list, repeat=100))
                sdk = p50(await timed(sdk_list, repeat=100))
                report(f"models.list() ({len(keys)} models) p50 vs raw httpx", sdk, baseline, goal="<= 1.2x")
            finally:
                for key in keys:
                    await raw.delete(f"/api/v2/models/i/{key}")
                await raw.delete("/api/v2/models/install")


async def _sleep(seconds: float) -> None:
    import anyio

    await anyio.sleep(seconds)
