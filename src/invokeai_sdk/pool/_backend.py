"""The small protocol a pool drives, and its implementation over a real server's session.

A pool never calls an ``AsyncInvokeAI`` directly: it talks to :class:`PoolServer` objects, so the
same routing, health and exactly-once code drives real servers (:class:`RemoteServer`) and the
in-process simulated ones (``SimulatedServer``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .._errors import APIConnectionError, APIStatusError, InternalServerError
from ..events._types import Event
from ..types.queue import QueueItem

if TYPE_CHECKING:
    from .._client import AsyncInvokeAI
    from ..workflows import WorkflowDocument

__all__ = ["ItemState", "PoolServer", "RemoteServer", "is_outage"]


@dataclass(frozen=True)
class ItemState:
    """A queue item's status, and its run time in seconds once it ran."""

    item_id: int
    status: str
    seconds: float | None = None


@runtime_checkable
class PoolServer(Protocol):
    """One server as a pool sees it (real or simulated)."""

    name: str

    async def ping(self) -> None:
        """Raise unless the server answers."""

    async def models(self) -> list[dict[str, Any]]:
        """The installed models as ``{"key", "name", "base", "type", ...}`` dicts."""

    async def queue_load(self) -> int:
        """Unfinished items on the server's queue (pending and running), everyone's."""

    async def workflow_batch(self, workflow: WorkflowDocument, options: Mapping[str, Any]) -> dict[str, Any]:
        """The batch a workflow run makes on this server (its uploads done there)."""

    async def submit(self, batch: Mapping[str, Any]) -> list[int]:
        """Enqueue a batch (never resent); return its item ids."""

    async def lookup(self, marker: str) -> list[int]:
        """The item ids of the batch with this ``batch_id`` (``[]``: it never arrived)."""

    async def poll(self, item_ids: Sequence[int]) -> dict[int, ItemState]:
        """The state of these items; items the server no longer has are left out."""

    async def cancel(self, markers: Sequence[str]) -> None:
        """Cancel every unfinished item of these batches."""

    async def items(self, item_ids: Sequence[int]) -> list[QueueItem]:
        """These queue items with their sessions (results)."""

    async def download_image(self, name: str, to_dir: Path) -> Path:
        """Write one image into ``to_dir``; return its path."""

    def events(self, origin: str) -> AbstractAsyncContextManager[AsyncIterator[Event]]:
        """The server's events of one submission (its ``origin``)."""

    async def aclose(self) -> None:
        """Release the connection."""


def is_outage(exc: BaseException) -> bool:
    """True for failures that say the server is unreachable or broken, not that the request was bad."""
    if isinstance(exc, APIConnectionError | InternalServerError | OSError | TimeoutError):
        return True
    return isinstance(exc, APIStatusError) and exc.status_code in (502, 503, 504)


def _seconds(started: str | None, completed: str | None) -> float | None:
    if not started or not completed:
        return None
    try:
        return (datetime.fromisoformat(completed) - datetime.fromisoformat(started)).total_seconds()
    except ValueError:
        return None


class RemoteServer:
    """A real InvokeAI server, through one :class:`AsyncInvokeAI` session."""

    def __init__(self, client: AsyncInvokeAI, *, name: str | None = None, queue_id: str = "default") -> None:
        self.client = client
        self.name = name or str(client.base_url)
        self.queue_id = queue_id

    def __repr__(self) -> str:
        return f"RemoteServer({self.name!r})"

    async def ping(self) -> None:
        """Raise unless the server answers."""
        await self.client.app.version()

    async def models(self) -> list[dict[str, Any]]:
        """The installed models."""
        return [
            {"key": m.key, "name": m.name, "base": m.base, "type": m.type, "hash": m.hash}
            async for m in self.client.models.list()
        ]

    async def queue_load(self) -> int:
        """Pending and running items on the queue."""
        counts = (await self.client.queue.status(queue_id=self.queue_id)).queue
        return counts.pending + counts.in_progress

    async def workflow_batch(self, workflow: WorkflowDocument, options: Mapping[str, Any]) -> dict[str, Any]:
        """``workflows.build_batch`` on this server (uploads and model names resolved here)."""
        return await self.client.workflows.build_batch(workflow, **options)

    async def submit(self, batch: Mapping[str, Any]) -> list[int]:
        """``queue.enqueue`` (never resent by the SDK)."""
        handle = await self.client.queue.enqueue(batch, queue_id=self.queue_id)
        return list(handle.item_ids)

    async def lookup(self, marker: str) -> list[int]:
        """``queue.batch_item_ids``."""
        return await self.client.queue.batch_item_ids(marker, queue_id=self.queue_id)

    async def poll(self, item_ids: Sequence[int]) -> dict[int, ItemState]:
        """One bulk request for the items' summaries."""
        summaries = await self.client.queue.summaries(item_ids, queue_id=self.queue_id)
        return {
            s.item_id: ItemState(s.item_id, s.status, _seconds(s.started_at, s.completed_at))
            for s in summaries
        }

    async def cancel(self, markers: Sequence[str]) -> None:
        """``queue.cancel_batches``."""
        await self.client.queue.cancel_batches(markers, queue_id=self.queue_id)

    async def items(self, item_ids: Sequence[int]) -> list[QueueItem]:
        """``queue.items_by_ids``."""
        return await self.client.queue.items_by_ids(item_ids, queue_id=self.queue_id)

    async def download_image(self, name: str, to_dir: Path) -> Path:
        """``images.download_to`` (atomic)."""
        return await self.client.images.download_to(name, os.fspath(to_dir))

    @asynccontextmanager
    async def _events(self, origin: str) -> AsyncIterator[AsyncIterator[Event]]:
        async with self.client.events.subscribe(queue_id=self.queue_id, origin=origin) as stream:
            yield stream

    def events(self, origin: str) -> AbstractAsyncContextManager[AsyncIterator[Event]]:
        """The queue's events of one origin."""
        return self._events(origin)

    async def aclose(self) -> None:
        """Close the session."""
        await self.client.aclose()
