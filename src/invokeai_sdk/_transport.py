"""The one request loop: build -> send -> retry (safe requests only) -> map errors.

Every REST call of the SDK goes through :meth:`Transport.request` or :meth:`Transport.stream`.
Nothing else in the package talks to httpx directly, and no httpx exception leaves this module
unwrapped.

Retry policy (``max_retries`` attempts after the first):

* a connection that could not be opened (connect error or timeout, pool timeout) is retried for every
  method: the request never left this process;
* any other transport failure (reset, broken or timed-out read) is retried only for safe methods
  (GET, HEAD, OPTIONS, PUT, DELETE), because the server may already have acted on a POST or PATCH;
* statuses 408, 429, 502, 503 and 504 are retried for safe methods only;
* POST and PATCH are never retried once sent: InvokeAI has no idempotency keys, so a retried
  ``enqueue_batch`` would run the job twice; the POSTs that only read (``items_by_ids``,
  ``item_summaries_by_ids``, ``images_by_names``) say ``idempotent=True`` and count as safe;
* the delay is exponential with jitter, or the server's ``Retry-After`` (capped).

Auth: a static token is sent as ``Authorization: Bearer``; with email and password the transport logs
in lazily, adopts ``X-Refreshed-Token`` headers, and on a 401 logs in again once and repeats the
request once (a 401 means the server did not act on it).
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
import urllib.parse
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from ._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ValidationError,
    status_error_from_response,
)
from ._redact import register as register_secrets
from ._types import NOT_GIVEN, NotGiven, TimeoutArg
from ._version import __version__

__all__ = [
    "ClientOptions",
    "Credentials",
    "RequestOptions",
    "StreamedResponse",
    "Transport",
    "as_timeout",
    "join_path",
    "loggable_url",
    "segment",
]

log = logging.getLogger("invokeai_sdk")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=DEFAULT_CONNECT_TIMEOUT)
LOGIN_PATH = "/api/v1/auth/login"
AUTH_STATUS_PATH = "/api/v1/auth/status"
_SECRET_PARAMS = frozenset({"access_token", "token", "password", "api_key", "apikey"})
REFRESHED_TOKEN_HEADER = "x-refreshed-token"


# Patched by tests so that backoff is observable without real waiting.
async def _sleep(seconds: float) -> None:
    import anyio  # with the first retry: ``import invokeai_sdk`` stays light

    await anyio.sleep(seconds)


_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_NEVER_RETRY = (httpx.UnsupportedProtocol, httpx.ProxyError)


def as_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    """The one rule turning a ``timeout=`` value into an :class:`httpx.Timeout`.

    Seconds bound every phase, connecting at most :data:`DEFAULT_CONNECT_TIMEOUT` of them (a dead
    host fails fast whatever the read budget); ``None`` means no limit; an ``httpx.Timeout`` is kept.
    """
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if timeout is None:
        return httpx.Timeout(None)
    seconds = float(timeout)
    return httpx.Timeout(seconds, connect=min(seconds, DEFAULT_CONNECT_TIMEOUT))


@dataclass(frozen=True)
class ClientOptions:
    """Per-client request options; :meth:`AsyncInvokeAI.with_options` makes a changed copy."""

    timeout: httpx.Timeout = field(default_factory=lambda: DEFAULT_TIMEOUT)
    max_retries: int = 2


@dataclass(frozen=True, kw_only=True)
class RequestOptions:
    """Everything one request says: where it goes, what it carries, how long and how often to try.

    ``timeout`` and ``max_retries`` left unset take the client's (:class:`ClientOptions`).
    """

    method: str
    path: str
    """An API path such as ``/api/v1/boards/`` (ids in it encoded with :func:`segment`)."""
    params: Mapping[str, Any] | None = None
    json: Any = None
    files: Any = None
    data: Mapping[str, Any] | None = None
    content: bytes | None = None
    headers: Mapping[str, str] | None = None
    timeout: TimeoutArg = NOT_GIVEN
    max_retries: int | None = None
    idempotent: bool | None = None
    """Whether sending it twice does no harm, so a failure after it left may be retried. ``None``: by
    the method (GET, HEAD, OPTIONS, PUT, DELETE are); ``True`` for a POST that only reads."""


class Credentials:
    """The session's secrets. Shared by every copy of a client; never shown by ``repr``."""

    __slots__ = ("__weakref__", "email", "password", "token")

    def __init__(self, *, token: str | None, email: str | None, password: str | None) -> None:
        self.token = token
        self.email = email
        self.password = password

    @property
    def can_login(self) -> bool:
        """True when email and password are known, so a fresh token can be had at any time."""
        return bool(self.email and self.password)

    def __repr__(self) -> str:
        return (
            f"Credentials(token={'***' if self.token else None}, email={self.email!r}, "
            f"password={'***' if self.password else None})"
        )


