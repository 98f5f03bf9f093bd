"""``ivk.client_state``: the per-user key/value store the GUI keeps its settings in."""

from __future__ import annotations

import builtins

from .._errors import ValidationError
from .._resource import AsyncAPIResource
from .._types import NOT_GIVEN, TimeoutArg

__all__ = ["ClientStateResource"]

# The server ignores the queue id of these routes (kept in the path for old clients).
_PREFIX = "/api/v1/client_state/default"


def _key(key: object) -> str:
    if not isinstance(key, str) or not key:
        raise ValidationError(f"A client state key must be a non-empty string, got {key!r}.")
    return key


class ClientStateResource(AsyncAPIResource):
    """String values by key, stored on the server for the logged-in user (or the single user).

    The GUI keeps its persisted settings here; values are strings (the GUI stores JSON text).
    """

    async def get(self, key: str, *, timeout: TimeoutArg = NOT_GIVEN) -> str | None:
        """The value stored under ``key``, or ``None`` when there is none."""
        await self._require("client_state")
        value: str | None = await self._parsed(
            str | None, "GET", f"{_PREFIX}/get_by_key", params={"key": _key(key)}, timeout=timeout
        )
        return value

    async def set(self, key: str, value: str, *, timeout: TimeoutArg = NOT_GIVEN) -> str:
        """Store ``value`` under ``key`` (replacing what was there); returns the stored value."""
        await self._require("client_state")
        if not isinstance(value, str):
            raise ValidationError(
                f"A client state value is a string (use json.dumps), got {type(value).__name__}."
            )
        return await self._parsed(
            str, "POST", f"{_PREFIX}/set_by_key", params={"key": _key(key)}, json=value, timeout=timeout
        )

    async def keys(self, prefix: str = "", *, timeout: TimeoutArg = NOT_GIVEN) -> builtins.list[str]:
        """The keys that start with ``prefix`` (every key for ``""``)."""
        await self._require("client_state_keys")
        if not isinstance(prefix, str):
            raise ValidationError(f"prefix must be a string, got {prefix!r}.")
        return await self._parsed(
            builtins.list[str],
            "GET",
            f"{_PREFIX}/get_keys_by_prefix",
            params={"prefix": prefix},
            timeout=timeout,
        )

    async def delete(self, key: str, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Remove ``key`` (no error when it is not there)."""
        await self._require("client_state_keys")
        await self._request("POST", f"{_PREFIX}/delete_by_key", params={"key": _key(key)}, timeout=timeout)

    async def clear(self, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Remove every key of this user (the GUI then starts from its defaults)."""
        await self._require("client_state")
        await self._request("POST", f"{_PREFIX}/delete", timeout=timeout)
