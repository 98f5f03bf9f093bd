"""The pool's engine: the dispatcher, one watcher per server, and each item's one outcome.

Every submission is split into one-item batches, each sent under its own client-made ``batch_id``
(the *marker*, carrying the submission's ``origin`` and the item's index). The engine keeps unsent
items and hands each server a few at a time (``slots``), choosing servers by expected finish time
(``_routing.plan``). Each server has one watcher task that polls its items in bulk and takes the
server out after ``down_after`` failed calls; a server down for ``reassign_after`` seconds loses
its unfinished items to the others (each exactly once) and is probed back in with a growing
interval. A lost enqueue reply is settled by looking the marker up on the server, never by sending
again; items moved off a server are canceled there when it comes back. A unit accepts one outcome
only: if a moved item ran twice, the second result is ignored (and counted in ``duplicates``).
"""

from __future__ import annotations

import logging
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

import anyio
from anyio.abc import TaskGroup

from .._errors import InvokeAIError
from ..types.queue import TERMINAL_STATUSES
from ._backend import ItemState, PoolServer, is_outage
from ._routing import ServerState, plan
from ._units import Attempt, Unit, item_data, new_marker, one_item_batch

__all__ = ["NoServerError", "PoolEngine", "PoolError"]

log = logging.getLogger("invokeai_sdk.pool")


class PoolError(InvokeAIError):
    """A pool could not do what was asked (no server fits, the pool is not open, ...)."""


class NoServerError(PoolError):
    """No server of the pool can run a submission (its models are missing everywhere, or all are down)."""


@dataclass(eq=False)
class _Watch:
    sub: _Submission
    unit: Unit
    attempt: Attempt


@dataclass(eq=False)
class _Server:
    backend: PoolServer
    state: ServerState
    owned: bool
    watch: dict[int, _Watch] = field(default_factory=dict)
    uncertain: list[_Watch] = field(default_factory=list)
    abandoned: list[str] = field(default_factory=list)
    last_load: float = float("-inf")


@dataclass(eq=False)
class _Submission:
    origin: str
    templates: dict[str, dict[str, Any]]
    """The batch per eligible server (graph with that server's model keys, workflow uploads)."""
    units: list[Unit]
    shared_data: list[list[list[dict[str, Any]]]] | None
    data: dict[str, list[list[list[dict[str, Any]]]]] = field(default_factory=dict)
    settled: int = 0
    done: anyio.Event = field(default_factory=anyio.Event)

    def data_for(self, server: str, index: int) -> list[list[dict[str, Any]]]:
        if self.shared_data is not None:
            return self.shared_data[index]
        if server not in self.data:
            self.data[server] = list(item_data(self.templates[server]))
        return self.data[server][index]


