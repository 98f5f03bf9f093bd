"""``BaseClient``: the floor every namespace, handle and the event connection is typed against.

It owns the session (configuration, the one request loop, what ``with_options`` copies share) and
offers the public request layer: ``request``/``get``/``post``/``put``/``patch``/``delete`` and
``stream`` reach any endpoint of the server, with the session's auth, retries, error mapping and
base path, so an operation the SDK does not wrap yet is one call away::

    stats = await ivk.get("/api/v2/models/stats")
    await ivk.post("/api/v1/utilities/dynamicprompts", json={"prompt": "a {red|blue} car"})

``AsyncInvokeAI`` adds the namespaces on top; nothing in this module knows them.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Mapping
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from ._errors import APIResponseValidationError, ValidationError
from ._features import ServerFeatures
from ._transport import (
    DEFAULT_TIMEOUT,
    ClientOptions,
    Credentials,
    RequestOptions,
    StreamedResponse,
    Transport,
    as_timeout,
)
from ._types import NOT_GIVEN, NotGiven, TimeoutArg

__all__ = ["DEFAULT_BASE_URL", "BaseClient", "SessionState"]

DEFAULT_BASE_URL = "http://127.0.0.1:9090"

T = TypeVar("T")


class SessionState:
    """What every copy of one session shares (copies are made by :meth:`BaseClient.with_options`).

    Session-wide services (the event connection, the job watcher of each queue) are made once through
    :meth:`service` and closed by ``aclose()``; the server's features are cached here.
    """

    def __init__(self) -> None:
        self.features: ServerFeatures | None = None
        self._features_lock: Any = None
        self.closers: list[Callable[[], Awaitable[None]]] = []
        """Async callbacks run by ``aclose()`` before the pool closes, newest first."""
        self._services: dict[tuple[type, Hashable], object] = {}

    @property
    def features_lock(self) -> Any:
        """The ``anyio.Lock`` one features fetch holds (made on first use: anyio loads with it)."""
        if self._features_lock is None:
            import anyio

            self._features_lock = anyio.Lock()
        return self._features_lock

    def service(self, kind: type[T], key: Hashable, make: Callable[[], T]) -> T:
        """The session's one ``kind`` object for ``key``, made by ``make()`` on first use.

        An object with an ``aclose`` coroutine method is closed when the session closes.
        """
        found = self._services.get((kind, key))
        if found is None:
            found = self._services[(kind, key)] = make()
            closer = getattr(found, "aclose", None)
            if closer is not None:
                self.closers.append(closer)
        assert isinstance(found, kind)
        return found


class BaseClient:
    """An async session with one InvokeAI server, without namespaces: configuration, the request
    layer, the server's features and the lifecycle. :class:`~invokeai_sdk.AsyncInvokeAI` is the
    class to use; code below it (namespaces, handles, events) is typed against this one.
    """

    def __init__(
        self,
        base_url: str | httpx.URL | None = None,
        *,
        token: str | None = None,
        email: str | None = None,
        password: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        http_client: httpx.AsyncClient | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        url = base_url if base_url is not None else os.environ.get("INVOKEAI_BASE_URL") or DEFAULT_BASE_URL
        parsed = httpx.URL(str(url))
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValidationError(f"base_url must be an http(s) URL with a host, got {str(url)!r}")
        if max_retries < 0:
            raise ValidationError(f"max_retries must be 0 or more, got {max_retries}")
        credentials = Credentials(
            token=token if token is not None else os.environ.get("INVOKEAI_TOKEN") or None,
            email=email if email is not None else os.environ.get("INVOKEAI_EMAIL") or None,
            password=password if password is not None else os.environ.get("INVOKEAI_PASSWORD") or None,
        )
        self._transport = Transport(
            base_url=parsed.copy_with(query=None, fragment=None),
            credentials=credentials,
            http_client=http_client,
            default_headers=default_headers,
        )
        self._options = ClientOptions(timeout=as_timeout(timeout), max_retries=max_retries)
        self._state = SessionState()

    # -- configuration -----------------------------------------------------------------------

    @property
    def base_url(self) -> httpx.URL:
        """The server's base URL (with any path prefix)."""
        return self._transport.base_url

    @property
    def timeout(self) -> httpx.Timeout:
        """The default timeout of this client's requests."""
        return self._options.timeout

    @property
    def max_retries(self) -> int:
        """How many times a safe request is retried after a transient failure."""
        return self._options.max_retries

    @property
    def is_closed(self) -> bool:
        """True once the session was closed."""
        return self._transport.is_closed

    @property
    def transport(self) -> Transport:
        """The session's request loop (connection pool, credentials, retries, error mapping)."""
        return self._transport

    @property
    def session(self) -> SessionState:
        """What every ``with_options`` copy of this session shares."""
        return self._state

    def with_options(
        self,
        *,
        timeout: TimeoutArg = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
    ) -> Self:
        """A copy with other defaults that shares this session (connection pool, login, events)."""
        copy = object.__new__(type(self))
        copy._transport = self._transport
        copy._state = self._state
        copy._options = ClientOptions(
            timeout=self._options.timeout if isinstance(timeout, NotGiven) else as_timeout(timeout),
            max_retries=self._options.max_retries if isinstance(max_retries, NotGiven) else max_retries,
        )
        return copy

    # -- the request layer -------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        files: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        max_retries: int | None = None,
        idempotent: bool | None = None,
        authenticate: bool = True,
    ) -> httpx.Response:
        """Send one request to ``path`` (``/api/v1/...``) and return the response, body read.

        The session's auth (``authenticate=False`` sends no token and never logs in), retries (safe
        methods only, or ``idempotent=True`` for a POST that only reads; ``max_retries=0`` turns them
        off) and error mapping apply: an error status
        raises its :class:`~invokeai_sdk.APIStatusError` subclass. ``params`` values of ``None`` are
        left out; lists repeat the key.
        """
        spec = RequestOptions(
            method=method,
            path=path,
            params=params,
            json=json,
            content=content,
            files=files,
            data=data,
            headers=headers,
            timeout=timeout,
            max_retries=max_retries,
            idempotent=idempotent,
        )
        return await self._transport.request(spec, options=self._options, authenticate=authenticate)

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> AsyncIterator[StreamedResponse]:
        """Send one request and yield the response before its body is read (for large downloads)."""
        spec = RequestOptions(
            method=method, path=path, params=params, json=json, headers=headers, timeout=timeout
        )
        async with self._transport.stream(spec, options=self._options) as response:
            yield response

    async def get(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        cast_to: type[T] | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> Any:
        """``GET path``: the decoded JSON body (``None`` when empty), or it validated into ``cast_to``."""
        return _decode(await self.request("GET", path, params=params, timeout=timeout), cast_to)

    async def post(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
        data: Mapping[str, Any] | None = None,
        cast_to: type[T] | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> Any:
        """``POST path`` (sent once, never retried): the decoded JSON body, or it as ``cast_to``."""
        response = await self.request(
            "POST", path, params=params, json=json, files=files, data=data, timeout=timeout
        )
        return _decode(response, cast_to)

    async def put(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        cast_to: type[T] | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> Any:
        """``PUT path``: the decoded JSON body, or it as ``cast_to``."""
        return _decode(await self.request("PUT", path, params=params, json=json, timeout=timeout), cast_to)

    async def patch(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        cast_to: type[T] | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> Any:
        """``PATCH path`` (sent once, never retried): the decoded JSON body, or it as ``cast_to``."""
        return _decode(await self.request("PATCH", path, params=params, json=json, timeout=timeout), cast_to)

    async def delete(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        cast_to: type[T] | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> Any:
        """``DELETE path``: the decoded JSON body (``None`` when empty), or it as ``cast_to``."""
        return _decode(await self.request("DELETE", path, params=params, json=json, timeout=timeout), cast_to)

    # -- what the server offers --------------------------------------------------------------

    async def features(self, *, refresh: bool = False, timeout: TimeoutArg = NOT_GIVEN) -> ServerFeatures:
        """What this server supports (paths, node types), read once from ``/openapi.json`` and cached."""
        state = self._state
        if state.features is not None and not refresh:
            return state.features
        async with state.features_lock:
            if state.features is not None and not refresh:
                return state.features
            openapi = await self.get("/openapi.json", timeout=timeout)
            version = await self.get("/api/v1/app/version", timeout=timeout)
            state.features = ServerFeatures(
                openapi if isinstance(openapi, dict) else {},
                version=version.get("version") if isinstance(version, dict) else None,
            )
            return state.features

    async def require(self, feature: str) -> ServerFeatures:
        """The server's features; :class:`FeatureNotSupportedError` unless it offers ``feature``."""
        features = await self.features()
        features.require(feature)  # the error names the release that added the feature
        return features

    # -- lifecycle ---------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the session: its event socket and its connection pool (if it created the pool)."""
        failures: list[Exception] = []
        try:
            while self._state.closers:  # newest first; one failing closer does not skip the others
                try:
                    await self._state.closers.pop()()
                except Exception as exc:
                    failures.append(exc)
        finally:
            await self._transport.aclose()
        if failures:
            raise failures[0]

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        creds = self._transport.credentials
        auth = "token" if creds.token else ("login" if creds.can_login else "none")
        return f"{type(self).__name__}(base_url={str(self.base_url)!r}, auth={auth})"


_ADAPTERS: dict[Any, Any] = {}
"""``pydantic.TypeAdapter`` per target type (pydantic is imported with the first validation)."""


def validate_response(cast_to: Any, response: httpx.Response) -> Any:
    """The JSON body of ``response`` validated into ``cast_to`` (a model class or any type hint)."""
    import pydantic

    adapter = _ADAPTERS.get(cast_to)
    if adapter is None:
        adapter = _ADAPTERS[cast_to] = pydantic.TypeAdapter(cast_to)
    try:
        return adapter.validate_json(response.content)
    except pydantic.ValidationError as exc:
        raise APIResponseValidationError(
            f"Unexpected response shape from {response.request.method} {response.request.url.path}: {exc}",
            response=response,
        ) from exc


def decode_json(response: httpx.Response) -> Any:
    """The decoded JSON body (``None`` for an empty one); a body that is not JSON raises."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise APIResponseValidationError(
            f"{response.request.method} {response.request.url.path} answered {response.status_code} "
            "with a body that is not JSON.",
            response=response,
        ) from exc


def _decode(response: httpx.Response, cast_to: Any) -> Any:
    return decode_json(response) if cast_to is None else validate_response(cast_to, response)
