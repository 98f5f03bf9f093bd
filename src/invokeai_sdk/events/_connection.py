"""The session's one Socket.IO connection (the only module that imports ``socketio``).

Connected lazily on first subscription, at the base URL's origin with the Socket.IO path under the
base URL's path, sending the session's default headers and token. Rooms are reference-counted, with
one join future per room that every subscriber of the room awaits (the server acknowledges joins).

The server keeps rooms per socket id, so they are lost on every disconnect:

* a dropped transport: python-socketio reconnects; on each reconnect a background task re-joins
  every room (acknowledged) and only then puts a :class:`ReconnectedEvent` into every open stream,
  so a consumer that reconciles through REST on the marker cannot miss an event. A subscription
  made while the socket is reconnecting records its rooms; the reconnect joins them.
* a server-side disconnect (a deactivated user, revoked sessions; python-socketio does not
  reconnect after those): the dead client is dropped, every open stream gets a
  :class:`DisconnectedEvent`, and while streams are open a few fresh connections are tried in the
  background (rooms re-joined, then :class:`ReconnectedEvent`). Otherwise the next subscription
  connects afresh.

Handlers never await user code or the network: they parse the payload and ``offer`` it to each
stream, or start a task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, OrderedDict
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import sniffio

from .._errors import AuthenticationError, EventsUnavailableError, InvokeAIError, PermissionDeniedError
from ._stream import EventStream
from ._types import (
    BatchEnqueuedEvent,
    DisconnectedEvent,
    Event,
    InvocationEvent,
    QueueItemStatusChangedEvent,
    ReconnectedEvent,
    parse_event,
)

if TYPE_CHECKING:
    import aiohttp
    import socketio

    from .._base_client import BaseClient

__all__ = ["EventConnection", "get_connection"]

log = logging.getLogger("invokeai_sdk.events")

_CONNECT_TIMEOUT = 10.0
_ME_PATH = "/api/v1/auth/me"
_JOIN_TIMEOUT = 10.0
"""How long one room join waits for the server's acknowledgement on a connected socket."""
_JOIN_WAIT = 15.0
"""How long a subscription waits for its rooms while the socket is reconnecting, before it returns
anyway (the reconnect joins them later and announces itself with a :class:`ReconnectedEvent`)."""
_RESTORE_DELAYS = (0.5, 2.0, 5.0)
"""Delays before each fresh connection tried after a server-side disconnect, while streams are open."""
_DEDUPE_WINDOW = 4096
_NOT_SENT = {"accept", "content-type", "content-length", "host"}
"""Default headers that describe REST requests, not the WebSocket handshake."""

Room = tuple[str, str]
"""``("queue", queue_id)`` or ``("bulk_download", bulk_download_id)``."""


def _require_asyncio() -> None:
    try:
        library = sniffio.current_async_library()
    except sniffio.AsyncLibraryNotFoundError:
        library = None
    if library != "asyncio":
        raise EventsUnavailableError(
            f"Socket.IO events need an asyncio event loop (running under {library or 'no loop'}); "
            "REST calls still work, and job waits fall back to polling."
        )


def get_connection(client: BaseClient) -> EventConnection:
    """The session's connection object (made once per session, shared by ``with_options`` copies)."""
    return client.session.service(EventConnection, None, lambda: EventConnection(client))


