"""``ivk.auth``: accounts on multi-user servers (InvokeAI 6.12+)."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from .._errors import APIStatusError, FeatureNotSupportedError, NotFoundError, ValidationError
from .._resource import AsyncAPIResource
from .._types import NOT_GIVEN, TimeoutArg
from ..types.app import AuthStatus, LoginResult, SetupResult, User

if TYPE_CHECKING:
    from .users import UsersResource

__all__ = ["AuthResource"]


class AuthResource(AsyncAPIResource):
    """Log in, find out who you are, and whether the server has accounts at all."""

    async def status(self, *, timeout: TimeoutArg = NOT_GIVEN) -> AuthStatus:
        """Whether the server is multi-user. Servers before 6.12 (no auth API) report single-user."""
        try:
            return await self._parsed(AuthStatus, "GET", "/api/v1/auth/status", timeout=timeout)
        except (NotFoundError, FeatureNotSupportedError):
            return AuthStatus(multiuser_enabled=False, setup_required=False)

    async def login(
        self, email: str, password: str, *, remember_me: bool = False, timeout: TimeoutArg = NOT_GIVEN
    ) -> LoginResult:
        """Log in; the session uses the new token (and these credentials to log in again on a 401)."""
        try:
            response = await self._client.request(
                "POST",
                "/api/v1/auth/login",
                json={"email": email, "password": password, "remember_me": remember_me},
                timeout=timeout,
                authenticate=False,
            )
        except APIStatusError as exc:
            if exc.status_code in (404, 405):  # before 6.12: no accounts at all
                await self._raise_if_undocumented("POST", "/api/v1/auth/login", exc)
            raise
        result = LoginResult.model_validate_json(response.content)
        creds = self._client.transport.credentials
        creds.email, creds.password, creds.token = email, password, result.token
        return result

    async def logout(self, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Log out on the server and forget the token (and the password) in this session."""
        try:
            await self._request("POST", "/api/v1/auth/logout", timeout=timeout)
        finally:
            creds = self._client.transport.credentials
            creds.token = creds.password = None

    async def me(self, *, timeout: TimeoutArg = NOT_GIVEN) -> User:
        """The user this session is logged in as."""
        return await self._parsed(User, "GET", "/api/v1/auth/me", timeout=timeout)

    async def update_me(
        self,
        *,
        display_name: str | None = None,
        current_password: str | None = None,
        new_password: str | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> User:
        """Change your display name, or your password (give ``current_password`` and ``new_password``).

        A password change signs out your other sessions; this one keeps working (the server sends a new
        token, and the session logs in with the new password from then on).
        """
        await self._require("profile_update")
        if new_password is not None and not current_password:
            raise ValidationError("Changing the password needs current_password too.")
        body: dict[str, Any] = {
            k: v
            for k, v in (
                ("display_name", display_name),
                ("current_password", current_password),
                ("new_password", new_password),
            )
            if v is not None
        }
        if not body:
            raise ValidationError("Give display_name, or current_password and new_password.")
        user = await self._parsed(User, "PATCH", "/api/v1/auth/me", json=body, timeout=timeout, max_retries=0)
        creds = self._client.transport.credentials
        if new_password is not None and creds.password is not None:
            creds.password = new_password
        return user

    async def setup(
        self, email: str, password: str, *, display_name: str | None = None, timeout: TimeoutArg = NOT_GIVEN
    ) -> SetupResult:
        """Create the first administrator of a new multi-user server (once; later calls: BadRequestError)."""
        await self._require("users")
        body = {"email": email, "password": password, "display_name": display_name}
        return await self._parsed(
            SetupResult, "POST", "/api/v1/auth/setup", json=body, timeout=timeout, max_retries=0
        )

    async def generate_password(self, *, timeout: TimeoutArg = NOT_GIVEN) -> str:
        """A strong random password made by the server (for new accounts)."""
        await self._require("generate_password")
        data = await self._json("GET", "/api/v1/auth/generate-password", timeout=timeout)
        return str(data["password"])

    @cached_property
    def users(self) -> UsersResource:
        """User administration (admins only): list, create, update, delete accounts."""
        from .users import UsersResource

        return UsersResource(self._client)
