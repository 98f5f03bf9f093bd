"""``AsyncInvokeAI``: one session with an InvokeAI server."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio
import httpx

from ._errors import ValidationError
from ._features import ServerFeatures
from ._transport import DEFAULT_TIMEOUT, ClientOptions, Credentials, Transport
from ._types import NOT_GIVEN, NotGiven, TimeoutArg

if TYPE_CHECKING:
    from .events import EventsResource
    from .resources.app import AppResource
    from .resources.auth import AuthResource
    from .resources.boards import BoardsResource
    from .resources.graphs import GraphsResource
    from .resources.images import ImagesResource
    from .resources.models import ModelsResource
    from .resources.queue import QueueResource
    from .resources.videos import VideosResource
    from .resources.workflows import WorkflowsResource

__all__ = ["DEFAULT_BASE_URL", "AsyncInvokeAI"]

DEFAULT_BASE_URL = "http://127.0.0.1:9090"


class _SessionState:
    """What every copy of one session shares (made by :meth:`AsyncInvokeAI.with_options`)."""

    def __init__(self) -> None:
        self.features: ServerFeatures | None = None
        self.features_lock = anyio.Lock()
        self.closers: list[Callable[[], Awaitable[None]]] = []
        """Async callbacks run by ``aclose()`` before the pool closes (event socket, ...)."""
        self.extras: dict[str, Any] = {}


def _to_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if timeout is None:
        return httpx.Timeout(None)
    return httpx.Timeout(float(timeout), connect=min(float(timeout), 10.0))


class AsyncInvokeAI:
    """An async session with one InvokeAI server.

    ::

        async with AsyncInvokeAI("http://127.0.0.1:9090") as ivk:
            print(await ivk.app.version())

    Arguments left unset fall back to the environment: ``INVOKEAI_BASE_URL``, ``INVOKEAI_TOKEN``,
    ``INVOKEAI_EMAIL``, ``INVOKEAI_PASSWORD``; the default URL is ``http://127.0.0.1:9090``. A base URL
    with a path (a server behind a reverse proxy at ``https://host/invoke``) works for every call.

    On a multi-user server give ``token=``, or ``email=`` and ``password=``: the session then logs
    in on first use and again when the token expires.
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
        self._options = ClientOptions(timeout=_to_timeout(timeout), max_retries=max_retries)
        self._state = _SessionState()

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

    def with_options(
        self,
        *,
        timeout: TimeoutArg = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
    ) -> AsyncInvokeAI:
        """A copy with other defaults that shares this session (connection pool, login, events)."""
        copy = object.__new__(type(self))
        copy._transport = self._transport
        copy._state = self._state
        copy._options = ClientOptions(
            timeout=self._options.timeout if isinstance(timeout, NotGiven) else _to_timeout(timeout),
            max_retries=self._options.max_retries if isinstance(max_retries, NotGiven) else max_retries,
        )
        return copy

    # -- namespaces --------------------------------------------------------------------------

    @cached_property
    def app(self) -> AppResource:
        """Server version, configuration, dependencies, invocation cache, health and features."""
        from .resources.app import AppResource

        return AppResource(self)

    @cached_property
    def auth(self) -> AuthResource:
        """Accounts on multi-user servers: status, login, logout, the current user."""
        from .resources.auth import AuthResource

        return AuthResource(self)

    @cached_property
    def boards(self) -> BoardsResource:
        """Boards: list, create, rename, archive, delete; move images on and off them."""
        from .resources.boards import BoardsResource

        return BoardsResource(self)

    @cached_property
    def images(self) -> ImagesResource:
        """Gallery images: upload, list, download, star, delete, bulk zip downloads."""
        from .resources.images import ImagesResource

        return ImagesResource(self)

    @cached_property
    def videos(self) -> VideosResource:
        """Gallery videos (servers with the videos API): upload, list, download, star, delete."""
        from .resources.videos import VideosResource

        return VideosResource(self)

    @cached_property
    def models(self) -> ModelsResource:
        """Installed models: discovery, install jobs, updates, deletion, Hugging Face login."""
        from .resources.models import ModelsResource

        return ModelsResource(self)

    @cached_property
    def workflows(self) -> WorkflowsResource:
        """The workflow library, and running GUI workflows from code (typed inputs, sweeps)."""
        from .resources.workflows import WorkflowsResource

        return WorkflowsResource(self)

    @cached_property
    def graphs(self) -> GraphsResource:
        """Graphs in code: the server's node types as callables, and the dry-run check of any graph."""
        from .resources.graphs import GraphsResource

        return GraphsResource(self)

    @cached_property
    def queue(self) -> QueueResource:
        """The session queue: enqueue graphs and batches (job handles), inspect, cancel, pause, retry."""
        from .resources.queue import QueueResource

        return QueueResource(self)

    @cached_property
    def events(self) -> EventsResource:
        """Live server events as typed streams (asyncio; one shared Socket.IO connection per session)."""
        from .events import EventsResource

        return EventsResource(self)

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

    async def __aenter__(self) -> AsyncInvokeAI:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        creds = self._transport.credentials
        auth = "token" if creds.token else ("login" if creds.can_login else "none")
        return f"{type(self).__name__}(base_url={str(self.base_url)!r}, auth={auth})"
