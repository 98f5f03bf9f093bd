"""``AsyncInvokeAIPool``: one session with many InvokeAI servers.

::

    async with AsyncInvokeAIPool(["http://gpu1:9090", "http://gpu2:9090"]) as pool:
        run = await pool.enqueue(graph, data=[[{"node_path": "seed", "field_name": "value",
                                                 "items": list(range(100))}]])
        await run.wait()
        await run.download_images("out/")

Submissions are split into one-item batches and routed by ``PoolEngine`` (``_engine``): by
expected finish time, around dead servers, each item settled exactly once.
"""

from __future__ import annotations

import logging
from collections import OrderedDict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio
import httpx
from anyio.abc import TaskGroup

from .._errors import ValidationError
from ._backend import PoolServer, RemoteServer, is_outage
from ._engine import NoServerError, PoolEngine, PoolError, _Server, _Submission
from ._handle import PoolRun
from ._routing import Health, ServerState
from ._units import Unit, check_batch, count_items, item_data, rebind_models

if TYPE_CHECKING:
    from .._client import AsyncInvokeAI
    from ..workflows import WorkflowDocument

__all__ = ["AsyncInvokeAIPool", "NoServerError", "PoolError", "ServerInfo"]

log = logging.getLogger("invokeai_sdk.pool")


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


class AsyncInvokeAIPool(PoolEngine):
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

    async def _installed(self, server: _Server) -> list[dict[str, Any]]:
        name = server.state.name
        if name not in self._models:
            with anyio.fail_after(self.call_timeout):
                self._models[name] = await server.backend.models()
        return self._models[name]

    async def refresh_models(self) -> None:
        """Forget the servers' model lists (read again by the next submission)."""
        self._models.clear()
