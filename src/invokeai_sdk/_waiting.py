"""The one waiting engine: settle long work from events, else by polling, within one deadline.

Every wait of the SDK (queue items, model installs, bulk zips) has the same shape: subscribe to the
work's events first, then ask the server over REST (a *probe*), so a transition between the two is
never lost; return as soon as a probe says the work is over; between probes wait for a matching
event (or a *poke*) up to a quiet period; when the event stream ends or was never there, poll on a
backoff schedule. One :class:`Deadline` turns the caller's ``wait_timeout`` into a point in time and
raises :class:`WaitTimeoutError` naming what was waited for. Everything here is plain anyio: under
trio (no events) the same poll path runs.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import anyio

from ._errors import EventsUnavailableError, InvokeAIError, WaitTimeoutError
from ._types import NotGiven, SettledBy
from ._warnings import warn_user

__all__ = [
    "Deadline",
    "EventSource",
    "Poke",
    "Settled",
    "as_source",
    "backoff",
    "describe_error",
    "resolve_wait_timeout",
    "settle",
    "subscribed",
    "wait_for_event",
]

T = TypeVar("T")
E = TypeVar("E")

_ENDED = object()


def resolve_wait_timeout(wait_timeout: float | None, timeout: float | None | NotGiven) -> float | None:
    """The deadline of a ``wait()`` given ``wait_timeout`` and the deprecated ``timeout`` keyword.

    ``timeout`` (the old name) still works, with a ``DeprecationWarning``; giving both raises
    ``TypeError``.
    """
    if isinstance(timeout, NotGiven):
        return wait_timeout
    if wait_timeout is not None:
        raise TypeError("give wait_timeout= only (timeout= is its deprecated old name), not both")
    warn_user(
        "wait(timeout=...) is deprecated: the wait's deadline is now named wait_timeout= "
        "(timeout= means the HTTP timeout of each request everywhere else)"
    )
    if timeout is not None and not isinstance(timeout, int | float):
        raise TypeError(f"wait_timeout must be seconds (a number) or None, got {timeout!r}")
    return timeout


class Deadline:
    """One wait's deadline: ``seconds`` from now (``None``: none), and the error raised when it passes.

    ``describe()`` (or the string) says what was waited for; it is read when the time is up, so it
    can name the latest state.
    """

    def __init__(self, seconds: float | None, describe: str | Callable[[], str]) -> None:
        if seconds is not None and (not isinstance(seconds, int | float) or math.isnan(seconds)):
            raise TypeError(f"wait_timeout must be seconds (a number) or None, got {seconds!r}")
        self.seconds = seconds
        self._at = math.inf if seconds is None else anyio.current_time() + max(seconds, 0.0)
        self._describe = describe

    def remaining(self) -> float:
        """Seconds left (``inf`` without a deadline, 0 once passed)."""
        return max(self._at - anyio.current_time(), 0.0)

    @property
    def expired(self) -> bool:
        """True once the deadline has passed."""
        return anyio.current_time() >= self._at

    def clip(self, seconds: float) -> float:
        """``seconds``, or less when the deadline comes first."""
        return max(min(seconds, self.remaining()), 0.0)

    def error(self) -> WaitTimeoutError:
        """The :class:`WaitTimeoutError` telling what did not finish in time."""
        text = self._describe() if callable(self._describe) else self._describe
        return WaitTimeoutError(text)

    def check(self) -> None:
        """Raise :meth:`error` once the deadline has passed."""
        if self.expired:
            raise self.error()

    @contextmanager
    def enforce(self) -> Iterator[None]:
        """Cancel the body when the deadline passes, and raise :meth:`error` then."""
        timed_out = False
        with anyio.move_on_after(self.remaining() if math.isfinite(self._at) else None) as scope:
            yield
        timed_out = scope.cancelled_caught
        if timed_out:
            raise self.error()

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` or until the deadline, whichever comes first."""
        await anyio.sleep(self.clip(seconds))


def backoff(first: float, cap: float, factor: float = 2.0) -> Iterator[float]:
    """Delays between polls: ``first``, then ``factor`` times longer each time, never above ``cap``."""
    delay = min(first, cap)
    while True:
        yield delay
        delay = min(cap, delay * factor)


