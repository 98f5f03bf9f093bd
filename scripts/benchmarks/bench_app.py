"""``app.version()`` through the SDK against the same request through raw httpx."""

from __future__ import annotations

import httpx
from _common import interleaved, p50, report

from invokeai_sdk import AsyncInvokeAI


async def main(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as raw, AsyncInvokeAI(base_url) as ivk:

        async def raw_version() -> object:
            response = await raw.get("/api/v1/app/version")
            response.raise_for_status()
            return response.json()

        async def sdk_version() -> object:
            return await ivk.app.version()

        samples = await interleaved({"raw": raw_version, "sdk": sdk_version}, repeat=600)
        baseline, sdk = p50(samples["raw"]), p50(samples["sdk"])
        report("app.version() p50 vs raw httpx", sdk, baseline, goal="<= 1.05x")
