"""Type-checked (never run) usage of the async API: mypy --strict must accept it as written."""

from __future__ import annotations

from invokeai_sdk import AsyncInvokeAI, ServerFeatures
from invokeai_sdk.types import AppVersion, CacheStatus, HealthReport


async def tour() -> None:
    async with AsyncInvokeAI("http://127.0.0.1:9090", timeout=30) as ivk:
        version: AppVersion = await ivk.app.version()
        newer: bool = version >= "6.12"
        features: ServerFeatures = await ivk.app.features()
        has_videos: bool = features.supports("videos")
        cache: CacheStatus = await ivk.with_options(max_retries=0).app.cache_status()
        health: HealthReport = await ivk.app.health()
        print(newer, has_videos, cache.enabled, health.ok)
