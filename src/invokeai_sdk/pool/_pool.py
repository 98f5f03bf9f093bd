"""``AsyncInvokeAIPool``: one session with many InvokeAI servers.

::

    async with AsyncInvokeAIPool(["http://gpu1:9090", "http://gpu2:9090"]) as pool:
        run = await pool.enqueue(graph, data=[[{"node_path": "seed", "field_name": "value",
                                                 "items": list(range(100))}]])
        await run.wait()
        await run.download_images("out/")

Every submission is split into one-item batches, each sent under its own client-made ``batch_id``
(the *marker*, carrying the submission's ``origin``). The pool keeps unsent items and hands each
server a few at a time (``slots``), choosing servers by expected finish time (``_routing``). Each
server has one watcher task that polls its items in bulk, and takes the server out after
``down_after`` failed calls; a server down for ``reassign_after`` seconds loses its unfinished items
to the others (each exactly once), and is probed back in with a growing interval. A lost enqueue
reply is settled by looking the marker up on the server; the items of a server that comes back are
canceled there if they were moved. A unit accepts one outcome only: if a moved item ran twice, the
second result is ignored.
"""

from __future__ import annotations

import logging
from collections import OrderedDict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio
import httpx
from anyio.abc import TaskGroup

from .._errors import InvokeAIError, ValidationError
from ..types.queue import TERMINAL_STATUSES
from ._backend import ItemState, PoolServer, RemoteServer, is_outage
from ._handle import PoolRun
from ._routing import Health, ServerState, plan
from ._units import (
    Attempt,
    Unit,
    check_batch,
    count_items,
    item_data,
    new_marker,
    one_item_batch,
    rebind_models,
)

if TYPE_CHECKING:
    from .._client import AsyncInvokeAI
    from ..workflows import WorkflowDocument

__all__ = ["AsyncInvokeAIPool", "NoServerError", "PoolError", "ServerInfo"]

log = logging.getLogger("invokeai_sdk.pool")


class PoolError(InvokeAIError):
    """A pool could not do what was asked (no server fits, the pool is not open, ...)."""


class NoServerError(PoolError):
    """No server of the pool can run a submission (its models are missing everywhere, or all are down)."""


@dataclass(frozen=True)
class ServerInfo:
    """A snapshot of one server of the pool."""

    name: str
    up: bool
    in_flight: int
    """The pool's items on it now."""
    foreign: int
    """Other clients' unfinished items on its queue (last seen)."""
    seconds_per_item: float | None
    """Measured run time per item (``None`` before the first finished item)."""
    completed: int
    """Items it finished for this pool."""


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


