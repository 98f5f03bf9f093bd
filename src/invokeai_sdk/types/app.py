"""Types of the ``ivk.app`` and ``ivk.auth`` namespaces."""

from __future__ import annotations

import functools
from typing import Any

from packaging.version import InvalidVersion, Version
from pydantic import Field

from .._models import ResponseModel

__all__ = [
    "AppVersion",
    "AuthStatus",
    "CacheStatus",
    "ExternalProviderConfig",
    "ExternalProviderStatus",
    "GenerationDevice",
    "HealthReport",
    "ImageMoveJob",
    "ImageMoveStatus",
    "LoginResult",
    "RuntimeConfig",
    "SetupResult",
    "User",
]


@functools.total_ordering
class AppVersion(ResponseModel):
    """The server's version. Compares with other versions and with strings: ``v >= "6.12"``."""

    version: str
    highlights: list[str] | None = None

    @property
    def parsed(self) -> Version:
        """The version as a :class:`packaging.version.Version`."""
        return Version(self.version)

    @property
    def release(self) -> tuple[int, ...]:
        """The numeric release tuple, e.g. ``(6, 14, 2)``."""
        return self.parsed.release

    def _other(self, other: object) -> Version | None:
        try:
            if isinstance(other, AppVersion):
                return other.parsed
            if isinstance(other, str):
                return Version(other)
            if isinstance(other, Version):
                return other
        except InvalidVersion:
            return None
        return None

    def __eq__(self, other: object) -> bool:
        parsed = self._other(other)
        return NotImplemented if parsed is None else self.parsed == parsed

    def __lt__(self, other: object) -> bool:
        parsed = self._other(other)
        return NotImplemented if parsed is None else self.parsed < parsed

    def __hash__(self) -> int:
        return hash(self.parsed)

    def __str__(self) -> str:
        return self.version


class RuntimeConfig(ResponseModel):
    """``GET /api/v1/app/runtime_config``: the server's effective ``config`` and the ``set_fields``."""

    config: dict[str, Any]
    set_fields: list[str] = Field(default_factory=list)


class CacheStatus(ResponseModel):
    """The invocation cache: ``enabled``, ``size`` of ``max_size`` entries, ``hits`` and ``misses``."""

    size: int
    hits: int
    misses: int
    enabled: bool
    max_size: int


class AuthStatus(ResponseModel):
    """``GET /api/v1/auth/status``; ``multiuser_enabled`` is False for servers without accounts."""

    multiuser_enabled: bool = False
    setup_required: bool = False
    strict_password_checking: bool | None = None
    admin_email: str | None = None


class User(ResponseModel):
    """An account on a multi-user server."""

    user_id: str
    email: str
    display_name: str | None = None
    is_admin: bool = False
    is_active: bool = True
    created_at: str | None = None
    updated_at: str | None = None
    last_login_at: str | None = None


class LoginResult(ResponseModel):
    """The answer to a login: the bearer ``token``, the ``user`` and ``expires_in`` seconds."""

    token: str
    user: User
    expires_in: int | None = None

    def __repr_args__(self) -> Any:
        for key, value in super().__repr_args__():
            yield key, ("***" if key == "token" else value)


class HealthReport(ResponseModel):
    """What :meth:`AppResource.health` found. ``ok`` is True only when every check passed."""

    ok: bool
    version: str | None = None
    latency_ms: float | None = None
    checks: dict[str, bool] = Field(default_factory=dict)
    error: str | None = None


class SetupResult(ResponseModel):
    """The first administrator account, made by ``ivk.auth.setup``."""

    success: bool = True
    user: User


class GenerationDevice(ResponseModel):
    """A device the server can generate on (``cpu``, ``cuda:0``, ``mps``...) and its display name."""

    device: str
    name: str = ""


class ExternalProviderStatus(ResponseModel):
    """Whether an external generation provider (an API service) is configured on the server."""

    provider_id: str
    configured: bool = False
    message: str | None = None


class ExternalProviderConfig(ResponseModel):
    """An external provider's settings as the server reports them (the API key itself is never sent)."""

    provider_id: str
    api_key_configured: bool = False
    base_url: str | None = None


class ImageMoveJob(ResponseModel):
    """One journal entry of a move of image files into the configured subfolder layout."""

    id: int
    state: str
    error_message: str | None = None


class ImageMoveStatus(ResponseModel):
    """Whether image files are being moved into the configured subfolder layout, and how many must move."""

    is_running: bool = False
    operation: str | None = None
    active_job_id: int | None = None
    latest_job: ImageMoveJob | None = None
    last_error: str | None = None
    needs_move_count: int = 0