class Poke:
    """A wake-up that can be sent many times: :meth:`wait` returns early once :meth:`set` was called."""

    def __init__(self) -> None:
        self._event = anyio.Event()

    def set(self) -> None:
        """Wake the current (or next) :meth:`wait`."""
        self._event.set()

    async def wait(self, within: float) -> bool:
        """Wait up to ``within`` seconds; True (and re-armed) when poked."""
        with anyio.move_on_after(max(within, 0.0)):
            await self._event.wait()
        poked = self._event.is_set()
        if poked:
            self._event = anyio.Event()
        return poked


class EventSource(Protocol):
    """What the engine reads events from: ``receive()`` the next one, ``StopAsyncIteration`` at the end."""

    async def receive(self) -> Any: ...


async def wait_for_event(source: EventSource, matches: Callable[[Any], bool], within: float) -> Any:
    """The first event ``matches()`` accepts within ``within`` seconds; ``None`` when none came,
    the module's end marker when the stream ended (see :func:`settle`)."""
    with anyio.move_on_after(max(within, 0.0)):
        while True:
            try:
                event = await source.receive()
            except StopAsyncIteration:
                return _ENDED
            if matches(event):
                return event
    return None


@asynccontextmanager
async def subscribed(client: Any, **filters: Any) -> AsyncIterator[EventSource | None]:
    """The session's events matching ``filters`` (``events.subscribe(...)``), or ``None`` without them.

    ``None`` when the client has no events namespace or the socket cannot be used (trio, refused).
    """
    events = getattr(client, "events", None)
    subscribe = getattr(events, "subscribe", None)
    if subscribe is None:
        yield None
        return
    try:
        context = subscribe(**filters)
        stream = await context.__aenter__()
    except EventsUnavailableError:
        yield None
        return
    try:
        yield as_source(stream)
    finally:
        await context.__aexit__(None, None, None)


def as_source(stream: Any) -> EventSource:
    """``stream`` as an :class:`EventSource`: itself when it has ``receive()``, else its one iterator."""
    if callable(getattr(stream, "receive", None)):
        source: EventSource = stream
        return source
    return _IteratedSource(stream.__aiter__())


class _IteratedSource:
    def __init__(self, iterator: AsyncIterator[Any]) -> None:
        self._iterator = iterator

    async def receive(self) -> Any:
        return await self._iterator.__anext__()


@dataclass(frozen=True)
class Settled(Generic[T]):
    """What :func:`settle` found: the probe's ``value`` and how the end was seen."""

    value: T
    settled_by: SettledBy
    """``"event"``: a matching event woke the probe that found the end; ``"poll"``: a plain poll."""


async def settle(
    probe: Callable[[bool], Awaitable[T | None]],
    *,
    deadline: Deadline,
    events: EventSource | None = None,
    matches: Callable[[Any], bool] = lambda event: True,
    quiet_period: float,
    poll_delays: Iterable[float],
    probe_first: bool = True,
) -> Settled[T]:
    """Probe until the work is over; return the first non-``None`` value a probe returns.

    ``probe(announced)`` asks the server (``announced``: a matching event just came). With a live
    ``events`` stream (subscribed *before* this call), between probes it waits up to
    ``quiet_period`` for an event ``matches()`` accepts, then probes; with none (or once the stream
    ends) it sleeps the next of ``poll_delays`` between probes. ``probe_first=False`` waits before
    the first probe. Raises the deadline's :class:`WaitTimeoutError` when it passes before the end
    (a probe under way is not cut short: wrap the call in :meth:`Deadline.enforce` for that).
    """
    delays = iter(poll_delays)
    live = events is not None
    announced = False

    async def between() -> None:
        nonlocal live, announced
        deadline.check()
        announced = False
        if live:
            assert events is not None
            got = await wait_for_event(events, matches, deadline.clip(quiet_period))
            if got is not _ENDED:
                announced = got is not None
                return
            live = False  # the stream ended: poll from now on
        await deadline.sleep(next(delays))

    if not probe_first:
        await between()
    while True:
        if not announced:  # an announced end is fetched even on the deadline's edge
            deadline.check()
        value = await probe(announced)
        if value is not None:
            return Settled(value, "event" if announced else "poll")
        await between()


def describe_error(exc: BaseException, doing: str) -> InvokeAIError:
    """``exc`` as an :class:`InvokeAIError`: itself, or (a bug, not the server) wrapped and chained,
    saying what was being done (``"polling the queue"``)."""
    if isinstance(exc, InvokeAIError):
        return exc
    error = InvokeAIError(f"{doing} failed: {exc!r}")
    error.__cause__ = exc
    return error
