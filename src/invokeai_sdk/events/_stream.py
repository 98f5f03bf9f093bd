"""``EventStream``: one subscription's bounded, filtered flow of typed events."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import NoReturn

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from .._errors import EventsOverflowError
from ._types import (
    PROGRESS_EVENTS,
    BatchEnqueuedEvent,
    DisconnectedEvent,
    Event,
    QueueClearedEvent,
    QueueItemEvent,
    QueueItemsCanceledEvent,
    QueueItemsRetriedEvent,
    ReconnectedEvent,
    UnknownEvent,
)

__all__ = ["OVERFLOW_LIMIT", "CallbackStream", "EventFilter", "EventStream"]

OVERFLOW_LIMIT = 10_000
"""How many non-progress events a stream keeps beyond its buffer before it ends with an error."""


class EventFilter:
    """Which events a subscription wants; ``None`` means "any"."""

    def __init__(
        self,
        *,
        queue_id: str | None = None,
        types: Iterable[str | type[Event]] | None = None,
        item_ids: Iterable[int] | None = None,
        batch_ids: Iterable[str] | None = None,
        origin: str | None = None,
    ) -> None:
        self.queue_id = queue_id
        self.types = None if types is None else frozenset(_event_name(t) for t in types)
        self.item_ids = None if item_ids is None else frozenset(int(i) for i in item_ids)
        self.batch_ids = None if batch_ids is None else frozenset(str(b) for b in batch_ids)
        self.origin = origin

    def matches(self, event: Event) -> bool:
        """True when ``event`` passes every filter (the connection markers always do)."""
        if isinstance(event, ReconnectedEvent | DisconnectedEvent):
            return True
        if self.types is not None:
            name = event.name if isinstance(event, UnknownEvent) else event.event_name
            if name not in self.types and not (isinstance(event, UnknownEvent) and "*" in self.types):
                return False
        queue_id = getattr(event, "queue_id", None)
        if self.queue_id is not None and queue_id is not None and queue_id != self.queue_id:
            return False
        if self.item_ids is None and self.batch_ids is None and self.origin is None:
            return True
        # Narrowed to some work: only queue events about it (and queue-wide ones) pass.
        if isinstance(event, QueueItemEvent):
            if self.item_ids is not None and event.item_id not in self.item_ids:
                return False
            if self.batch_ids is not None and event.batch_id not in self.batch_ids:
                return False
            return self.origin is None or event.origin == self.origin
        if isinstance(event, BatchEnqueuedEvent):
            if self.item_ids is not None:
                return False
            if self.batch_ids is not None and event.batch_id not in self.batch_ids:
                return False
            return self.origin is None or event.origin == self.origin
        if isinstance(event, QueueItemsCanceledEvent | QueueItemsRetriedEvent):
            ids = (
                event.canceled_item_ids
                if isinstance(event, QueueItemsCanceledEvent)
                else event.retried_item_ids
            )
            return self.item_ids is None or not self.item_ids.isdisjoint(ids)
        return isinstance(event, QueueClearedEvent)


def _event_name(kind: str | type[Event]) -> str:
    if isinstance(kind, str):
        return kind
    if kind is UnknownEvent:
        return "*"
    return kind.event_name


class EventStream:
    """An async iterator of typed events for one subscription.

    Made by ``ivk.events.subscribe(...)``. A consumer that falls behind loses progress events
    (``invocation_progress``, download progress; counted in :attr:`dropped`); every other event is
    kept, beyond ``buffer_size`` in an overflow queue of up to :data:`OVERFLOW_LIMIT` events. A
    consumer that falls further behind than that gets, after the events kept so far, an
    :class:`~invokeai_sdk.EventsOverflowError`: the stream ends rather than lose status, completion
    or error events silently.
    """

    def __init__(self, event_filter: EventFilter, *, buffer_size: int = 1024, bulk_downloads: bool = False):
        if buffer_size < 1:
            raise ValueError(f"buffer_size must be 1 or more, got {buffer_size}")
        self.filter = event_filter
        """Which events this stream receives."""
        self.bulk_downloads = bulk_downloads
        """Whether it also receives the bulk-download events (their own Socket.IO room)."""
        self.dropped = 0
        """How many progress events were dropped because the consumer fell behind."""
        self._send: MemoryObjectSendStream[Event]
        self._receive: MemoryObjectReceiveStream[Event]
        self._send, self._receive = anyio.create_memory_object_stream[Event](buffer_size)
        self._overflow: deque[Event] = deque()
        self._overflow_error: EventsOverflowError | None = None
        self._closed = False

    @property
    def queue_id(self) -> str | None:
        """The queue this stream listens to (``None``: no queue room)."""
        return self.filter.queue_id

    def offer(self, event: Event) -> None:
        """Called by the socket handler: keep ``event`` if it matches; never blocks."""
        if self._closed or not self.filter.matches(event):
            return
        self._push(event)

    def _push(self, event: Event) -> None:
        droppable = isinstance(event, Event) and event.event_name in PROGRESS_EVENTS
        if not self._overflow:
            try:
                self._send.send_nowait(event)
                return
            except anyio.WouldBlock:
                pass
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                self._closed = True
                return
        if droppable:
            self.dropped += 1
        elif len(self._overflow) >= OVERFLOW_LIMIT:
            self._overflow_error = EventsOverflowError(
                f"The event stream ended: its consumer fell {OVERFLOW_LIMIT} events behind its "
                f"buffer; later events were not kept (reconcile through REST and subscribe again).",
                limit=OVERFLOW_LIMIT,
            )
            self.close()
        else:
            self._overflow.append(event)

    async def receive(self) -> Event:
        """The next event (waits for one); raises ``StopAsyncIteration`` once the stream is closed.

        Raises :class:`~invokeai_sdk.EventsOverflowError` instead, once the events kept before an
        overflow have been read.
        """
        try:
            return self._receive.receive_nowait()
        except anyio.WouldBlock:
            if self._overflow:
                return self._overflow.popleft()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            if self._overflow:
                return self._overflow.popleft()
            self._end()
        try:
            return await self._receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            self._end()

    def _end(self) -> NoReturn:
        self._receive.close()
        if self._overflow_error is not None:
            raise self._overflow_error from None
        raise StopAsyncIteration from None

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Event:
        return await self.receive()

    def close(self) -> None:
        """Stop receiving: the iterator ends once the events already buffered are read."""
        self._closed = True
        self._send.close()

    def _dispose(self) -> None:
        self.close()
        self._receive.close()
        self._overflow.clear()

    def __repr__(self) -> str:
        return f"EventStream(queue_id={self.queue_id!r}, dropped={self.dropped})"


class CallbackStream(EventStream):
    """An SDK-internal subscription that hands each matching event to a synchronous callback.

    Used by the job watcher to settle waits right in the socket handler (one hop fewer than a
    stream plus a reader task). The callback must be quick and must not raise or await.
    """

    def __init__(self, event_filter: EventFilter, callback: Callable[[Event], None]) -> None:
        super().__init__(event_filter, buffer_size=1)
        self._callback = callback

    def offer(self, event: Event) -> None:
        """Call the callback with ``event`` when it matches."""
        if not self._closed and self.filter.matches(event):
            self._callback(event)
