"""``ivk.events``: typed Socket.IO event streams."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from .._resource import AsyncAPIResource
from ._connection import get_connection
from ._stream import EventFilter, EventStream
from ._types import Event

__all__ = ["EventsResource"]


class EventsResource(AsyncAPIResource):
    """The server's live events, as typed pydantic models (asyncio only).

    ::

        async with ivk.events.subscribe(types=["queue_item_status_changed"]) as stream:
            job = await ivk.queue.enqueue(graph)
            async for event in stream:
                ...
    """

    @asynccontextmanager
    async def subscribe(
        self,
        *,
        queue_id: str | None = "default",
        types: Iterable[str | type[Event]] | None = None,
        item_ids: Iterable[int] | None = None,
        batch_ids: Iterable[str] | None = None,
        origin: str | None = None,
        bulk_downloads: bool = False,
        buffer_size: int = 1024,
    ) -> AsyncIterator[EventStream]:
        """Open a filtered stream of events; rooms are joined before this returns.

        ``queue_id`` joins that queue's room (``None``: none); ``bulk_downloads`` joins the bulk
        download room. ``types`` (event names or classes), ``item_ids``, ``batch_ids`` and ``origin``
        narrow what the stream yields. A reconnect shows as a ``ReconnectedEvent``. Raises
        ``EventsUnavailableError`` when events cannot be used (no asyncio loop, socket refused).
        """
        stream = EventStream(
            EventFilter(
                queue_id=queue_id, types=types, item_ids=item_ids, batch_ids=batch_ids, origin=origin
            ),
            buffer_size=buffer_size,
            bulk_downloads=bulk_downloads,
        )
        conn = get_connection(self._client)
        await conn.attach(stream)
        try:
            yield stream
        finally:
            await conn.detach(stream)

    @property
    def connected(self) -> bool:
        """True while the session's event socket is connected."""
        return get_connection(self._client).connected

    @property
    def reconnects(self) -> int:
        """How many times the session's event socket reconnected."""
        return get_connection(self._client).reconnects