class EventConnection:
    """One python-socketio ``AsyncClient`` per session, fanning events out to :class:`EventStream` s."""

    def __init__(self, client: BaseClient) -> None:
        self._client = client
        self._sio: socketio.AsyncClient | None = None
        self._http: aiohttp.ClientSession | None = None
        """Owned here and handed to engine.io, so no reconnect can leave an aiohttp session open."""
        self._lock: asyncio.Lock | None = None
        self._streams: list[EventStream] = []
        self._rooms: Counter[Room] = Counter()
        self._joins: dict[Room, asyncio.Future[None]] = {}
        """One future per recorded room, done once the room is joined on the current socket."""
        self._tasks: set[asyncio.Task[Any]] = set()
        self._restore_task: asyncio.Task[None] | None = None
        self._epoch = 0
        """Bumped on every (re)connect: a join answered for an older socket does not count."""
        self._connected_once = False
        self._closed = False
        self._seen: OrderedDict[tuple[Any, ...], None] = OrderedDict()
        self.reconnects = 0
        """How many times the socket reconnected (python-socketio's reconnects and fresh sockets)."""

    @property
    def connected(self) -> bool:
        """True while the socket is connected."""
        return self._sio is not None and self._sio.connected

    @property
    def reconnecting(self) -> bool:
        """True while python-socketio tries to reconnect a dropped socket."""
        sio = self._sio
        return sio is not None and not sio.connected and _reconnect_pending(sio)

    # -- connecting ---------------------------------------------------------------------------

    async def _ensure_connected(self) -> socketio.AsyncClient:
        """The live socket (connected or reconnecting); a dead one is dropped and replaced."""
        _require_asyncio()
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._closed:
                raise EventsUnavailableError("The session is closed.")
            sio = self._sio
            if sio is not None:
                if _alive(sio):
                    return sio
                log.info("the event socket is gone and not reconnecting; connecting afresh")
                self._forget(sio)
                await _quiet_disconnect(sio)
            sio = await self._connect()
            if self.closed:  # the session closed during the handshake: do not keep the socket
                await _quiet_disconnect(sio)
                raise EventsUnavailableError("The session is closed.")
            self._sio = sio
            return sio

    async def _connect(self, *, checked: bool = False) -> socketio.AsyncClient:
        transport = self._client.transport
        await transport.ensure_logged_in()
        base = self._client.base_url
        origin = f"{base.scheme}://{base.netloc.decode('ascii')}"
        path = base.path.rstrip("/") + "/ws/socket.io"
        import aiohttp  # Socket.IO and aiohttp load with the first event socket, not with the SDK
        import socketio

        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        sio = socketio.AsyncClient(
            reconnection=True,
            reconnection_delay=0.2,
            reconnection_delay_max=2,
            http_session=self._http,
            handle_sigint=False,  # a library installs no process-wide Ctrl-C handler; the caller's stands
        )

        async def on_connect() -> None:
            self._on_connect(sio)

        async def on_disconnect(*args: Any) -> None:
            self._on_disconnect(sio, *args)

        async def on_final() -> None:
            self._on_final(sio)

        sio.on("connect", on_connect)
        sio.on("disconnect", on_disconnect)
        sio.on("__disconnect_final", on_final)  # python-socketio: "this socket will not reconnect"
        sio.on("*", self._on_event)

        def auth() -> dict[str, str]:
            token = transport.credentials.token
            return {"token": token} if token else {}

        try:
            await sio.connect(
                origin,
                headers=self._handshake_headers,  # called again on every reconnect
                socketio_path=path,
                transports=["websocket"],
                auth=auth,
                wait_timeout=_CONNECT_TIMEOUT,
            )
        except (TimeoutError, socketio.exceptions.SocketIOError, OSError, aiohttp.ClientError) as exc:
            await _quiet_disconnect(sio)
            await self._close_http()
            sent = transport.credentials.token
            if isinstance(exc, socketio.exceptions.ConnectionError) and sent and not checked:
                # The server refused the connect: a token it does not accept? REST says so as an
                # AuthenticationError; a token REST renewed (a relogin) gets one more try.
                await self._check_token()
                if transport.credentials.token != sent:
                    return await self._connect(checked=True)
            raise EventsUnavailableError(f"Cannot open the event socket at {origin}{path}: {exc}") from exc
        return sio

    async def _check_token(self) -> None:
        """Ask REST who the token belongs to: a refused token raises ``AuthenticationError`` (or
        ``PermissionDeniedError``); any other answer (an old server without the auth API) is left be."""
        try:
            await self._client.request("GET", _ME_PATH, max_retries=0)
        except (AuthenticationError, PermissionDeniedError):
            raise
        except InvokeAIError as exc:
            log.debug("could not check the session's token after a refused socket: %s", exc)

    def _handshake_headers(self) -> dict[str, str]:
        """The session's default headers and token, for reverse proxies that check the handshake."""
        transport = self._client.transport
        defaults = transport.default_headers
        headers = {k: v for k, v in defaults.items() if k.lower() not in _NOT_SENT}
        headers.update(transport.auth_headers())
        return headers

    def _on_connect(self, sio: socketio.AsyncClient) -> None:
        """A socket (re)connected: re-join the rooms in the background, then announce it."""
        if self._closed:
            return
        self._epoch += 1
        reconnected = self._connected_once
        self._connected_once = True
        if reconnected:
            self.reconnects += 1
            log.info("event socket reconnected; re-joining %d room(s)", len(self._rooms))
        if reconnected or self._rooms:
            self._spawn(self._rejoin(sio, self._epoch, announce=reconnected))

    def _on_disconnect(self, sio: socketio.AsyncClient, *args: Any) -> None:
        log.info("event socket disconnected: %s", args)
        if sio is self._sio:
            self._invalidate_joins()
            # Older python-socketio may not send "__disconnect_final": check once its handler is done.
            asyncio.get_running_loop().call_soon(self._check_alive, sio)

    def _check_alive(self, sio: socketio.AsyncClient) -> None:
        if sio is self._sio and not _alive(sio):
            self._on_final(sio)

    def _on_final(self, sio: socketio.AsyncClient) -> None:
        """The socket will not come back by itself (server-side disconnect, or reconnecting gave up)."""
        if self._closed or sio is not self._sio:
            return
        log.warning("the server closed the event socket; it is not reconnecting by itself")
        self._forget(sio)
        marker = DisconnectedEvent()
        for stream in list(self._streams):
            stream.offer(marker)
        if self._rooms and (self._restore_task is None or self._restore_task.done()):
            self._restore_task = self._spawn(self._restore())

    def _forget(self, sio: socketio.AsyncClient) -> None:
        if self._sio is sio:
            self._sio = None
        self._invalidate_joins()

    def _invalidate_joins(self) -> None:
        """The server forgot this socket's rooms: joined rooms need joining again."""
        loop = asyncio.get_running_loop()
        for room, fut in list(self._joins.items()):
            if fut.done():
                self._joins[room] = loop.create_future()

    async def _restore(self) -> None:
        """Try a few fresh sockets while streams still want rooms (the connect re-joins them)."""
        for delay in _RESTORE_DELAYS:
            await asyncio.sleep(delay)
            if self._closed or not self._rooms:
                return
            try:
                await self._ensure_connected()
                return
            except EventsUnavailableError as exc:
                log.info("reconnecting the event socket failed: %s", exc)
        log.warning("could not reconnect the event socket; the next subscription tries again")

    async def _rejoin(self, sio: socketio.AsyncClient, epoch: int, *, announce: bool) -> None:
        """Join every recorded room (acknowledged), then put a marker into every open stream."""
        rooms = list(self._rooms)
        results = await asyncio.gather(*(_call_join(sio, room) for room in rooms), return_exceptions=True)
        if epoch != self._epoch or self._closed:
            return  # the socket dropped again meanwhile: the next connect re-joins and announces
        for room, result in zip(rooms, results, strict=True):
            fut = self._joins.get(room)
            if fut is None or fut.done():
                continue
            if isinstance(result, BaseException):
                log.warning("re-joining the event room %s failed: %r", room, result)
                if sio.connected:
                    _fail(fut, EventsUnavailableError(f"Cannot join the event room {room}: {result!r}"))
            else:
                fut.set_result(None)
        if announce:
            marker = ReconnectedEvent()
            for stream in list(self._streams):
                stream.offer(marker)

    async def _join(
        self, sio: socketio.AsyncClient, room: Room, fut: asyncio.Future[None], epoch: int
    ) -> None:
        """Join one new room on a connected socket; a socket that dropped meanwhile leaves it to the
        reconnect."""
        try:
            await _call_join(sio, room)
        except Exception as exc:
            if not fut.done() and epoch == self._epoch and sio.connected and sio is self._sio:
                _fail(fut, EventsUnavailableError(f"Cannot join the event room {room}: {exc!r}"))
            return
        if not fut.done() and epoch == self._epoch:
            fut.set_result(None)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("event socket task failed", exc_info=task.exception())

    async def _on_event(self, name: str, data: Any = None, *rest: Any) -> None:
        event = parse_event(name, data)
        if self._is_duplicate(event):
            return
        for stream in list(self._streams):
            stream.offer(event)

    def _is_duplicate(self, event: Event) -> bool:
        """Some servers (6.13.8) send the same event twice; drop the second copy."""
        key: tuple[Any, ...]
        if isinstance(event, QueueItemStatusChangedEvent) and event.status_sequence is not None:
            key = (event.event_name, event.queue_id, event.item_id, event.status_sequence, event.status)
        elif isinstance(event, InvocationEvent) and event.event_name != "invocation_progress":
            inv_id = (event.invocation or {}).get("id")
            if inv_id is None:
                return False
            key = (event.event_name, event.queue_id, event.item_id, inv_id, event.session_id)
        elif isinstance(event, BatchEnqueuedEvent) and event.batch_id is not None:
            key = (event.event_name, event.queue_id, event.batch_id)
        else:
            return False
        if key in self._seen:
            return True
        self._seen[key] = None
        if len(self._seen) > _DEDUPE_WINDOW:
            self._seen.popitem(last=False)
        return False

    # -- streams ------------------------------------------------------------------------------

    async def attach(self, stream: EventStream) -> None:
        """Connect if needed, join the stream's rooms (acknowledged by the server), start delivering.

        Every subscriber of a room awaits the same join. While the socket is reconnecting the rooms
        are recorded and the reconnect joins them: this waits for that up to a bound, then returns
        anyway (a :class:`ReconnectedEvent` follows once they are joined). Raises
        ``EventsUnavailableError`` for no asyncio loop, a closed session, a refused connect, or a
        join the connected server did not acknowledge.
        """
        try:
            await self._ensure_connected()
        except BaseException:
            stream._dispose()
            raise
        loop = asyncio.get_running_loop()
        self._streams.append(stream)
        try:
            joins: list[asyncio.Future[None]] = []
            for room in _rooms_of(stream):
                self._rooms[room] += 1
                fut = self._joins.get(room)
                if fut is None or _failed(fut):
                    fut = self._joins[room] = loop.create_future()
                    sio = self._sio
                    if sio is not None and "/" in sio.namespaces:
                        self._spawn(self._join(sio, room, fut, self._epoch))
                    # else: reconnecting (or restoring): the connect handler's re-join joins it
                joins.append(fut)
            if joins:
                await asyncio.wait(joins, timeout=_JOIN_WAIT)
            for fut in joins:
                if not fut.done():
                    log.info("the event socket is reconnecting; its rooms are joined once it is back")
                elif (exc := fut.exception()) is not None:
                    raise EventsUnavailableError(str(exc)) from exc
        except BaseException:
            await self.detach(stream)
            raise

    async def detach(self, stream: EventStream) -> None:
        """Stop delivering to ``stream`` and leave the rooms nobody else needs."""
        if stream in self._streams:
            self._streams.remove(stream)
        stream._dispose()
        for room in _rooms_of(stream):
            if self._rooms[room] <= 0:
                continue
            self._rooms[room] -= 1
            if self._rooms[room] == 0:
                del self._rooms[room]
                self._joins.pop(room, None)
                sio = self._sio
                if sio is not None and sio.connected:
                    from socketio.exceptions import SocketIOError

                    with contextlib.suppress(SocketIOError):
                        await sio.emit(*_subscribe_message(room, False))

    async def drop_transport(self) -> None:
        """Close the underlying Engine.IO transport without telling Socket.IO (simulates a network drop)."""
        sio = self._sio
        if sio is not None and sio.eio is not None:
            ws = getattr(sio.eio, "ws", None)
            if ws is not None:
                await ws.close()

    @property
    def closed(self) -> bool:
        """True once :meth:`aclose` ran (read afresh: it can change across an ``await``)."""
        return self._closed

    async def aclose(self) -> None:
        """Disconnect and end every open stream; pending subscriptions fail with the session closed."""
        self._closed = True
        for fut in self._joins.values():
            if not fut.done():
                _fail(fut, EventsUnavailableError("The session is closed."))
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:  # only ever made under asyncio (aclose may run under trio)
            await asyncio.gather(*tasks, return_exceptions=True)
        for stream in list(self._streams):
            stream.close()
        self._streams.clear()
        sio, self._sio = self._sio, None
        if sio is not None:
            await _quiet_disconnect(sio)
        await self._close_http()

    async def _close_http(self) -> None:
        http, self._http = self._http, None
        if http is not None and not http.closed:
            await http.close()


