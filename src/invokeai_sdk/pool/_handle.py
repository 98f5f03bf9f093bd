"""``PoolRun``: one handle for a submission spread over many servers.

``wait()``, ``status()``, ``results()``, ``outputs()``, ``images()`` and ``download_images()`` span
every server that ran an item; ``events()`` merges the servers' events, each tagged with its server.
Items keep the submission's order whichever server ran them. Every call to a server is bounded by
the pool's ``call_timeout`` (``TimeoutError`` past it); waits take their own ``timeout``.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from .._errors import JobCanceledError, JobError, JobFailedError, WaitTimeoutError
from .._types import NOT_GIVEN, NotGiven
from .._waiting import Deadline, resolve_wait_timeout
from ..events._types import Event
from ..jobs import images_of, outputs_of
from ..types.queue import QueueItem
from ._units import Unit

if TYPE_CHECKING:
    from ._engine import PoolEngine, _Submission

__all__ = ["PoolEvent", "PoolImage", "PoolJob", "PoolRun", "PoolStatus"]

log = logging.getLogger("invokeai_sdk.pool")


@dataclass(frozen=True)
class PoolEvent:
    """A server event of one submission, with the server it came from."""

    server: str
    event: Event


@dataclass(frozen=True)
class PoolImage:
    """An image an item made, and the server that holds it."""

    server: str
    image_name: str

    def __str__(self) -> str:
        return self.image_name


@dataclass(frozen=True)
class PoolStatus:
    """Counts of a submission's items: settled per status, the rest pending or on a server."""

    total: int
    completed: int
    failed: int
    canceled: int
    pending: int
    """Items not settled yet (waiting in the pool or queued/running on a server)."""
    per_server: dict[str, int]
    """Completed items per server."""
    moved: int
    """Sends beyond the first (items moved off a dead server, or resent after a lost batch)."""

    @property
    def done(self) -> bool:
        """True when every item has its outcome."""
        return self.pending == 0


class PoolJob:
    """One item of a pool submission: where it ran, its outcome, outputs and images."""

    def __init__(self, run: PoolRun, unit: Unit) -> None:
        self._run = run
        self._unit = unit
        self.index = unit.index
        """The item's place in the submission."""

    def __repr__(self) -> str:
        u = self._unit
        return f"PoolJob(index={u.index}, status={u.status!r}, server={u.server!r}, item_id={u.item_id})"

    @property
    def status(self) -> str | None:
        """``completed``, ``failed``, ``canceled``, ``error`` (refused at enqueue), ``None`` (unsettled)."""
        return self._unit.status

    @property
    def server(self) -> str | None:
        """The server whose result counts (``None`` until settled)."""
        return self._unit.server

    @property
    def item_id(self) -> int | None:
        """The queue item id on :attr:`server`."""
        return self._unit.item_id

    @property
    def attempts(self) -> list[tuple[str, str]]:
        """``(server, batch_id marker)`` of every send of this item, oldest first."""
        return [(a.server, a.marker) for a in self._unit.attempts]

    async def wait(
        self, *, wait_timeout: float | None = None, timeout: float | None | NotGiven = NOT_GIVEN
    ) -> str:
        """Wait until the item settles; return ``"completed"`` or raise like ``JobHandle.wait``.

        ``wait_timeout``: the deadline in seconds (``None``: none); ``timeout=`` is its deprecated
        old name.
        """
        seconds = resolve_wait_timeout(wait_timeout, timeout)
        deadline = Deadline(seconds, f"pool item {self.index} did not finish within {seconds} s")
        with deadline.enforce():
            while not self._unit.settled:
                await self._run._changed()
        await self._run._raise_for([self._unit])
        return "completed"

    async def result(self) -> QueueItem:
        """The queue item (with its session) on the server that ran it."""
        return (await self._run._items([self._unit]))[0]

    async def outputs(self) -> dict[str, list[dict[str, Any]]]:
        """Outputs per source node id (see ``JobHandle.outputs``)."""
        return outputs_of(await self.result())

    async def images(self, *, include_intermediate: bool = False) -> list[PoolImage]:
        """The item's images, with their server."""
        item = await self.result()
        server = self._unit.server or ""
        return [PoolImage(server, n) for n in images_of(item, include_intermediate=include_intermediate)]

    async def download_images(
        self, to_dir: str | os.PathLike[str], *, include_intermediate: bool = False
    ) -> list[Path]:
        """Download the item's images into ``to_dir``; return the paths."""
        return await self._run._download(await self.images(include_intermediate=include_intermediate), to_dir)