class AsyncInvokeAIPool:
    """One async session with many InvokeAI servers: submissions spread over them, one handle each.

    ``servers`` are base URLs, ``AsyncInvokeAI`` sessions (not closed by the pool) or any
    :class:`PoolServer` (e.g. ``SimulatedServer``). Use it as ``async with``: the pool's watcher
    tasks live inside that block.

    - ``slots``: items a server holds at once (one running, the rest queued so it never idles);
    - ``poll_interval``: seconds between two bulk status polls of a server's items;
    - ``down_after``: consecutive failed calls that take a server out; ``probe_interval``: first
      delay between two probes of a server that is out (doubling up to 15 s);
    - ``reassign_after``: seconds a server stays out before its unfinished items go elsewhere;
    - ``call_timeout``: the longest one call to a server may take (a hung server counts as down).

    ``token`` / ``email`` / ``password`` / ``timeout`` go to the sessions made from URLs.
    """

    def __init__(
        self,
        servers: Sequence[str | httpx.URL | AsyncInvokeAI | PoolServer],
        *,
        slots: int = 2,
        poll_interval: float = 0.25,
        down_after: int = 2,
        probe_interval: float = 1.0,
        reassign_after: float = 5.0,
        call_timeout: float = 30.0,
        token: str | None = None,
        email: str | None = None,
        password: str | None = None,
    ) -> None:
        from .._client import AsyncInvokeAI

        if isinstance(servers, str | bytes) or not servers:
            raise ValidationError("a pool needs a non-empty list of servers (URLs, sessions or PoolServers)")
        if slots < 1:
            raise ValidationError(f"slots must be 1 or more, got {slots}")
        for name, value in (
            ("poll_interval", poll_interval),
            ("reassign_after", reassign_after),
            ("call_timeout", call_timeout),
            ("probe_interval", probe_interval),
        ):
            if not value > 0:
                raise ValidationError(f"{name} must be positive, got {value!r}")
        self._servers: dict[str, _Server] = {}
        for server in servers:
            owned = False
            if isinstance(server, str | httpx.URL):
                server = AsyncInvokeAI(str(server), token=token, email=email, password=password)
                owned = True
            backend: PoolServer = RemoteServer(server) if isinstance(server, AsyncInvokeAI) else server
            if not isinstance(backend, PoolServer):
                raise ValidationError(f"not a server URL, session or PoolServer: {server!r}")
            if backend.name in self._servers:
                raise ValidationError(f"server {backend.name!r} is in the pool twice")
            health = Health(down_after=down_after, probe_interval=probe_interval)
            self._servers[backend.name] = _Server(
                backend, ServerState(backend.name, slots, health=health), owned
            )
        self.poll_interval = poll_interval
        self.reassign_after = reassign_after
        self.call_timeout = call_timeout
        self._queue: OrderedDict[_Submission, deque[Unit]] = OrderedDict()
        self._wake = anyio.Event()
        self._tg: TaskGroup | None = None
        self._models: dict[str, list[dict[str, Any]]] = {}
        self.reassigned = 0
        """Items moved off a dead server so far."""
        self.duplicates = 0
        """Results ignored because their item had already settled elsewhere."""

    def __repr__(self) -> str:
        return f"AsyncInvokeAIPool({list(self._servers)!r})"

    # -- lifecycle ------------------------------------------------------------------------------

    async def __aenter__(self) -> AsyncInvokeAIPool:
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        self._tg.start_soon(self._dispatcher)
        for server in self._servers.values():
            self._tg.start_soon(self._watcher, server)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose(exc_type, exc, tb)

    async def aclose(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        tb: TracebackType | None = None,
    ) -> None:
        """Stop the watchers and close the sessions the pool made (work on the servers goes on)."""
        tg = self._tg
        if tg is not None:
            tg.cancel_scope.cancel()
            try:  # the body's own exception propagates as it is (not wrapped in an exception group)
                await tg.__aexit__(None, None, None)
            finally:
                self._tg = None
        with anyio.CancelScope(shield=True):
            for server in self._servers.values():
                if server.owned:
                    await server.backend.aclose()

    # -- reading --------------------------------------------------------------------------------

    @property
    def servers(self) -> list[str]:
        """The servers' names (their base URLs for real servers)."""
        return list(self._servers)

    def server_info(self) -> list[ServerInfo]:
        """What the pool knows of each server now (health, load, measured speed)."""
        return [
            ServerInfo(
                s.state.name,
                s.state.health.up,
                s.state.in_flight,
                s.state.foreign,
                s.state.seconds,
                s.state.completed,
            )
            for s in self._servers.values()
        ]

    def backend(self, name: str) -> PoolServer:
        """The server called ``name`` (e.g. its ``RemoteServer``, whose ``client`` is a full session)."""
        return self._servers[name].backend

    # -- submitting -----------------------------------------------------------------------------

    async def enqueue(
        self,
        graph_or_batch: Mapping[str, Any],
        *,
        runs: int | None = None,
        data: Sequence[Sequence[Mapping[str, Any]]] | None = None,
        destination: str | None = None,
    ) -> PoolRun:
        """Spread a graph, or a batch with ``runs`` / ``data`` (a sweep), over the servers.

        Items go only to servers that have the graph's models (by key, else by name, base and
        type, the graph then pointed at that server's key). Raises :class:`NoServerError` when none
        has them. Returns at once; the items are sent as servers have room.
        """
        batch = check_batch(graph_or_batch)
        if runs is not None:
            batch["runs"] = runs
        if data is not None:
            batch["data"] = [[dict(d) for d in group] for group in data]
        if destination is not None:
            batch["destination"] = destination
        self._check_items(batch)
        templates: dict[str, dict[str, Any]] = {}
        lacking: dict[str, str] = {}
        for name, server in self._servers.items():
            if not server.state.health.up:
                lacking[name] = "down"
                continue
            try:
                installed = await self._installed(server)
            except Exception as exc:
                if not is_outage(exc):
                    raise
                self._failed(server, exc)
                lacking[name] = f"unreachable ({exc})"
                continue
            template, missing = rebind_models(batch, installed)
            if missing:
                lacking[name] = "lacks " + ", ".join(sorted(map(str, missing)))
            else:
                templates[name] = template
        return self._submit(templates, lacking, count_items(batch), list(item_data(batch)))

    async def enqueue_workflow(
        self,
        workflow: WorkflowDocument | str | Mapping[str, Any],
        *,
        board: Any = None,
        sweep: Mapping[Any, Sequence[Any]] | None = None,
        zip: Sequence[Sequence[Any]] = (),
        runs: int = 1,
        destination: str = "gallery",
    ) -> PoolRun:
        """Run a GUI workflow (document, file path, JSON or dict) over the servers, sweeps split by item.

        Each server that runs it gets its own copy prepared there (``workflows.build_batch``): images
        the workflow names as files or bytes are uploaded to it, model names resolved against its
        models. A server where that fails for lack of a model is left out.
        """
        from ..workflows import WorkflowDocument

        doc = workflow if isinstance(workflow, WorkflowDocument) else WorkflowDocument.load(workflow)
        options = {"board": board, "sweep": sweep, "zip": zip, "runs": runs, "destination": destination}
        templates: dict[str, dict[str, Any]] = {}
        lacking: dict[str, str] = {}

        async def build(name: str, server: _Server) -> None:
            try:
                with anyio.fail_after(self.call_timeout * 4):
                    templates[name] = check_batch(await server.backend.workflow_batch(doc, options))
            except Exception as exc:
                if is_outage(exc):
                    self._failed(server, exc)
                lacking[name] = f"{type(exc).__name__}: {exc}"

        async with anyio.create_task_group() as tg:
            for name, server in self._servers.items():
                if server.state.health.up:
                    tg.start_soon(build, name, server)
                else:
                    lacking[name] = "down"
        counts = {name: count_items(t) for name, t in templates.items()}
        if len(set(counts.values())) > 1:
            raise PoolError(f"the workflow makes different numbers of items on different servers: {counts}")
        total = next(iter(counts.values()), 0)
        return self._submit(templates, lacking, total, None)

    def _check_items(self, batch: Mapping[str, Any]) -> None:
        try:
            count_items(batch)
        except (KeyError, TypeError, IndexError) as exc:
            raise ValidationError(f"malformed batch data: {exc!r}") from None

    def _submit(
        self,
        templates: dict[str, dict[str, Any]],
        lacking: Mapping[str, str],
        total: int,
        shared: list[list[list[dict[str, Any]]]] | None,
    ) -> PoolRun:
        if self._tg is None:
            raise PoolError("the pool is not open: use it as `async with AsyncInvokeAIPool([...]) as pool`")
        if not templates:
            reasons = "; ".join(f"{name}: {why}" for name, why in lacking.items())
            raise NoServerError(f"no server of the pool can run this: {reasons}")
        from ..resources.queue import new_origin

        sub = _Submission(new_origin(), templates, [Unit(i) for i in range(total)], shared)
        if total == 0:
            sub.done.set()
        else:
            self._queue[sub] = deque(sub.units)
            self._kick()
        return PoolRun(self, sub)

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

    async def _installed(self, server: _Server) -> list[dict[str, Any]]:
        name = server.state.name
        if name not in self._models:
            with anyio.fail_after(self.call_timeout):
                self._models[name] = await server.backend.models()
        return self._models[name]

    async def refresh_models(self) -> None:
        """Forget the servers' model lists (read again by the next submission)."""
        self._models.clear()

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