def join_path(base_url: httpx.URL, path: str) -> httpx.URL:
    """``base_url`` + ``path``, keeping any path prefix of the base URL (reverse proxies).

    Characters a path cannot hold as they are (non-ASCII, spaces) are percent-encoded; ``/`` stays a
    separator, so ids interpolated into ``path`` must go through :func:`segment` first.
    """
    prefix = base_url.raw_path.split(b"?", 1)[0].rstrip(b"/")
    encoded = urllib.parse.quote(path.lstrip("/"), safe="/%:@!$&'()*+,;=~")
    return base_url.copy_with(raw_path=prefix + b"/" + encoded.encode("ascii"))


def loggable_url(url: httpx.URL) -> str:
    """``url`` for logs: user info dropped and secret query values (``access_token``, ...) masked."""
    if url.userinfo:
        url = url.copy_with(userinfo=b"")
    if url.query and any(key.lower() in _SECRET_PARAMS for key in url.params):
        masked = [(k, "***" if k.lower() in _SECRET_PARAMS else v) for k, v in url.params.multi_items()]
        url = url.copy_with(params=masked)
    return str(url)


class _LoggedURL:
    """A URL that becomes its :func:`loggable_url` text only when a log record is really formatted."""

    __slots__ = ("url",)

    def __init__(self, url: httpx.URL) -> None:
        self.url = url

    def __str__(self) -> str:
        return loggable_url(self.url)


