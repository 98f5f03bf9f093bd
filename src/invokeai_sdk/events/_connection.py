"""The session's one Socket.IO connection (the only module that imports ``socketio``).

Connected lazily on first subscription, at the base URL's origin with the Socket.IO path under the
base URL's path. Rooms are reference-counted and re-joined on every reconnect (the server keeps
rooms per socket id); each reconnect also puts a :class:`ReconnectedEvent` into every open stream.
Handlers never await user code: they parse the payload and ``offer`` it to each stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, OrderedDict
from typing import TYPE_CHECKING, Any

import aiohttp
import sniffio
import socketio

from .._errors import EventsUnavailableError
from ._stream import EventStream
from ._types import (
    Event,
    InvocationEvent,
    QueueItemStatusChangedEvent,
    ReconnectedEvent,
    parse_event,
)

if TYPE_CHECKING:
    from .._client import AsyncInvokeAI

__all__ = ["EventConnection", "get_connection"]

log = logging.getLogger("invokeai_sdk.events")

_STATE_KEY = "events.connection"
_CONNECT_TIMEOUT = 10.0
_DEDUPE_WINDOW = 4096

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


def get_connection(client: AsyncInvokeAI) -> EventConnection:
    """The session's connection object (made once per session, shared by ``with_options`` copies)."""
    conn = client._state.extras.get(_STATE_KEY)
    if conn is None:
        conn = client._state.extras[_STATE_KEY] = EventConnection(client)
        client._state.closers.append(conn.aclose)
    assert isinstance(conn, EventConnection)
    return conn


class EventConnection:
    """One python-socketio ``AsyncClient`` per session, fanning events out to :class:`EventStream` s."""

    def __init__(self, client: AsyncInvokeAI) -> None:
        self._client = client
        self._sio: socketio.AsyncClient | None = None
        self._http: aiohttp.ClientSession | None = None
        """Owned here and handed to engine.io, so no reconnect can leave an aiohttp session open."""
        self._lock: asyncio.Lock | None = None
        self._streams: list[EventStream] = []
        self._rooms: Counter[Room] = Counter()
        self._connected_once = False
        self._closed = False
        self._seen: OrderedDict[tuple[Any, ...], None] = OrderedDict()
        self.reconnects = 0
        """How many times the socket reconnected."""

    @property
    def connected(self) -> bool:
        """True while the socket is connected."""
        return self._sio is not None and self._sio.connected

    # -- connecting ---------------------------------------------------------------------------

    async def _ensure_connected(self) -> socketio.AsyncClient:
        _require_asyncio()
        if self._closed:
            raise EventsUnavailableError("The session is closed.")
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._sio is not None:
                return self._sio
            transport = self._client._transport
            await transport.ensure_logged_in()
            base = self._client.base_url
            origin = f"{base.scheme}://{base.netloc.decode('ascii')}"
            path = base.path.rstrip("/") + "/ws/socket.io"
            if self._http is None or self._http.closed:
                self._http = aiohttp.ClientSession()
            sio = socketio.AsyncClient(
                reconnection=True, reconnection_delay=0.2, reconnection_delay_max=2, http_session=self._http
            )
            sio.on("connect", self._on_connect)
            sio.on("disconnect", self._on_disconnect)
            sio.on("*", self._on_event)

            def auth() -> dict[str, str]:
                token = transport.credentials.token
                return {"token": token} if token else {}

            try:
                await sio.connect(
                    origin,
                    socketio_path=path,
                    transports=["websocket"],
                    auth=auth,
                    wait_timeout=_CONNECT_TIMEOUT,
                )
            except (TimeoutError, socketio.exceptions.SocketIOError, OSError) as exc:
                await _quiet_disconnect(sio)
                await self._close_http()
                raise EventsUnavailableError(
                    f"Cannot open the event socket at {origin}{path}: {exc}"
                ) from exc
            self._sio = sio
            return sio

    async def _on_connect(self) -> None:
        if not self._connected_once:
            self._connected_once = True
            return
        self.reconnects += 1
        log.info("event socket reconnected; re-joining %d room(s)", len(self._rooms))
        sio = self._sio
        if sio is not None:
            for room in list(self._rooms):
                await sio.emit(*_subscribe_message(room, True))
        marker = ReconnectedEvent()
        for stream in list(self._streams):
            stream.offer(marker)

    async def _on_disconnect(self, *args: Any) -> None:
        log.info("event socket disconnected: %s", args)

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
        """Connect if needed, join the stream's rooms (acknowledged by the server), start delivering."""
        try:
            sio = await self._ensure_connected()
        except BaseException:
            stream._dispose()
            raise
        rooms = _rooms_of(stream)
        self._streams.append(stream)
        try:
            for room in rooms:
                self._rooms[room] += 1
                if self._rooms[room] == 1:
                    event, payload = _subscribe_message(room, True)
                    await sio.call(event, payload, timeout=_CONNECT_TIMEOUT)
        except BaseException as exc:
            await self.detach(stream)
            if isinstance(exc, socketio.exceptions.SocketIOError | asyncio.TimeoutError):
                raise EventsUnavailableError(f"Cannot join the event rooms: {exc!r}") from exc
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
                sio = self._sio
                if sio is not None and sio.connected:
                    with contextlib.suppress(socketio.exceptions.SocketIOError):
                        await sio.emit(*_subscribe_message(room, False))

    async def drop_transport(self) -> None:
        """Close the underlying Engine.IO transport without telling Socket.IO (simulates a network drop)."""
        sio = self._sio
        if sio is not None and sio.eio is not None:
            ws = getattr(sio.eio, "ws", None)
            if ws is not None:
                await ws.close()

    async def aclose(self) -> None:
        """Disconnect and end every open stream."""
        self._closed = True
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


async def _quiet_disconnect(sio: socketio.AsyncClient) -> None:
    try:
        await sio.disconnect()
    except Exception:
        log.debug("error while closing the event socket", exc_info=True)