class PoolRun:
    """A submission spread over a pool's servers: its items as :class:`PoolJob` s, in order."""

    def __init__(self, pool: PoolEngine, sub: _Submission) -> None:
        self._pool = pool
        self._sub = sub
        self.origin = sub.origin
        """The submission's ``origin``; each server's batch ids start with it."""
        self.servers = list(sub.templates)
        """The servers that may run its items (those with its models)."""
        self.jobs = [PoolJob(self, unit) for unit in sub.units]

    def __repr__(self) -> str:
        return f"PoolRun(origin={self.origin!r}, items={len(self.jobs)}, servers={len(self.servers)})"

    def __len__(self) -> int:
        return len(self.jobs)

    def __iter__(self) -> Iterator[PoolJob]:
        return iter(self.jobs)

    def __getitem__(self, index: int) -> PoolJob:
        return self.jobs[index]

    async def _changed(self) -> None:
        # settle events are rare next to a poll interval: a short sleep costs nothing and needs no locks
        await anyio.sleep(self._pool.poll_interval / 2)

    @property
    def done(self) -> bool:
        """True when every item has its outcome."""
        return self._sub.done.is_set()

    async def wait(
        self,
        *,
        wait_timeout: float | None = None,
        cancel_on_timeout: bool = False,
        timeout: float | None | NotGiven = NOT_GIVEN,
    ) -> list[str]:
        """Wait for every item on every server; return the statuses, or raise for the first that failed.

        Every item settles before anything is raised (``JobFailedError`` with the server's error,
        ``JobCanceledError``). After ``wait_timeout`` seconds (``None``: no deadline) raises
        :class:`WaitTimeoutError` (canceling what is left first when ``cancel_on_timeout``).
        ``timeout=`` is the deprecated old name of ``wait_timeout``.
        """
        seconds = resolve_wait_timeout(wait_timeout, timeout)
        deadline = Deadline(
            seconds,
            lambda: (
                f"pool run {self.origin}: {len(self.jobs) - self._sub.settled} item(s) "
                f"unfinished after {seconds} s"
            ),
        )
        try:
            with deadline.enforce():
                await self._sub.done.wait()
        except WaitTimeoutError:
            if cancel_on_timeout:
                await self.cancel()
            raise
        await self._raise_for(self._sub.units)
        return [str(u.status) for u in self._sub.units]

    async def _raise_for(self, units: list[Unit]) -> None:
        for unit in units:
            if unit.status == "completed":
                continue
            if unit.status == "error" and unit.error is not None:
                raise unit.error
            where = f"pool item {unit.index} (item {unit.item_id} on {unit.server})"
            if unit.status == "canceled":
                raise JobCanceledError(f"{where} was canceled", item_id=unit.item_id)
            if unit.status == "failed":
                item = (await self._items([unit]))[0]
                raise JobFailedError(
                    f"{where} failed: {item.error_type}: {item.error_message}",
                    item_id=unit.item_id,
                    batch_id=item.batch_id,
                    error_type=item.error_type,
                    error_message=item.error_message,
                    error_traceback=item.error_traceback,
                )
            raise JobError(f"{where} ended as {unit.status!r}", item_id=unit.item_id)

    def status(self) -> PoolStatus:
        """Counts per status over all servers (no request: the pool's watchers keep them current)."""
        units = self._sub.units
        per_server: dict[str, int] = {}
        for u in units:
            if u.status == "completed" and u.server is not None:
                per_server[u.server] = per_server.get(u.server, 0) + 1
        return PoolStatus(
            total=len(units),
            completed=sum(u.status == "completed" for u in units),
            failed=sum(u.status in ("failed", "error") for u in units),
            canceled=sum(u.status == "canceled" for u in units),
            pending=sum(not u.settled for u in units),
            per_server=per_server,
            moved=sum(max(0, len(u.attempts) - 1) for u in units),
        )

    async def progress(self, *, every: float = 1.0) -> AsyncIterator[PoolStatus]:
        """A :meth:`status` every ``every`` seconds while it changes, ending with the final one."""
        last: PoolStatus | None = None
        while True:
            now = self.status()
            if now != last:
                yield now
                last = now
            if now.done:
                return
            with anyio.move_on_after(every):
                await self._sub.done.wait()

    async def cancel(self) -> int:
        """Cancel every unsettled item (unsent ones in the pool, queued ones on their servers)."""
        return await self._pool._cancel(self._sub)

    async def _items(self, units: list[Unit]) -> list[QueueItem]:
        """The queue items of settled units, fetched in one request per server, in ``units`` order."""
        by_server: dict[str, list[int]] = {}
        for u in units:
            if u.server is None or u.item_id is None:
                raise JobError(f"pool item {u.index} has no queue item ({u.status or 'unsettled'})")
            by_server.setdefault(u.server, []).append(u.item_id)
        found: dict[tuple[str, int], QueueItem] = {}
        for server, ids in by_server.items():
            with anyio.fail_after(self._pool.call_timeout):  # every call to a server is bounded
                items = await self._pool.backend(server).items(ids)
            for item in items:
                found[(server, item.item_id)] = item
        missing = [u.index for u in units if (u.server, u.item_id) not in found]
        if missing:
            raise JobError(f"pool items {missing[:10]} are no longer on their servers (deleted or cleared)")
        return [found[(str(u.server), int(u.item_id or 0))] for u in units]

    async def results(self) -> list[QueueItem]:
        """Every item's queue item with its session, in submission order (after :meth:`wait`)."""
        return await self._items(self._sub.units)

    async def outputs(self) -> list[dict[str, list[dict[str, Any]]]]:
        """Every item's outputs per source node id, in submission order."""
        return [outputs_of(item) for item in await self.results()]

    async def images(self, *, include_intermediate: bool = False) -> list[PoolImage]:
        """Every image the submission made, item after item, each with its server."""
        return [
            PoolImage(str(unit.server), name)
            for unit, item in zip(self._sub.units, await self.results(), strict=True)
            for name in images_of(item, include_intermediate=include_intermediate)
        ]

    async def download_images(
        self, to_dir: str | os.PathLike[str], *, include_intermediate: bool = False
    ) -> list[Path]:
        """Download every image from whichever server holds it into one folder; return the paths."""
        return await self._download(await self.images(include_intermediate=include_intermediate), to_dir)

    async def _download(self, images: list[PoolImage], to_dir: str | os.PathLike[str]) -> list[Path]:
        target = Path(to_dir)
        await anyio.Path(target).mkdir(parents=True, exist_ok=True)
        paths: list[Path | None] = [None] * len(images)
        limit = anyio.CapacityLimiter(max(1, min(8, 2 * len(self._pool.servers))))

        async def one(i: int, image: PoolImage) -> None:
            async with limit:
                with anyio.fail_after(self._pool.call_timeout):
                    paths[i] = await self._pool.backend(image.server).download_image(image.image_name, target)

        async with anyio.create_task_group() as tg:
            for i, image in enumerate(images):
                tg.start_soon(one, i, image)
        return [p for p in paths if p is not None]

    async def events(self) -> AsyncIterator[PoolEvent]:
        """Every server's events of this submission merged into one stream, each tagged with its server.

        Ends when every item has settled. A server that cannot stream (down, no Socket.IO) is left
        out; the others go on.
        """
        send, receive = anyio.create_memory_object_stream[PoolEvent](math.inf)
        scopes: list[anyio.CancelScope] = []

        async def forward(server: str) -> None:
            with anyio.CancelScope() as scope:
                scopes.append(scope)
                try:
                    async with self._pool.backend(server).events(self.origin) as stream:
                        async for event in stream:
                            send.send_nowait(PoolEvent(server, event))
                except Exception as exc:
                    log.info("pool: no events from %s: %r", server, exc)

        for server in self.servers:
            self._pool._spawn(forward, server)
        quiet_since: float | None = None
        try:
            while True:
                event: PoolEvent | None = None
                with anyio.move_on_after(self._pool.poll_interval):
                    event = await receive.receive()
                if event is not None:
                    yield event
                    continue
                if self.done:  # one quiet interval after the end lets the last events in
                    if quiet_since is not None:
                        return
                    quiet_since = anyio.current_time()
        finally:
            for scope in scopes:
                scope.cancel()
            send.close()
            receive.close()
