"""``app.version()`` through the SDK against the same request through raw httpx."""

from __future__ import annotations

import httpx
from _common import p50, report, timed

from invokeai_sdk import AsyncInvokeAI


async def main(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as raw, AsyncInvokeAI(base_url) as ivk:

        async def raw_version() -> object:
            response = await raw.get("/api/v1/app/version")
            response.raise_for_status()
            return response.json()

        async def sdk_version() -> object:
            return await ivk.app.version()

        baseline = p50(await timed(raw_version, repeat=200))
        sdk = p50(await timed(sdk_version, repeat=200))
        report("app.version() p50 vs raw httpx", sdk, baseline, goal="<= 1.05x")
