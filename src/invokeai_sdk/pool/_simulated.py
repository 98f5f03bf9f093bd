"""In-process simulated servers: a queue, a speed, failures; time from the event loop's clock.

A :class:`SimulatedServer` answers the same protocol as a real server (``PoolServer``), so a pool
routes a hundred of them with the code that routes real ones. It runs its queue one item at a time
(FIFO), each item taking ``seconds`` (times a seeded jitter); at ``fail_at`` it dies (every call
refused, or hanging when ``hang``) and at ``recover_at`` it comes back as a restarted InvokeAI
does: the item it was running is canceled, its pending items run. ``lose_replies`` is the share
of enqueues whose reply is lost although the batch arrived. Nothing runs in the background: the
queue advances lazily to the clock's time on every call, so under a virtual clock
(``trio.testing.MockClock(autojump_threshold=0)``) 10,000 items on 100 servers take seconds.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from .._errors import APIConnectionError, InvokeAIError
from ..events._types import Event, QueueItemStatusChangedEvent
from ..types.queue import QueueItem
from ._backend import ItemState
from ._units import count_items

if TYPE_CHECKING:
    from ..workflows import WorkflowDocument

__all__ = ["SimulatedServer"]


@dataclass(eq=False)
class _Item:
    item_id: int
    batch_id: str
    origin: str
    graph: Mapping[str, Any]
    data: Any
    seconds: float
    status: str = "pending"
    started: float | None = None
    finished: float | None = None


class SimulatedServer:
    """A simulated InvokeAI server (see the module docstring)."""

    def __init__(
        self,
        name: str,
        *,
        seconds: float = 1.0,
        jitter: float = 0.1,
        fail_at: float | None = None,
        recover_at: float | None = None,
        hang: bool = False,
        lose_replies: float = 0.0,
        models: Sequence[Mapping[str, Any]] = (),
        seed: int = 0,
    ) -> None:
        self.name = name
        self.seconds = seconds
        self.jitter = jitter
        self.fail_at = fail_at
        self.recover_at = recover_at
        self.hang = hang
        self.lose_replies = lose_replies
        self.installed = [dict(m) for m in models]
        self._rng = random.Random(f"{name}:{seed}")
        self._items: dict[int, _Item] = {}
        self._queue: deque[_Item] = deque()
        self._running: _Item | None = None
        self._free_at = 0.0
        self._next_id = 1
        self._crashed = False
        self.executed: list[tuple[str, int]] = []
        """``(batch_id, item_id)`` of every item that ran to completion here, in order."""
        self.enqueued = 0

    def __repr__(self) -> str:
        return f"SimulatedServer({self.name!r}, seconds={self.seconds})"

    # -- the clock -----------------------------------------------------------------------------

    def _dead(self, now: float) -> bool:
        if self.fail_at is None or now < self.fail_at:
            return False
        return self.recover_at is None or now < self.recover_at

    def _advance(self, now: float) -> None:
        """Run the queue up to ``now`` (up to the failure, and on from the recovery)."""
        stop = now if self.fail_at is None or self._crashed else min(now, self.fail_at)
        self._run_until(stop)
        if self.fail_at is not None and now >= self.fail_at and not self._crashed:
            self._crashed = True
            if self._running is not None:  # a restart cancels the item that was running
                self._running.status = "canceled"
                self._running = None
            self._free_at = self.recover_at if self.recover_at is not None else float("inf")
        if self._crashed and self.recover_at is not None and now >= self.recover_at:
            self._run_until(now)

    def _run_until(self, now: float) -> None:
        while True:
            if self._running is None:
                if not self._queue or self._free_at > now:
                    return
                item = self._queue.popleft()
                if item.status != "pending":
                    continue
                item.status, item.started = "in_progress", self._free_at
                self._running = item
            item = self._running
            assert item.started is not None
            end = item.started + item.seconds
            if end > now:
                return
            item.status, item.finished = "completed", end
            self.executed.append((item.batch_id, item.item_id))
            self._running, self._free_at = None, end

    async def _enter(self) -> float:
        now = anyio.current_time()
        self._advance(now)
        if self._dead(now):
            if self.hang:
                await anyio.sleep_forever()
            raise APIConnectionError(f"{self.name}: connection refused (simulated outage)")
        return now

    # -- the protocol --------------------------------------------------------------------------

    async def ping(self) -> None:
        """Raise unless up."""
        await self._enter()

    async def models(self) -> list[dict[str, Any]]:
        """The simulated installed models."""
        await self._enter()
        return [dict(m) for m in self.installed]

    async def queue_load(self) -> int:
        """Pending and running items."""
        await self._enter()
        return sum(1 for i in self._items.values() if i.status in ("pending", "in_progress"))

    async def workflow_batch(self, workflow: WorkflowDocument, options: Mapping[str, Any]) -> dict[str, Any]:
        """The document's batch, built locally (a simulated server has no uploads)."""
        await self._enter()
        kwargs = {k: v for k, v in options.items() if k in ("runs", "sweep", "zip", "origin", "destination")}
        return workflow.to_batch(**kwargs)

    async def submit(self, batch: Mapping[str, Any]) -> list[int]:
        """Queue the batch's items; maybe lose the reply."""
        now = await self._enter()
        ids = []
        for _ in range(count_items(batch)):
            seconds = self.seconds * (1 + self._rng.uniform(-self.jitter, self.jitter))
            item = _Item(
                self._next_id,
                str(batch["batch_id"]),
                str(batch.get("origin")),
                batch["graph"],
                batch.get("data"),
                seconds,
            )
            self._next_id += 1
            self._items[item.item_id] = item
            self._queue.append(item)
            ids.append(item.item_id)
            self.enqueued += 1
        if self._free_at < now and self._running is None:
            self._free_at = now
        self._advance(now)
        if self.lose_replies and self._rng.random() < self.lose_replies:
            raise APIConnectionError(f"{self.name}: the enqueue reply was lost (simulated)")
        return ids

    async def lookup(self, marker: str) -> list[int]:
        """Items of the batch with this id."""
        await self._enter()
        return [i.item_id for i in self._items.values() if i.batch_id == marker]

    async def poll(self, item_ids: Sequence[int]) -> dict[int, ItemState]:
        """States of the items this server has."""
        await self._enter()
        out = {}
        for item_id in item_ids:
            item = self._items.get(item_id)
            if item is not None:
                ran = (
                    item.finished - item.started
                    if item.finished is not None and item.started is not None
                    else None
                )
                out[item_id] = ItemState(item_id, item.status, ran)
        return out

    async def cancel(self, markers: Sequence[str]) -> None:
        """Cancel the unfinished items of these batches."""
        now = await self._enter()
        wanted = set(markers)
        for item in self._items.values():
            if item.batch_id in wanted and item.status in ("pending", "in_progress"):
                if item is self._running:
                    self._running, self._free_at = None, now
                item.status = "canceled"
        self._advance(now)

    async def items(self, item_ids: Sequence[int]) -> list[QueueItem]:
        """The items, with one simulated image per completed item."""
        await self._enter()
        out = []
        for item_id in item_ids:
            item = self._items.get(item_id)
            if item is None:
                continue
            session: dict[str, Any] = {"graph": item.graph}
            if item.status == "completed":
                session["results"] = {
                    "save-1": {"type": "image_output", "image": {"image_name": self._image(item)}}
                }
                session["source_prepared_mapping"] = {"save": ["save-1"]}
            out.append(
                QueueItem(
                    item_id=item_id,
                    status=item.status,
                    batch_id=item.batch_id,
                    origin=item.origin,
                    session=session,
                )
            )
        return out

    def _image(self, item: _Item) -> str:
        return f"{self.name}-{item.item_id}.png"

    async def download_image(self, name: str, to_dir: Path) -> Path:
        """Write a placeholder file under the image's name."""
        await self._enter()
        if not any(self._image(i) == name for i in self._items.values() if i.status == "completed"):
            raise InvokeAIError(f"{self.name}: no image {name!r}")
        path = to_dir / name
        await anyio.Path(path).write_bytes(b"simulated " + name.encode())
        return path

    @asynccontextmanager
    async def _events(self, origin: str) -> AsyncIterator[AsyncIterator[Event]]:
        yield self._status_events(origin)

    async def _status_events(self, origin: str) -> AsyncIterator[Event]:
        seen: dict[int, str] = {}
        while True:
            now = anyio.current_time()
            self._advance(now)
            if not self._dead(now):
                for item in list(self._items.values()):
                    if item.origin == origin and seen.get(item.item_id) != item.status:
                        seen[item.item_id] = item.status
                        yield QueueItemStatusChangedEvent(
                            queue_id="default",
                            item_id=item.item_id,
                            batch_id=item.batch_id,
                            origin=origin,
                            status=item.status,
                        )
            await anyio.sleep(0.5)

    def events(self, origin: str) -> AbstractAsyncContextManager[AsyncIterator[Event]]:
        """Status-change events of one origin (sampled every half second)."""
        return self._events(origin)

    async def aclose(self) -> None:
        """Nothing to release."""