def _rooms_of(stream: EventStream) -> list[Room]:
    rooms: list[Room] = []
    if stream.queue_id is not None:
        rooms.append(("queue", stream.queue_id))
    if stream.bulk_downloads:
        rooms.append(("bulk_download", "default"))
    return rooms


def _subscribe_message(room: Room, join: bool) -> tuple[str, dict[str, str]]:
    kind, ident = room
    verb = "subscribe" if join else "unsubscribe"
    if kind == "queue":
        return f"{verb}_queue", {"queue_id": ident}
    return f"{verb}_bulk_download", {"bulk_download_id": ident}


async def _call_join(sio: socketio.AsyncClient, room: Room) -> None:
    """Join ``room``, waiting for the server's acknowledgement."""
    await sio.call(*_subscribe_message(room, True), timeout=_JOIN_TIMEOUT)


def _reconnect_pending(sio: socketio.AsyncClient) -> bool:
    task = getattr(sio, "_reconnect_task", None)
    return task is not None and not task.done()


def _alive(sio: socketio.AsyncClient) -> bool:
    """Connected, connecting, or reconnecting: not a socket the server closed for good."""
    return bool(sio.connected or "/" in sio.namespaces or _reconnect_pending(sio))


def _failed(fut: asyncio.Future[None]) -> bool:
    return fut.done() and not fut.cancelled() and fut.exception() is not None


def _fail(fut: asyncio.Future[None], exc: BaseException) -> None:
    fut.set_exception(exc)
    fut.exception()  # retrieved: nobody may be waiting, and that is no error


async def _quiet_disconnect(sio: socketio.AsyncClient) -> None:
    """Disconnect, or stop reconnecting; never raises."""
    try:
        if not sio.connected and _reconnect_pending(sio) and hasattr(sio, "shutdown"):
            await sio.shutdown()
        else:
            await sio.disconnect()
    except Exception:
        log.debug("error while closing the event socket", exc_info=True)
