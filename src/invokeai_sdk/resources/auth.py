"""``ivk.auth``: accounts on multi-user servers (InvokeAI 6.12+)."""

from __future__ import annotations

from .._errors import APIStatusError, FeatureNotSupportedError, NotFoundError
from .._types import NOT_GIVEN, TimeoutArg
from ..types.app import AuthStatus, LoginResult, User
from ._base import AsyncAPIResource

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
        transport = self._client._transport
        try:
            response = await transport.request(
                "POST",
                "/api/v1/auth/login",
                options=self._client._options,
                json={"email": email, "password": password, "remember_me": remember_me},
                timeout=timeout,
                authenticate=False,
            )
        except APIStatusError as exc:
            if exc.status_code in (404, 405):  # before 6.12: no accounts at all
                await self._raise_if_undocumented("POST", "/api/v1/auth/login", exc)
            raise
        result = LoginResult.model_validate_json(response.content)
        creds = transport.credentials
        creds.email, creds.password, creds.token = email, password, result.token
        return result

    async def logout(self, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Log out on the server and forget the token (and the password) in this session."""
        try:
            await self._request("POST", "/api/v1/auth/logout", timeout=timeout)
        finally:
            creds = self._client._transport.credentials
            creds.token = creds.password = None

    async def me(self, *, timeout: TimeoutArg = NOT_GIVEN) -> User:
        """The user this session is logged in as."""
        return await self._parsed(User, "GET", "/api/v1/auth/me", timeout=timeout)
