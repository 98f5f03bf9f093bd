"""The dispatcher that settles job waits: one event subscription and one poller per session and queue.

``enqueue()`` starts it (joining the queue's room) before it sends the batch, so no status event can
be missed. Every ``wait()`` registers the item it waits for; the watcher settles it exactly once from
the first of: a terminal ``queue_item_status_changed`` event, a bulk ``queue_items_canceled`` event,
or the shared REST poll (one ``item_summaries_by_ids`` request per interval for every waiter). A
reconnect or a cleared queue triggers an immediate poll. Without events (trio, socket refused) the
same poll alone settles the waits; a refused socket is tried again after ``EVENTS_RETRY_AFTER`` s.

It is plain anyio, built from the waiting engine's pieces (``_waiting``), and owns no task: the
shared poller runs inside one of the waits (the first that finds none running) and, when that wait
ends (settled, deadline, cancelled), the next pending wait takes it over.

No wait can hang on a broken server: a poll the server refuses for good (401, 403, 404 on the queue,
...) ends the waits with that error, and so do polls failing in a row for ``GIVE_UP_AFTER`` seconds
(a deadline in time, whatever each failed poll spent on the transport's own retries).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio

from ._errors import (
    APIConnectionError,
    APIStatusError,
    EventsUnavailableError,
    InvokeAIError,
    NotFoundError,
)
from ._queue_items import QueueItems
from ._types import SettledBy
from ._waiting import Poke, describe_error
from .events._connection import get_connection
from .events._stream import CallbackStream, EventFilter
from .events._types import (
    DisconnectedEvent,
    Event,
    QueueClearedEvent,
    QueueItemsCanceledEvent,
    QueueItemStatusChangedEvent,
    ReconnectedEvent,
)
from .types.queue import TERMINAL_STATUSES

if TYPE_CHECKING:
    from ._base_client import BaseClient

__all__ = ["POLL_INTERVAL", "JobWatcher", "Outcome", "SettledBy", "get_watcher"]

log = logging.getLogger("invokeai_sdk.jobs")

POLL_INTERVAL = 1.0
"""Seconds between REST polls of the items being waited for."""
GIVE_UP_AFTER = 30.0
"""Seconds of polls failing in a row (an unreachable server) after which the waits end with the error."""
EVENTS_RETRY_AFTER = 30.0
"""Seconds after a failed subscription before the watcher tries the event socket again."""
_TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

_KNOWN_LIMIT = 10_000
_CHUNK = 500


@dataclass(frozen=True)
class Outcome:
    """How a queue item ended."""

    status: str
    """``completed``, ``failed``, ``canceled``, ``deleted`` (the item no longer exists), ``closed``
    (the session closed while waiting), or ``unknown`` (the server could not be asked: ``error``)."""
    error_type: str | None = None
    error_message: str | None = None
    error_traceback: str | None = None
    error: InvokeAIError | None = None
    """Why the outcome is ``unknown``: the error the last poll raised."""
    settled_by: SettledBy | None = None
    """``"event"``: a queue event told the outcome; ``"poll"``: a REST poll found it (``None``: closed)."""


class _Waiter:
    def __init__(self) -> None:
        self.done = anyio.Event()
        self.outcome: Outcome | None = None

    def settle(self, outcome: Outcome) -> None:
        if self.outcome is None:
            self.outcome = outcome
            self.done.set()


def get_watcher(client: BaseClient, queue_id: str) -> JobWatcher:
    """The session's watcher of ``queue_id`` (made once, shared by ``with_options`` copies)."""
    return client.session.service(JobWatcher, queue_id, lambda: JobWatcher(client, queue_id))


