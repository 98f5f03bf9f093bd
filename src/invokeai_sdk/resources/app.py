"""``ivk.app``: server version, configuration, dependencies, invocation cache, health, features."""

from __future__ import annotations

import time
from typing import Any

import anyio

from .._errors import FeatureNotSupportedError, InvokeAIError, NotFoundError, ValidationError
from .._features import ServerFeatures
from .._resource import AsyncAPIResource
from .._types import NOT_GIVEN, TimeoutArg
from ..types.app import (
    AppVersion,
    CacheStatus,
    ExternalProviderConfig,
    ExternalProviderStatus,
    GenerationDevice,
    HealthReport,
    RuntimeConfig,
)
from ._paths import id_path

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

    async def update_config(
        self,
        *,
        image_subfolder_strategy: str | None = None,
        max_queue_history: int | None = None,
        generation_devices: str | list[str] | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> RuntimeConfig:
        """Change the settings clients may write (saved to ``invokeai.yaml``); returns the new config.

        ``image_subfolder_strategy`` is ``flat``, ``date``, ``type`` or ``hash`` (existing files are then
        moved by ``ivk.image_moves``); ``generation_devices`` (``"auto"`` or ``["cuda:0", ...]``) takes
        effect after a restart.
        """
        await self._require("runtime_config_update")
        body: dict[str, Any] = {}
        if image_subfolder_strategy is not None:
            body["image_subfolder_strategy"] = image_subfolder_strategy
        if max_queue_history is not None:
            if isinstance(max_queue_history, bool) or int(max_queue_history) < 0:
                raise ValidationError(f"max_queue_history must be 0 or more, got {max_queue_history!r}.")
            body["max_queue_history"] = int(max_queue_history)
        if generation_devices is not None:
            body["generation_devices"] = generation_devices
        if not body:
            raise ValidationError("Give at least one setting to change.")
        return await self._parsed(
            RuntimeConfig, "PATCH", "/api/v1/app/runtime_config", json=body, timeout=timeout
        )

    async def patchmatch_available(self, *, timeout: TimeoutArg = NOT_GIVEN) -> bool:
        """Whether the server's PatchMatch library works (the ``infill_patchmatch`` node needs it)."""
        await self._require("patchmatch")
        return bool(await self._json("GET", "/api/v1/app/patchmatch_status", timeout=timeout))

    async def generation_devices(self, *, timeout: TimeoutArg = NOT_GIVEN) -> list[GenerationDevice]:
        """The devices the server can generate on (``cpu``, ``cuda:0``, ...)."""
        await self._require("generation_devices")
        return await self._parsed(
            list[GenerationDevice], "GET", "/api/v1/app/generation_device_options", timeout=timeout
        )

    async def external_providers(self, *, timeout: TimeoutArg = NOT_GIVEN) -> list[ExternalProviderStatus]:
        """Whether each external generation provider (an API service) is configured."""
        await self._require("external_providers")
        return await self._parsed(
            list[ExternalProviderStatus], "GET", "/api/v1/app/external_providers/status", timeout=timeout
        )

    async def external_provider_configs(
        self, *, timeout: TimeoutArg = NOT_GIVEN
    ) -> list[ExternalProviderConfig]:
        """Each external provider's settings (whether an API key is set, its base URL)."""
        await self._require("external_providers")
        return await self._parsed(
            list[ExternalProviderConfig], "GET", "/api/v1/app/external_providers/config", timeout=timeout
        )

    async def set_external_provider(
        self,
        provider_id: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> ExternalProviderConfig:
        """Set an external provider's API key and/or base URL (admin)."""
        await self._require("external_providers")
        if api_key is None and base_url is None:
            raise ValidationError("Give api_key, base_url or both.")
        body = {k: v for k, v in (("api_key", api_key), ("base_url", base_url)) if v is not None}
        return await self._parsed(
            ExternalProviderConfig,
            "POST",
            id_path("/api/v1/app/external_providers/config", provider_id, "provider id"),
            json=body,
            timeout=timeout,
        )

    async def reset_external_provider(
        self, provider_id: str, *, timeout: TimeoutArg = NOT_GIVEN
    ) -> ExternalProviderConfig:
        """Forget an external provider's API key and base URL (admin)."""
        await self._require("external_providers")
        return await self._parsed(
            ExternalProviderConfig,
            "DELETE",
            id_path("/api/v1/app/external_providers/config", provider_id, "provider id"),
            timeout=timeout,
        )

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
        return await self._client.features(refresh=refresh, timeout=timeout)

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
