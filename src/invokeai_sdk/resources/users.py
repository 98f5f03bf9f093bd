"""``ivk.auth.users``: user administration on multi-user servers (admin only)."""

from __future__ import annotations

import builtins
from typing import Any

from .._errors import ValidationError
from .._resource import AsyncAPIResource
from .._types import NOT_GIVEN, TimeoutArg
from ..types.app import User
from ._paths import id_path

__all__ = ["UsersResource"]

_PREFIX = "/api/v1/auth/users"


def _user_path(user_id: str | User) -> str:
    return id_path(_PREFIX, user_id.user_id if isinstance(user_id, User) else user_id, "user id")


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{what} must be a non-empty string, got {value!r}.")
    return value


class UsersResource(AsyncAPIResource):
    """Accounts of a multi-user server. Every call needs an administrator's session."""

    async def list(self, *, timeout: TimeoutArg = NOT_GIVEN) -> builtins.list[User]:
        """Every account."""
        await self._require("users")
        return await self._parsed(builtins.list[User], "GET", _PREFIX, timeout=timeout)

    async def get(self, user_id: str | User, *, timeout: TimeoutArg = NOT_GIVEN) -> User:
        """One account; :class:`NotFoundError` when there is none with this id."""
        await self._require("users")
        return await self._parsed(User, "GET", _user_path(user_id), timeout=timeout)

    async def create(
        self,
        email: str,
        password: str,
        *,
        display_name: str | None = None,
        is_admin: bool = False,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> User:
        """Create an account; a weak password or a taken email raises :class:`BadRequestError`."""
        await self._require("users")
        body = {
            "email": _text(email, "email"),
            "password": _text(password, "password"),
            "display_name": display_name,
            "is_admin": bool(is_admin),
        }
        return await self._parsed(User, "POST", _PREFIX, json=body, timeout=timeout, max_retries=0)

    async def update(
        self,
        user_id: str | User,
        *,
        display_name: str | None = None,
        password: str | None = None,
        is_admin: bool | None = None,
        is_active: bool | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> User:
        """Change the fields given. A new password or ``is_active=False`` signs the user out everywhere."""
        await self._require("users")
        body: dict[str, Any] = {
            k: v
            for k, v in (
                ("display_name", display_name),
                ("password", None if password is None else _text(password, "password")),
                ("is_admin", is_admin),
                ("is_active", is_active),
            )
            if v is not None
        }
        if not body:
            raise ValidationError("Give at least one of display_name, password, is_admin, is_active.")
        return await self._parsed(User, "PATCH", _user_path(user_id), json=body, timeout=timeout)

    async def delete(self, user_id: str | User, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Delete an account (the last administrator cannot be deleted: :class:`BadRequestError`)."""
        await self._require("users")
        await self._request("DELETE", _user_path(user_id), timeout=timeout)