class JobWatcher:
    """Settles every wait on one queue of one session (see the module docstring).

    Plain anyio, no task of its own: the shared poller is run by one of the waits (the first that
    finds none running); when that wait ends, the next pending wait takes the poller over.
    """

    def __init__(self, client: BaseClient, queue_id: str) -> None:
        self._client = client
        self.queue_id = queue_id
        self._waiters: dict[int, list[_Waiter]] = {}
        self._known: OrderedDict[int, Outcome] = OrderedDict()
        self._stream: CallbackStream | None = None
        self._poke = Poke()
        self._poller_gone: anyio.Event | None = None
        """Set when the wait that runs the poller leaves (``None``: no poller runs)."""
        self._start_lock: anyio.Lock | None = None
        self._events_failed_at: float | None = None
        self._poll_failures = 0
        self._failing_since: float | None = None
        self.give_up_after = GIVE_UP_AFTER
        """Seconds of failing polls after which waits end (a knob for tests; default ``GIVE_UP_AFTER``)."""
        self._closed = False
        self.polls = 0
        """How many REST polls this watcher sent (for tests and benchmarks)."""
        self.use_events = True
        """False: never subscribe, settle every wait by polling (tests of the poll path)."""

    @property
    def listening(self) -> bool:
        """True while the watcher receives this queue's events."""
        return self._is_listening()

    @property
    def polling(self) -> bool:
        """True while one of the waits runs the shared poller."""
        return self._poller_gone is not None

    def _is_listening(self) -> bool:
        return self._stream is not None and not self._stream._closed

    async def start(self) -> bool:
        """Subscribe to the queue's events (rooms joined on return); False when events are unavailable.

        A refused subscription (no asyncio loop, the socket refused) is tried again only after
        ``EVENTS_RETRY_AFTER`` seconds.
        """
        if not self.use_events or self._closed:
            return False
        if self.listening:
            return True
        if self._start_lock is None:
            self._start_lock = anyio.Lock()
        async with self._start_lock:
            if self._is_listening():
                return True
            if self._events_failed_at is not None:
                if anyio.current_time() - self._events_failed_at < EVENTS_RETRY_AFTER:
                    return False
                self._events_failed_at = None
            stream = CallbackStream(
                EventFilter(
                    queue_id=self.queue_id,
                    types=["queue_item_status_changed", "queue_items_canceled", "queue_cleared"],
                ),
                self._on_event,
            )
            try:
                await get_connection(self._client).attach(stream)
            except EventsUnavailableError as exc:
                log.info("job waits fall back to polling: %s", exc)
                self._events_failed_at = anyio.current_time()
                return False
            self._stream = stream
            return True

    def _on_event(self, event: Event) -> None:
        """Called in the socket handler: settle waits at once, never block."""
        if isinstance(event, QueueItemStatusChangedEvent):
            if event.item_id is not None and event.status in TERMINAL_STATUSES:
                self._settle(
                    event.item_id,
                    Outcome(
                        event.status,
                        event.error_type,
                        event.error_message,
                        event.error_traceback,
                        settled_by="event",
                    ),
                )
        elif isinstance(event, QueueItemsCanceledEvent):
            for item_id in event.canceled_item_ids:
                self._settle(item_id, Outcome("canceled", settled_by="event"))
        elif isinstance(event, ReconnectedEvent | DisconnectedEvent | QueueClearedEvent):
            self._poke.set()  # events may have been missed (or stopped): ask the server now

    def _settle(self, item_id: int, outcome: Outcome) -> None:
        if outcome.status not in ("deleted", "unknown"):
            self._known[item_id] = outcome
            self._known.move_to_end(item_id)
            if len(self._known) > _KNOWN_LIMIT:
                self._known.popitem(last=False)
        for waiter in self._waiters.pop(item_id, []):
            waiter.settle(outcome)

    # -- waiting ------------------------------------------------------------------------------

    async def wait(self, item_id: int) -> Outcome:
        """Wait until ``item_id`` is terminal (no deadline here: the caller scopes it)."""
        return (await self.wait_many([item_id]))[item_id]

    async def wait_many(
        self, item_ids: list[int], *, settled: dict[int, Outcome] | None = None
    ) -> dict[int, Outcome]:
        """Wait until every item is terminal; one reconciling poll for them all, not one per item.

        An item whose wait ends because the session closed gets the ``closed`` outcome. ``settled``
        (when given) receives the outcomes known when the wait ends, even if it is cancelled.
        """
        ids = list(dict.fromkeys(item_ids))
        waiters = {item_id: _Waiter() for item_id in ids}
        if self._closed:
            closed = {item_id: Outcome("closed") for item_id in ids}
            if settled is not None:
                settled.update(closed)
            return closed
        for item_id, waiter in waiters.items():
            self._waiters.setdefault(item_id, []).append(waiter)
        try:
            unknown = []
            for item_id in ids:
                known = self._known.get(item_id)
                if known is not None:
                    self._settle(item_id, known)
                else:
                    unknown.append(item_id)
            if unknown:
                await self.start()
                # Reconcile once right away: the jobs may have finished before anyone listened.
                await self._poll_guarded([i for i in unknown if waiters[i].outcome is None])
            mine = list(waiters.values())
            while any(w.outcome is None for w in mine):
                gone = self._poller_gone
                if gone is None:
                    await self._run_poller(mine)
                else:  # another wait polls for everyone: wait for our end, or take over when it leaves
                    pending = next(w for w in mine if w.outcome is None)
                    await _first_of([pending.done, gone])
            return {item_id: w.outcome for item_id, w in waiters.items() if w.outcome is not None}
        finally:
            for item_id, waiter in waiters.items():
                if settled is not None and waiter.outcome is not None:
                    settled[item_id] = waiter.outcome
                remaining = [w for w in self._waiters.get(item_id, []) if w is not waiter]
                if remaining:
                    self._waiters[item_id] = remaining
                else:
                    self._waiters.pop(item_id, None)

    async def _run_poller(self, mine: list[_Waiter]) -> None:
        """Run the shared poller (for every wait of the queue) until ``mine`` are all settled."""
        gone = self._poller_gone = anyio.Event()
        try:
            async with anyio.create_task_group() as group:

                async def until_mine_settled() -> None:
                    for waiter in mine:
                        await waiter.done.wait()
                    group.cancel_scope.cancel()

                group.start_soon(until_mine_settled)
                group.start_soon(self._poll_loop)
        finally:
            self._poller_gone = None
            gone.set()

    async def _poll_loop(self) -> None:
        while self._waiters and not self._closed:
            await self._poke.wait(POLL_INTERVAL)
            if not self.listening:
                try:
                    await self.start()  # a no-op while a failed subscription is recent
                except Exception as exc:  # e.g. the login before the socket failed: keep polling
                    log.info("could not subscribe to the queue's events: %s", exc)
                    self._events_failed_at = anyio.current_time()
            await self._poll_guarded(list(self._waiters))

    async def _poll_guarded(self, item_ids: list[int]) -> None:
        """Poll, riding out transient failures; end the waits when the server refuses for good."""
        started = anyio.current_time()
        try:
            await self._poll_once(item_ids)
        except Exception as exc:
            error = describe_error(exc, "polling the queue")  # a bug, not the server: end the waits, loudly
            self._poll_failures += 1
            if self._failing_since is None:
                self._failing_since = started
            permanent = not isinstance(error, APIConnectionError) and not (
                isinstance(error, APIStatusError) and error.status_code in _TRANSIENT_STATUSES
            )
            failing_for = anyio.current_time() - self._failing_since
            if permanent or failing_for >= self.give_up_after:
                log.warning("polling queue items failed; ending the waits: %s", error)
                for item_id in item_ids:
                    self._settle(item_id, Outcome("unknown", error=error, settled_by="poll"))
                if not self._waiters:  # a later wait gets its own deadline
                    self._poll_failures, self._failing_since = 0, None
            else:
                log.info("polling queue items failed (%d in a row): %s", self._poll_failures, error)
        else:
            self._poll_failures = 0
            self._failing_since = None

    async def _poll_once(self, item_ids: list[int]) -> None:
        if not item_ids:
            return
        self.polls += 1
        queue = QueueItems(self._client)
        for start in range(0, len(item_ids), _CHUNK):
            chunk = item_ids[start : start + _CHUNK]
            summaries = await queue.summaries(chunk, queue_id=self.queue_id)
            found = {s.item_id: s for s in summaries}
            for item_id in chunk:
                summary = found.get(item_id)
                if summary is None:
                    self._settle(item_id, Outcome("deleted", settled_by="poll"))
                elif summary.status == "failed":
                    self._settle(item_id, await self._failure(queue, item_id))
                elif summary.status in TERMINAL_STATUSES:
                    self._settle(item_id, Outcome(summary.status, settled_by="poll"))

    async def _failure(self, queue: QueueItems, item_id: int) -> Outcome:
        """The failed item's error details; without them (item gone, GET failed) just ``failed``."""
        try:
            item = await queue.get(item_id, queue_id=self.queue_id)
        except NotFoundError:
            return Outcome("failed", settled_by="poll")
        except InvokeAIError as exc:
            log.info("could not read the error of failed queue item %d: %s", item_id, exc)
            return Outcome("failed", settled_by="poll")
        return Outcome("failed", item.error_type, item.error_message, item.error_traceback, settled_by="poll")

    async def aclose(self) -> None:
        """Stop listening and polling; pending waits end at once with the ``closed`` outcome."""
        self._closed = True
        for item_id in list(self._waiters):
            for waiter in self._waiters.pop(item_id, []):
                waiter.settle(Outcome("closed"))
        self._poke.set()
        stream, self._stream = self._stream, None
        if stream is not None:
            await get_connection(self._client).detach(stream)


async def _first_of(events: list[anyio.Event]) -> None:
    """Return when the first of ``events`` is set."""
    async with anyio.create_task_group() as group:

        async def wait(event: anyio.Event) -> None:
            await event.wait()
            group.cancel_scope.cancel()

        for event in events:
            group.start_soon(wait, event)