class PoolEngine:
    """The machinery behind ``AsyncInvokeAIPool`` (which sets these attributes and opens ``_tg``)."""

    _servers: dict[str, _Server]
    _queue: OrderedDict[_Submission, deque[Unit]]
    _wake: anyio.Event
    _tg: TaskGroup | None
    poll_interval: float
    reassign_after: float
    call_timeout: float
    reassigned: int
    duplicates: int

    @property
    def servers(self) -> list[str]:
        """The servers' names (their base URLs for real servers)."""
        return list(self._servers)

    def backend(self, name: str) -> PoolServer:
        """The server called ``name`` (e.g. its ``RemoteServer``, whose ``client`` is a full session)."""
        return self._servers[name].backend

    # -- the dispatcher ---------------------------------------------------------------------------

    def _kick(self) -> None:
        self._wake.set()

    async def _dispatcher(self) -> None:
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            self._dispatch()

    def _dispatch(self) -> None:
        assert self._tg is not None
        for sub in list(self._queue):
            units = self._queue[sub]
            while units and units[0].settled:
                units.popleft()
            if units:
                states = [self._servers[name].state for name in sub.templates]
                for state, count in plan(states, len(units)):
                    for _ in range(count):
                        unit = units.popleft()
                        state.in_flight += 1
                        self._tg.start_soon(self._send, sub, unit, self._servers[state.name])
            if not units:
                del self._queue[sub]
            if not any(s.state.free for s in self._servers.values()):
                return

    def _requeue(self, sub: _Submission, unit: Unit) -> None:
        if unit.settled:
            return
        self._queue.setdefault(sub, deque()).appendleft(unit)
        self._kick()

    async def _send(self, sub: _Submission, unit: Unit, server: _Server) -> None:
        name = server.state.name
        attempt = Attempt(name, new_marker(sub.origin, unit.index))
        unit.attempts.append(attempt)
        batch = one_item_batch(
            sub.templates[name], sub.data_for(name, unit.index), batch_id=attempt.marker, origin=sub.origin
        )
        watch = _Watch(sub, unit, attempt)
        try:
            with anyio.fail_after(self.call_timeout):
                ids = await server.backend.submit(batch)
        except Exception as exc:
            if not is_outage(exc):  # the server refused the item itself: that is its outcome
                server.state.in_flight -= 1
                attempt.state = "done"
                self._settle(watch, "error", error=exc)
                return
            self._failed(server, exc)
            await self._find(server, watch)
            return
        self._ok(server)
        self._arrived(server, watch, ids)

    async def _find(self, server: _Server, watch: _Watch) -> None:
        """After a lost reply: did the batch arrive? (uncertain while the server cannot say)."""
        try:
            with anyio.fail_after(self.call_timeout):
                ids = await server.backend.lookup(watch.attempt.marker)
        except Exception as exc:  # unreachable, or an unexpected answer: still uncertain
            self._failed(server, exc)
            if watch.attempt.state == "sending":
                watch.attempt.state = "uncertain"
                server.uncertain.append(watch)
            return
        self._ok(server)
        if watch in server.uncertain:
            server.uncertain.remove(watch)
        if watch.attempt.state == "abandoned":
            return  # moved elsewhere meanwhile: the watcher cancels it on this server
        if ids:
            self._arrived(server, watch, ids)
        else:
            watch.attempt.state = "lost"
            server.state.in_flight -= 1
            self._requeue(watch.sub, watch.unit)

    def _arrived(self, server: _Server, watch: _Watch, ids: list[int]) -> None:
        if watch.attempt.state == "abandoned":  # the server was given up on while the reply was on its way
            server.abandoned.append(watch.attempt.marker)
            return
        watch.attempt.item_id, watch.attempt.state = ids[0], "queued"
        server.watch[ids[0]] = watch

    def _spawn(self, fn: Any, *args: Any) -> None:
        if self._tg is None:
            raise PoolError("the pool is closed")
        self._tg.start_soon(fn, *args)

    async def _cancel(self, sub: _Submission) -> int:
        canceled = 0
        for unit in self._queue.pop(sub, deque()):
            if not unit.settled:
                self._settle(_Watch(sub, unit, Attempt("", "")), "canceled")
                unit.server = None
                canceled += 1
        for server in self._servers.values():
            markers = [w.attempt.marker for w in server.watch.values() if w.sub is sub]
            if markers and server.state.health.up:
                await self._call(server, server.backend.cancel, markers)
                canceled += len(markers)
        return canceled

    # -- outcomes -------------------------------------------------------------------------------

    def _settle(self, watch: _Watch, status: str, *, error: Exception | None = None) -> None:
        unit = watch.unit
        if unit.settled:
            self.duplicates += 1
            return
        unit.status, unit.server, unit.item_id, unit.error = (
            status,
            watch.attempt.server,
            watch.attempt.item_id,
            error,
        )
        sub = watch.sub
        sub.settled += 1
        if sub.settled == len(sub.units):
            sub.done.set()

    # -- health and polling ---------------------------------------------------------------------

    def _ok(self, server: _Server) -> None:
        if server.state.health.ok():
            log.info("pool: %s is back", server.state.name)
            self._kick()

    def _failed(self, server: _Server, exc: BaseException) -> None:
        if server.state.health.failed(anyio.current_time()):
            log.warning("pool: %s taken out after %r", server.state.name, exc)

    async def _watcher(self, server: _Server) -> None:
        while True:
            try:
                await self._watch_once(server)
            except Exception as exc:  # an unexpected answer must not stop the pool: count it as a failure
                log.warning("pool: %s answered unexpectedly: %r", server.state.name, exc)
                self._failed(server, exc)
                await anyio.sleep(self.poll_interval)

    async def _watch_once(self, server: _Server) -> None:
        if server.state.health.up:
            await self._poll(server)
            # a quarter of an item's run time between polls (the server's queued item keeps it busy)
            seconds = server.state.seconds or 0.0
            await anyio.sleep(max(self.poll_interval, min(5.0, seconds / 4)))
            return
        now = anyio.current_time()
        down_since = server.state.health.down_since
        assert down_since is not None
        if (server.watch or server.uncertain) and now - down_since >= self.reassign_after:
            self._abandon(server)
        if now >= server.state.health.next_probe:
            await self._probe(server)
            return
        wake = server.state.health.next_probe
        if server.watch or server.uncertain:
            wake = min(wake, down_since + self.reassign_after)
        await anyio.sleep(max(wake - now, 1e-3))

    async def _call(self, server: _Server, fn: Any, *args: Any) -> Any:
        with anyio.fail_after(self.call_timeout):
            return await fn(*args)

    async def _poll(self, server: _Server) -> None:
        for watch in list(server.uncertain):
            await self._find(server, watch)
        now = anyio.current_time()
        try:
            if now - server.last_load >= max(2.0, 8 * self.poll_interval):
                load = await self._call(server, server.backend.queue_load)
                server.last_load = now
                server.state.foreign = max(0, load - len(server.watch))
            if not server.watch:
                return
            ids = list(server.watch)
            states: dict[int, ItemState] = await self._call(server, server.backend.poll, ids)
        except Exception as exc:
            if not is_outage(exc):
                raise
            self._failed(server, exc)
            return
        self._ok(server)
        freed = False
        for item_id in ids:
            if item_id not in server.watch:
                continue
            watch = server.watch[item_id]
            state = states.get(item_id)
            if state is None:  # deleted or cleared on the server: the item is lost, send it again
                del server.watch[item_id]
                server.state.in_flight -= 1
                watch.attempt.state = "gone"
                self._requeue(watch.sub, watch.unit)
                freed = True
            elif state.status in TERMINAL_STATUSES:
                del server.watch[item_id]
                server.state.in_flight -= 1
                watch.attempt.state = "done"
                if state.seconds is not None and state.status == "completed":
                    server.state.measured(state.seconds)
                server.state.completed += state.status == "completed"
                self._settle(watch, state.status)
                freed = True
        if freed:
            self._kick()

    def _abandon(self, server: _Server) -> None:
        """The server stayed down: move its unfinished items elsewhere (each once)."""
        moved = list(server.watch.values()) + server.uncertain
        server.watch.clear()
        server.uncertain.clear()
        server.state.in_flight -= len(moved)
        for watch in moved:
            watch.attempt.state = "abandoned"
            server.abandoned.append(watch.attempt.marker)
            if not watch.unit.settled:
                self.reassigned += 1
                self._requeue(watch.sub, watch.unit)
        log.warning(
            "pool: %s down for %.0f s; %d item(s) moved", server.state.name, self.reassign_after, len(moved)
        )

    async def _probe(self, server: _Server) -> None:
        try:
            await self._call(server, server.backend.ping)
        except Exception as exc:
            self._failed(server, exc)
            return
        if server.abandoned:  # items moved away while it was out must not run here too
            markers = list(server.abandoned)
            try:
                await self._call(server, server.backend.cancel, markers)
            except Exception as exc:
                self._failed(server, exc)
                return
            del server.abandoned[: len(markers)]
        self._ok(server)
