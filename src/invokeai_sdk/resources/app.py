"""``ivk.app``: server version, configuration, dependencies, invocation cache, health, features."""

from __future__ import annotations

import time
from typing import Any

import anyio

from .._errors import FeatureNotSupportedError, InvokeAIError, NotFoundError
from .._features import ServerFeatures
from .._types import NOT_GIVEN, TimeoutArg
from ..types.app import AppVersion, CacheStatus, HealthReport, RuntimeConfig
from ._base import AsyncAPIResource

__all__ = ["AppResource"]


class AppResource(AsyncAPIResource):
    """Information about the server and its process-wide settings."""

    async def version(self, *, timeout: TimeoutArg = NOT_GIVEN) -> AppVersion:
        """The server's version; comparable (``await ivk.app.version() >= "6.12"``)."""
        return await self._parsed(AppVersion, "GET", "/api/v1/app/version", timeout=timeout)

    async def config(self, *, timeout: TimeoutArg = NOT_GIVEN) -> RuntimeConfig:
        """The server's effective configuration (``invokeai.yaml`` merged with defaults and env)."""
        try:
            return await self._parsed(RuntimeConfig, "GET", "/api/v1/app/runtime_config", timeout=timeout)
        except (NotFoundError, FeatureNotSupportedError):
            # Servers before 6.11 only have the older, smaller /app/config.
            data = await self._json("GET", "/api/v1/app/config", timeout=timeout)
            return RuntimeConfig(config=data if isinstance(data, dict) else {}, set_fields=[])

    async def dependencies(self, *, timeout: TimeoutArg = NOT_GIVEN) -> dict[str, str]:
        """Versions of the server's Python packages and platform pieces (torch, CUDA, ...)."""
        data = await self._json("GET", "/api/v1/app/app_deps", timeout=timeout)
        return {str(k): str(v) for k, v in (data or {}).items()}

    async def log_level(self, *, timeout: TimeoutArg = NOT_GIVEN) -> int:
        """The server's numeric log level (10 debug, 20 info, ...)."""
        return int(await self._json("GET", "/api/v1/app/logging", timeout=timeout))

    async def set_log_level(self, level: int, *, timeout: TimeoutArg = NOT_GIVEN) -> int:
        """Set the server's log level; returns the level now in force."""
        return int(await self._json("POST", "/api/v1/app/logging", json=int(level), timeout=timeout))

    async def cache_status(self, *, timeout: TimeoutArg = NOT_GIVEN) -> CacheStatus:
        """The invocation cache's size, hits, misses and whether it is enabled."""
        return await self._parsed(CacheStatus, "GET", "/api/v1/app/invocation_cache/status", timeout=timeout)

    async def enable_cache(self, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Turn the invocation cache on."""
        await self._request("PUT", "/api/v1/app/invocation_cache/enable", timeout=timeout)

    async def disable_cache(self, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Turn the invocation cache off."""
        await self._request("PUT", "/api/v1/app/invocation_cache/disable", timeout=timeout)

    async def clear_cache(self, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Empty the invocation cache."""
        await self._request("DELETE", "/api/v1/app/invocation_cache", timeout=timeout)

    async def openapi(self, *, refresh: bool = False, timeout: TimeoutArg = NOT_GIVEN) -> dict[str, Any]:
        """The server's OpenAPI document (fetched once per session, then cached)."""
        return (await self.features(refresh=refresh, timeout=timeout)).openapi  # type: ignore[return-value]

    async def features(self, *, refresh: bool = False, timeout: TimeoutArg = NOT_GIVEN) -> ServerFeatures:
        """What this server supports (paths, node types), read once from ``/openapi.json`` and cached."""
        state = self._client._state
        if state.features is not None and not refresh:
            return state.features
        async with state.features_lock:
            if state.features is not None and not refresh:
                return state.features
            openapi = await self._json("GET", "/openapi.json", timeout=timeout)
            version = await self.version(timeout=timeout)
            state.features = ServerFeatures(
                openapi if isinstance(openapi, dict) else {}, version=version.version
            )
            return state.features

    async def health(self, *, timeout: TimeoutArg = 10.0) -> HealthReport:
        """Check that the server answers and its queue works; never raises for an unhealthy server.

        Runs ``GET /app/version`` and ``GET /queue/default/status`` (the queue check proves the
        server's database and services are up, not just its web layer).
        """
        checks: dict[str, bool] = {}
        started = time.perf_counter()
        version: str | None = None
        try:
            with anyio.fail_after(timeout if isinstance(timeout, int | float) else None):
                version = (await self.version(timeout=timeout)).version
                checks["version"] = True
                await self._json("GET", "/api/v1/queue/default/status", timeout=timeout)
                checks["queue"] = True
        except (InvokeAIError, TimeoutError) as exc:
            checks.setdefault("version", False)
            checks.setdefault("queue", False)
            return HealthReport(
                ok=False,
                version=version,
                checks=checks,
                latency_ms=(time.perf_counter() - started) * 1000.0,
                error=f"{type(exc).__name__}: {exc}",
            )
        return HealthReport(
            ok=True, version=version, checks=checks, latency_ms=(time.perf_counter() - started) * 1000.0
        )