def segment(value: object) -> str:
    """``value`` as exactly one URL path segment (``/``, ``?``, ``#``, ``%`` and the rest encoded).

    Empty text, ``.`` and ``..`` raise :class:`ValidationError`: URL normalisation would drop or
    climb over them, so the request would reach another endpoint (``DELETE /api/v1/boards/..`` is
    ``DELETE /api/v1``).
    """
    text = str(value)
    if text in ("", ".", ".."):
        raise ValidationError(
            f"{text!r} cannot be an id or name in a URL path (it is empty or a dot segment)."
        )
    return urllib.parse.quote(text, safe="")


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not params:
        return None
    cleaned: dict[str, Any] = {}
    for key, value in params.items():
        if value is None or isinstance(value, NotGiven):
            continue
        if isinstance(value, bool):
            cleaned[key] = "true" if value else "false"
        elif isinstance(value, list | tuple | set | frozenset):
            cleaned[key] = [str(v) for v in value]
        else:
            cleaned[key] = value
    return cleaned


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The server's ``Retry-After`` (or ``retry-after-ms``) in seconds, if it sent a usable one."""
    ms = response.headers.get("retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        if parsed is None:
            return None
        return max(0.0, email.utils.mktime_tz(parsed) - time.time())


def backoff_delay(attempt: int, response: httpx.Response | None) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based)."""
    if response is not None:
        server_says = retry_after_seconds(response)
        if server_says is not None:
            return min(server_says, MAX_RETRY_AFTER)
    delay = min(INITIAL_RETRY_DELAY * (2.0**attempt), MAX_RETRY_DELAY)
    return delay * (1.0 - 0.25 * random.random())


class StreamedResponse:
    """A response whose body has not been read yet: read it in chunks, or whole.

    Read errors in the middle of the body raise :class:`APIConnectionError`, never an httpx error.
    """

    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status_code(self) -> int:
        """The HTTP status code."""
        return self._response.status_code

    @property
    def http_response(self) -> httpx.Response:
        """The underlying ``httpx.Response`` (for errors that carry the response)."""
        return self._response

    @property
    def headers(self) -> httpx.Headers:
        """The response headers."""
        return self._response.headers

    @property
    def content_length(self) -> int | None:
        """The announced body length, if the server sent one."""
        value = self._response.headers.get("content-length")
        return int(value) if value and value.isdigit() else None

    async def aiter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """The body in chunks, decoded from any content encoding."""
        try:
            async for chunk in self._response.aiter_bytes(chunk_size):
                yield chunk
        except httpx.TimeoutException as exc:
            raise APITimeoutError("Timed out while reading the response body.", request=exc.request) from exc
        except httpx.HTTPError as exc:
            raise APIConnectionError(f"The response body was cut off: {exc}", request=None) from exc

    async def aread(self) -> bytes:
        """The whole body."""
        chunks = [chunk async for chunk in self.aiter_bytes()]
        return b"".join(chunks)


class Transport:
    """Owns the httpx client and the auth state; shared by all copies of one client."""

    def __init__(
        self,
        *,
        base_url: httpx.URL,
        credentials: Credentials,
        http_client: httpx.AsyncClient | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.base_url = base_url
        self.credentials = credentials
        register_secrets(credentials)  # its token and password are masked in every log
        self._owns_http_client = http_client is None
        self._http = http_client if http_client is not None else httpx.AsyncClient(timeout=DEFAULT_TIMEOUT)
        self._default_headers = {
            "Accept": "application/json",
            "User-Agent": f"invokeai-sdk/{__version__}",
            **(dict(default_headers) if default_headers else {}),
        }
        self._login_lock: Any = None  # an anyio.Lock, made with the first login
        self._has_accounts: bool | None = None  # learnt from /auth/status before the first login
        self._closed = False

    @property
    def default_headers(self) -> dict[str, str]:
        """The headers sent with every request (the SDK's plus the session's ``default_headers``)."""
        return dict(self._default_headers)

    @property
    def is_closed(self) -> bool:
        """True once :meth:`aclose` ran."""
        return self._closed

    def url(self, path: str) -> httpx.URL:
        """The absolute URL of an API path such as ``/api/v1/boards/``."""
        return join_path(self.base_url, path)

    def auth_headers(self) -> dict[str, str]:
        """The ``Authorization`` header for the current token (empty without one)."""
        token = self.credentials.token
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def aclose(self) -> None:
        """Close the connection pool (only when this transport created it)."""
        if self._closed:
            return
        self._closed = True
        if self._owns_http_client:
            await self._http.aclose()

    async def request(
        self, request: RequestOptions, *, options: ClientOptions, authenticate: bool = True
    ) -> httpx.Response:
        """Send a request and return the response with its body read; raise on error statuses."""
        return await self._send(request, options=options, authenticate=authenticate, stream=False)

    @asynccontextmanager
    async def stream(
        self, request: RequestOptions, *, options: ClientOptions
    ) -> AsyncIterator[StreamedResponse]:
        """Send a request and yield the response before its body is read (error statuses raise)."""
        response = await self._send(request, options=options, authenticate=True, stream=True)
        try:
            yield StreamedResponse(response)
        finally:
            await response.aclose()

    async def _send(
        self, spec: RequestOptions, *, options: ClientOptions, authenticate: bool, stream: bool
    ) -> httpx.Response:
        if self._closed:
            raise APIConnectionError("This client is closed.")
        method = spec.method.upper()
        safe = method in SAFE_METHODS if spec.idempotent is None else spec.idempotent
        retries_left = options.max_retries if spec.max_retries is None else spec.max_retries
        attempt = 0
        relogged = False
        timeout = options.timeout if isinstance(spec.timeout, NotGiven) else as_timeout(spec.timeout)
        try:
            url = self.url(spec.path)
        except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
            raise ValidationError(f"Cannot build a URL for {method} {spec.path[:200]!r}: {exc}") from exc
        clean_params = _clean_params(spec.params)
        while True:
            if authenticate:
                await self.ensure_logged_in()
            sent_token = self.credentials.token if authenticate else None
            request = self._build(
                method,
                url,
                params=clean_params,
                json=spec.json,
                files=spec.files,
                data=spec.data,
                content=spec.content,
                headers={
                    **self._default_headers,
                    **(self.auth_headers() if authenticate else {}),
                    **(dict(spec.headers) if spec.headers else {}),
                },
                timeout=timeout,
            )
            shown = _LoggedURL(request.url)
            log.debug("%s %s (attempt %d)", method, shown, attempt + 1)
            try:
                response = await self._http.send(request, stream=True)
                if not stream and response.status_code < 400:
                    await response.aread()
            except _NEVER_RETRY as exc:
                raise APIConnectionError(f"{method} {shown} failed: {exc}", request=request) from exc
            except httpx.TransportError as exc:
                retryable = safe or isinstance(exc, _NOT_SENT)
                if retryable and retries_left > 0:
                    delay = backoff_delay(attempt, None)
                    log.info("%s %s failed (%s); retrying in %.2fs", method, shown, type(exc).__name__, delay)
                    retries_left -= 1
                    attempt += 1
                    await _sleep(delay)
                    continue
                if isinstance(exc, httpx.TimeoutException):
                    raise APITimeoutError(f"{method} {shown} timed out.", request=request) from exc
                raise APIConnectionError(
                    f"{method} {shown} failed: {type(exc).__name__}: {exc}", request=request
                ) from exc

            self._adopt_refreshed_token(response)
            status = response.status_code
            if status < 400:
                log.debug("%s %s -> %d", method, shown, status)
                return response
            # Error statuses: read the body (small) so the error can carry the detail.
            try:
                await response.aread()
            except httpx.HTTPError:
                pass
            finally:
                await response.aclose()
            if status == 401 and authenticate and self.credentials.can_login and not relogged:
                relogged = True
                log.info("%s %s -> 401; logging in again", method, shown)
                await self.login(force=True, stale=sent_token)
                continue
            if safe and status in RETRY_STATUSES and retries_left > 0:
                delay = backoff_delay(attempt, response)
                log.info("%s %s -> %d; retrying in %.2fs", method, shown, status, delay)
                retries_left -= 1
                attempt += 1
                await _sleep(delay)
                continue
            log.debug("%s %s -> %d", method, shown, status)
            raise status_error_from_response(response)

    def _build(self, method: str, url: httpx.URL, **kwargs: Any) -> httpx.Request:
        """``httpx`` request building, its URL errors (a path or query too long, ...) as ValidationError."""
        try:
            return self._http.build_request(method, url, **kwargs)
        except httpx.InvalidURL as exc:
            raise ValidationError(f"Cannot build a URL for {method} {url.path[:200]!r}: {exc}") from exc

    def _adopt_refreshed_token(self, response: httpx.Response) -> None:
        refreshed = response.headers.get(REFRESHED_TOKEN_HEADER)
        if refreshed and refreshed != self.credentials.token:
            log.debug("adopting a refreshed token from the server")
            self.credentials.token = refreshed

    async def ensure_logged_in(self) -> None:
        """Log in once when email and password are known, there is no token yet, and the server has
        accounts (a single-user server refuses logins: credentials from the environment are then unused).
        """
        if self.credentials.token is None and self.credentials.can_login:
            if self._has_accounts is None:
                self._has_accounts = await self._server_has_accounts()
            if self._has_accounts:
                await self.login(force=False)

    async def _server_has_accounts(self) -> bool:
        try:
            response = await self._bare("GET", AUTH_STATUS_PATH, json=None)
        except APIStatusError as exc:
            if exc.status_code == 404:  # before 6.12: no auth API, no accounts
                return False
            raise
        try:
            return bool(response.json().get("multiuser_enabled"))
        except (ValueError, AttributeError):
            return True  # unreadable: try the login and let the server say what is wrong

    async def _bare(self, method: str, path: str, *, json: Any) -> httpx.Response:
        """One unauthenticated request with the default options and no retries (auth bootstrap)."""
        spec = RequestOptions(method=method, path=path, json=json, max_retries=0)
        return await self._send(spec, options=ClientOptions(), authenticate=False, stream=False)

    async def login(self, *, force: bool, stale: str | None = None) -> str:
        """Log in with the session's email and password; return the new token.

        Concurrent callers share one login. ``force`` logs in even when a token is held (after a 401);
        ``stale`` is the token the failed request carried, so a login someone else already made is used.
        """
        if not self.credentials.can_login:
            raise ValidationError("Logging in needs both an email and a password.")
        if self._login_lock is None:
            import anyio

            self._login_lock = anyio.Lock()
        if stale is None:
            stale = self.credentials.token
        async with self._login_lock:
            if self.credentials.token is not None and (not force or self.credentials.token != stale):
                return self.credentials.token  # someone else logged in meanwhile
            response = await self._bare(
                "POST",
                LOGIN_PATH,
                json={
                    "email": self.credentials.email,
                    "password": self.credentials.password,
                    "remember_me": False,
                },
            )
            token = response.json().get("token")
            if not isinstance(token, str) or not token:
                raise APIConnectionError("The login response carried no token.")
            self.credentials.token = token
            log.debug("logged in as %s", self.credentials.email)
            return token
