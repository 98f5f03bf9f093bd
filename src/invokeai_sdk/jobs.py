"""Handles for enqueued work: ``BatchHandle`` (one batch) holds ``JobHandle`` s (one queue item each).

::

    batch = await ivk.queue.enqueue(graph)
    job = batch.jobs[0]
    await job.wait(wait_timeout=60)      # JobFailedError / JobCanceledError / WaitTimeoutError
    names = await job.images()

A run made from a workflow (``ivk.workflows.run``) carries the workflow's node labels: its
``outputs()`` answer by node id and by label (see :class:`~invokeai_sdk.workflows.WorkflowOutputs`).

``wait()`` settles exactly once, through the session's shared watcher (one event subscription and
one REST poller for all waits, see ``_job_watcher``), and returns at once for finished jobs.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from ._errors import (
    JobCanceledError,
    JobDeletedError,
    JobError,
    JobFailedError,
    NotFoundError,
    WaitTimeoutError,
)
from ._job_watcher import Outcome, get_watcher
from ._media_files import download_image_to
from ._outputs import WorkflowOutputs, image_names
from ._queue_items import QueueItems
from ._types import NOT_GIVEN, NotGiven, SettledBy, TimeoutArg
from ._waiting import Deadline, resolve_wait_timeout
from ._warnings import warn_user
from .events._types import (
    DisconnectedEvent,
    Event,
    InvocationProgressEvent,
    QueueClearedEvent,
    QueueItemsCanceledEvent,
    QueueItemStatusChangedEvent,
    ReconnectedEvent,
)
from .types.queue import TERMINAL_STATUSES, BatchStatus, QueueItem

if TYPE_CHECKING:
    from ._base_client import BaseClient
    from .events import EventsResource
    from .events._stream import EventStream
    from .workflows._document import WorkflowDocument

__all__ = ["BatchHandle", "JobHandle", "outputs_of", "images_of"]


def _queue(client: BaseClient) -> QueueItems:
    return QueueItems(client)


def _events(client: BaseClient) -> EventsResource:
    from .events import EventsResource

    return EventsResource(client)


_RECONCILE_ON = (ReconnectedEvent, DisconnectedEvent, QueueClearedEvent)
"""Events after which a stream asks the server what it may have missed."""
_IDLE_CHECK = 5.0
"""Seconds without an event after which ``events()`` asks the server whether the work is over."""


class JobHandle:
    """One queue item: wait for it, follow its events, read its outputs, cancel it."""

    def __init__(
        self,
        client: BaseClient,
        item_id: int,
        *,
        queue_id: str = "default",
        batch_id: str | None = None,
        origin: str | None = None,
        labels: Mapping[str, list[str]] | None = None,
    ) -> None:
        self._client = client
        self.item_id = item_id
        """The queue item's id."""
        self.queue_id = queue_id
        """The queue it was enqueued on."""
        self.batch_id = batch_id
        """The batch it belongs to (``None`` when not known)."""
        self.origin = origin
        """The batch's ``origin`` tag (the SDK sets one per enqueue when not given)."""
        self.labels = _copy_labels(labels)
        """``{label: [node ids]}`` of the workflow's labelled nodes (empty for a plain graph)."""
        self._item: QueueItem | None = None
        self._settled_by: SettledBy | None = None

    @property
    def settled_by(self) -> SettledBy | None:
        """How the last :meth:`wait` (or the batch's) learnt the job's end: ``"event"`` (a queue event)
        or ``"poll"`` (a REST poll: before any event, or without events); ``None`` before a wait ended."""
        return self._settled_by

    def __repr__(self) -> str:
        return f"JobHandle(item_id={self.item_id}, queue_id={self.queue_id!r}, batch_id={self.batch_id!r})"

    async def wait(
        self,
        *,
        wait_timeout: float | None = None,
        cancel_on_timeout: bool = False,
        timeout: float | None | NotGiven = NOT_GIVEN,
    ) -> str:
        """Wait until the job is finished; return ``"completed"``.

        Raises :class:`JobFailedError` (with the server's ``error_type``, ``error_message`` and
        ``error_traceback``), :class:`JobCanceledError`, or :class:`WaitTimeoutError` after
        ``wait_timeout`` seconds (``None``: no deadline; canceling the job first when
        ``cancel_on_timeout``). ``timeout=`` is the deprecated old name of ``wait_timeout``.
        """
        seconds = resolve_wait_timeout(wait_timeout, timeout)
        deadline = Deadline(seconds, f"queue item {self.item_id} did not finish within {seconds} s")
        try:
            with deadline.enforce():
                outcome = await get_watcher(self._client, self.queue_id).wait(self.item_id)
        except WaitTimeoutError:
            if cancel_on_timeout:
                await self.cancel()
            raise
        self._settled_by = outcome.settled_by
        _raise_for(outcome, self.item_id, self.batch_id)
        return outcome.status

    async def cancel(self, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Cancel the job (the node running now still finishes)."""
        await _queue(self._client).cancel(self.item_id, queue_id=self.queue_id, timeout=timeout)

    async def result(self, *, timeout: TimeoutArg = NOT_GIVEN) -> QueueItem:
        """The queue item with its session (fetched again unless it was already terminal)."""
        if self._item is None or not self._item.is_terminal:
            self._item = await _queue(self._client).get(self.item_id, queue_id=self.queue_id, timeout=timeout)
        return self._item

    @property
    def job(self) -> JobHandle:
        """Deprecated: the handle itself (``ivk.workflows.run`` used to wrap it)."""
        _deprecated("job.job", "the job handle itself")
        return self

    async def outputs(self, *, timeout: TimeoutArg = NOT_GIVEN) -> WorkflowOutputs:
        """Outputs per node id of *your* graph: one output per prepared node (several under iterate).

        A ``dict`` by node id; for a workflow run a node's label works as a key too.
        """
        return WorkflowOutputs(outputs_of(await self.result(timeout=timeout)), self.labels)

    async def images(
        self, *, include_intermediate: bool = False, timeout: TimeoutArg = NOT_GIVEN
    ) -> list[str]:
        """Names of the images the job produced (of non-intermediate nodes unless asked)."""
        return images_of(await self.result(timeout=timeout), include_intermediate=include_intermediate)

    async def download_images(
        self,
        to_dir: str | os.PathLike[str],
        *,
        include_intermediate: bool = False,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> list[Path]:
        """Download the job's images into ``to_dir`` (atomic writes); return the paths."""
        target = Path(to_dir)
        await anyio.Path(target).mkdir(parents=True, exist_ok=True)
        names = await self.images(include_intermediate=include_intermediate, timeout=timeout)
        return [await download_image_to(self._client, name, target, timeout=timeout) for name in names]

    async def events(self) -> AsyncIterator[Event]:
        """This job's events until it is terminal (ends at once if it already is).

        Events from before this call are not replayed. Raises ``EventsUnavailableError`` without events.
        """
        async with _events(self._client).subscribe(queue_id=self.queue_id, item_ids=[self.item_id]) as stream:
            if (await self.result()).is_terminal:
                return
            while True:
                ended, event = await _receive_within(stream, _IDLE_CHECK)
                if ended:
                    return
                if event is None:  # quiet for a while: deleted without an event, or events lost?
                    if await self._gone_or_terminal():
                        return
                    continue
                yield event
                if isinstance(event, QueueItemStatusChangedEvent) and event.status in TERMINAL_STATUSES:
                    return
                if isinstance(event, QueueItemsCanceledEvent):
                    return
                if isinstance(event, _RECONCILE_ON) and await self._gone_or_terminal():
                    return

    async def _gone_or_terminal(self) -> bool:
        try:
            return (await self.result()).is_terminal
        except NotFoundError:
            return True

    async def progress(self) -> AsyncIterator[InvocationProgressEvent]:
        """The job's progress events (messages, percentages, previews) until it is terminal."""
        async for event in self.events():
            if isinstance(event, InvocationProgressEvent):
                yield event


class BatchHandle:
    """One enqueued batch: its queue items as :class:`JobHandle` s, in enqueue order."""

    def __init__(
        self,
        client: BaseClient,
        *,
        queue_id: str,
        batch_id: str,
        item_ids: list[int],
        origin: str | None = None,
        destination: str | None = None,
        labels: Mapping[str, list[str]] | None = None,
        document: WorkflowDocument | None = None,
    ) -> None:
        self._client = client
        self.queue_id = queue_id
        """The queue it was enqueued on."""
        self.batch_id = batch_id
        """The batch's id, as the server knows it."""
        self.item_ids = list(item_ids)
        """The ids of the items the batch made, in order."""
        self.origin = origin
        """The batch's ``origin`` tag (the SDK sets one per enqueue when not given)."""
        self.destination = destination
        """The batch's ``destination`` tag."""
        self.labels = _copy_labels(labels)
        """``{label: [node ids]}`` of the workflow's labelled nodes (empty for a plain graph)."""
        self.document = document
        """The ``WorkflowDocument`` as run (inputs set, uploads and models resolved); ``None`` for a graph."""
        self.jobs = [
            JobHandle(client, item_id, queue_id=queue_id, batch_id=batch_id, origin=origin, labels=labels)
            for item_id in item_ids
        ]
        """One job handle per item, in the order of ``item_ids``."""

    def __repr__(self) -> str:
        workflow = "" if self.document is None else f"workflow={self.document.name!r}, "
        return f"BatchHandle({workflow}batch_id={self.batch_id!r}, items={len(self.jobs)})"

    @property
    def batch(self) -> BatchHandle:
        """Deprecated: the handle itself (``ivk.workflows.run`` used to wrap it)."""
        _deprecated("run.batch", "the run itself")
        return self

    def __len__(self) -> int:
        return len(self.jobs)

    def __iter__(self) -> Iterator[JobHandle]:
        return iter(self.jobs)

    def __getitem__(self, index: int) -> JobHandle:
        return self.jobs[index]

    async def wait(
        self,
        *,
        wait_timeout: float | None = None,
        cancel_on_timeout: bool = False,
        timeout: float | None | NotGiven = NOT_GIVEN,
    ) -> list[str]:
        """Wait for every item; return their statuses, or raise for the first that did not complete.

        Every item settles before anything is raised. After ``wait_timeout`` seconds (``None``: no
        deadline) raises :class:`WaitTimeoutError` (canceling the batch's unfinished items first when
        ``cancel_on_timeout``). ``timeout=`` is the deprecated old name of ``wait_timeout``.
        """
        seconds = resolve_wait_timeout(wait_timeout, timeout)
        outcomes: dict[int, Outcome] = {}
        deadline = Deadline(
            seconds,
            lambda: (
                f"batch {self.batch_id}: {len(self.item_ids) - len(outcomes)} item(s) "
                f"unfinished after {seconds} s"
            ),
        )
        try:
            with deadline.enforce():
                await get_watcher(self._client, self.queue_id).wait_many(self.item_ids, settled=outcomes)
        except WaitTimeoutError:
            if cancel_on_timeout:
                await self.cancel()
            raise
        for job in self.jobs:
            job._settled_by = outcomes[job.item_id].settled_by
        for item_id in self.item_ids:
            _raise_for(outcomes[item_id], item_id, self.batch_id)
        return [outcomes[item_id].status for item_id in self.item_ids]

    async def cancel(self, *, timeout: TimeoutArg = NOT_GIVEN) -> int:
        """Cancel every unfinished item of the batch; returns how many were canceled."""
        return await _queue(self._client).cancel_batches(
            [self.batch_id], queue_id=self.queue_id, timeout=timeout
        )

    async def status(self, *, timeout: TimeoutArg = NOT_GIVEN) -> BatchStatus:
        """The batch's counts per status."""
        return await _queue(self._client).batch_status(self.batch_id, queue_id=self.queue_id, timeout=timeout)

    async def results(self, *, timeout: TimeoutArg = NOT_GIVEN) -> list[QueueItem]:
        """Every item of the batch with its session, in enqueue order (one request per 1000 items)."""
        items = await _queue(self._client).items_by_ids(
            self.item_ids, queue_id=self.queue_id, timeout=timeout
        )
        by_id = {item.item_id: item for item in items}
        for job in self.jobs:
            job._item = by_id.get(job.item_id, job._item)
        return [by_id[i] for i in self.item_ids if i in by_id]

    async def outputs(self, *, timeout: TimeoutArg = NOT_GIVEN) -> list[WorkflowOutputs]:
        """The outputs of every item (see :meth:`JobHandle.outputs`), in enqueue order."""
        return [
            WorkflowOutputs(outputs_of(item), self.labels) for item in await self.results(timeout=timeout)
        ]

    async def images(
        self, *, include_intermediate: bool = False, timeout: TimeoutArg = NOT_GIVEN
    ) -> list[str]:
        """Names of every image the batch produced, item after item in enqueue order."""
        return [
            name
            for item in await self.results(timeout=timeout)
            for name in images_of(item, include_intermediate=include_intermediate)
        ]

    async def download_images(
        self,
        to_dir: str | os.PathLike[str],
        *,
        include_intermediate: bool = False,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> list[Path]:
        """Download every image of the batch into ``to_dir`` (atomic writes); return the paths."""
        target = Path(to_dir)
        await anyio.Path(target).mkdir(parents=True, exist_ok=True)
        names = await self.images(include_intermediate=include_intermediate, timeout=timeout)
        return [await download_image_to(self._client, name, target, timeout=timeout) for name in names]

    async def progress(self) -> AsyncIterator[InvocationProgressEvent]:
        """Progress events of every item (``item_id``, ``message``, ``percentage``, preview ``image``)
        until the whole batch is terminal; status changes are in :meth:`events`."""
        async for event in self.events():
            if isinstance(event, InvocationProgressEvent):
                yield event

    async def events(self) -> AsyncIterator[Event]:
        """The batch's events until every item is terminal (needs events)."""
        pending = set(self.item_ids)
        async with _events(self._client).subscribe(
            queue_id=self.queue_id, batch_ids=[self.batch_id]
        ) as stream:
            for item in await self.results():
                if item.is_terminal:
                    pending.discard(item.item_id)
            if not pending:
                return
            while True:
                ended, event = await _receive_within(stream, _IDLE_CHECK)
                if ended:
                    return
                if event is not None:
                    yield event
                if isinstance(event, QueueItemStatusChangedEvent) and event.status in TERMINAL_STATUSES:
                    pending.discard(event.item_id or -1)
                elif isinstance(event, QueueItemsCanceledEvent):
                    pending.difference_update(event.canceled_item_ids)
                elif event is None or isinstance(event, _RECONCILE_ON):
                    # deleted items (no longer listed) are done too
                    pending &= {i.item_id for i in await self.results() if not i.is_terminal}
                if not pending:
                    return


def _copy_labels(labels: Mapping[str, list[str]] | None) -> dict[str, list[str]]:
    return {label: list(ids) for label, ids in (labels or {}).items()}


def _deprecated(old: str, new: str) -> None:
    warn_user(f"{old} is deprecated: use {new} (ivk.workflows.run returns the queue's handle)")


async def _receive_within(stream: EventStream, seconds: float) -> tuple[bool, Event | None]:
    """``(ended, event)``: the stream's next event within ``seconds`` (``None`` when it stayed quiet);
    ``ended`` once the stream is over."""
    with anyio.move_on_after(seconds):
        try:
            return False, await stream.receive()
        except StopAsyncIteration:
            return True, None
    return False, None


def _raise_for(outcome: Outcome, item_id: int, batch_id: str | None) -> None:
    if outcome.status == "completed":
        return
    by = outcome.settled_by
    if outcome.status == "failed":
        raise JobFailedError(
            f"queue item {item_id} failed: {outcome.error_type}: {outcome.error_message}",
            item_id=item_id,
            batch_id=batch_id,
            error_type=outcome.error_type,
            error_message=outcome.error_message,
            error_traceback=outcome.error_traceback,
            settled_by=by,
        )
    if outcome.status == "canceled":
        raise JobCanceledError(
            f"queue item {item_id} was canceled", item_id=item_id, batch_id=batch_id, settled_by=by
        )
    if outcome.status == "unknown" and outcome.error is not None:
        raise outcome.error
    if outcome.status == "closed":
        raise JobError(
            f"the session was closed while waiting for queue item {item_id}",
            item_id=item_id,
            batch_id=batch_id,
        )
    raise JobDeletedError(
        f"queue item {item_id} no longer exists (deleted or cleared)",
        item_id=item_id,
        batch_id=batch_id,
        settled_by=by,
    )


def outputs_of(item: QueueItem) -> dict[str, list[dict[str, Any]]]:
    """A queue item's results per source node id, through ``session.source_prepared_mapping``."""
    results = item.results
    out: dict[str, list[dict[str, Any]]] = {}
    for source_id, prepared_ids in item.source_prepared_mapping.items():
        outputs = [results[p] for p in prepared_ids if isinstance(results.get(p), dict)]
        if outputs:
            out[source_id] = outputs
    return out


def images_of(item: QueueItem, *, include_intermediate: bool = False) -> list[str]:
    """Image names in a queue item's outputs (``image`` and ``collection`` of images), in node order."""
    nodes = (
        item.session.get("graph", {}).get("nodes", {}) if isinstance(item.session.get("graph"), dict) else {}
    )
    names: list[str] = []
    for source_id, outputs in outputs_of(item).items():
        node = nodes.get(source_id, {})
        if not include_intermediate and isinstance(node, dict) and node.get("is_intermediate"):
            continue
        image_names(outputs, names)
    return names
