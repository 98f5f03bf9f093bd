"""``ivk.queue``: enqueue graphs and batches, inspect, cancel, delete, pause and retry queue items."""

from __future__ import annotations

import builtins
import copy
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import anyio
import httpx

from .._errors import (
    APIConnectionError,
    BatchDataError,
    EnqueueError,
    InternalServerError,
    InvokeAIError,
    ValidationError,
)
from .._pagination import AsyncPage, AsyncPaginator, page_sizes
from .._queue_items import MAX_IDS as _MAX_IDS
from .._queue_items import QueueItems, check_item_id, queue_path
from .._transport import segment
from .._types import NOT_GIVEN, TimeoutArg
from ..graphs._convert import as_graph_dict
from ..graphs._validate import check_graph
from ..types.queue import (
    CanceledResult,
    DeletedResult,
    EnqueueBatchResult,
    ProcessorStatus,
    QueueCounts,
    QueueItem,
    QueueStatus,
    RetryItemsResult,
)

if TYPE_CHECKING:
    from .._invocation_schema import InvocationSchemas
    from ..graphs import Graph
    from ..jobs import BatchHandle

__all__ = ["QueueResource", "new_origin"]

_LOST_REPLY_LOOKUPS = (0.0, 0.5, 1.0, 2.0)
"""Delays (s) before each look for a batch whose enqueue reply was lost (the server may still write it)."""
_FAILED_REPLY_LOOKUPS = (0.0, 0.5)
"""Delays (s) before each look for a batch the server answered with a 500: its handler has ended, so the
batch is written or not (the second look covers a write another of the server's threads commits)."""
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Failures before the request left this process: such an enqueue cannot have arrived."""

log = logging.getLogger("invokeai_sdk")
# Route templates whose presence (in the server's /openapi.json) picks how items are read.
_ITEM_IDS_ROUTE = "/api/v1/queue/{queue_id}/item_ids"  # 6.8+


def new_origin() -> str:
    """A unique ``origin`` for one submission, so its events can be told apart from everyone else's."""
    return f"invokeai-sdk:{uuid.uuid4().hex}"


def _q(queue_id: str) -> str:
    return queue_path(queue_id)


def _item_id(item_id: Any) -> int:
    return check_item_id(item_id)


class QueueResource(QueueItems):
    """The session queue: submit work (as job handles), watch it, and manage the queue.

    Every verb takes ``queue_id`` (``"default"``, the only queue InvokeAI uses today).
    """

    # -- submitting ---------------------------------------------------------------------------

    async def enqueue(
        self,
        graph_or_batch: Mapping[str, Any] | Graph,
        *,
        runs: int | None = None,
        data: Sequence[Sequence[Mapping[str, Any]]] | None = None,
        prepend: bool = False,
        origin: str | None = None,
        destination: str | None = None,
        workflow: Mapping[str, Any] | None = None,
        queue_id: str = "default",
        validate: bool = True,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> BatchHandle:
        """Enqueue a graph (``{"nodes": ..., "edges": ...}``) or a batch (``{"graph": ..., ...}``).

        Keyword arguments override the batch's own ``runs`` (default 1), ``data``, ``origin``,
        ``destination`` and ``workflow``. ``data`` items are type-checked against the server's node
        schemas first: a bad item raises :class:`BatchDataError` and nothing is sent. Without an
        ``origin`` the batch gets a unique one. The queue's events are subscribed to *before* the
        batch is sent, so ``wait()`` on the returned handle cannot miss the outcome. An enqueue is
        never retried (the server cannot tell a retry from a second submission); instead the batch
        gets a new ``batch_id`` (one given in the batch is kept: it must be new), and when the reply is
        lost the batch is looked up by it: the handle is returned if it arrived, else
        :class:`EnqueueError` (with ``batch_id`` and ``enqueued``) is raised. A 5xx reply is checked the
        same way (some servers answer 500 to a batch they did write): the handle if the batch is there,
        else the :class:`InternalServerError`, its message saying whether the batch is on the server.

        The graph (a dict or a :class:`~invokeai_sdk.graphs.Graph`) is checked against the server's
        node schemas first: every problem found raises one :class:`GraphValidationError` and nothing
        is sent. ``validate=False`` skips that check (the server still refuses what it refuses).
        """
        from .._job_watcher import get_watcher
        from ..jobs import BatchHandle

        batch = _build_batch(graph_or_batch, runs, data, origin, destination, workflow)
        if not isinstance(prepend, bool):
            raise ValidationError(f"prepend must be a bool, got {prepend!r}")
        features = await self._client.features()
        _check_batch_data(batch, features.invocations)
        if validate:
            check_graph(batch, features.invocations)
        # The SDK names the batch, so a batch whose reply is lost can be found again on the server.
        batch.setdefault("batch_id", str(uuid.uuid4()))
        if not isinstance(batch["batch_id"], str) or not batch["batch_id"]:
            raise ValidationError(f"batch_id must be a non-empty string, got {batch['batch_id']!r}")
        watcher = get_watcher(self._client, queue_id)
        await watcher.start()
        try:
            result = await self._parsed(
                EnqueueBatchResult,
                "POST",
                f"{_q(queue_id)}/enqueue_batch",
                json={"batch": batch, "prepend": prepend},
                timeout=timeout,
            )
        except APIConnectionError as exc:  # the reply was lost: did the batch arrive?
            item_ids = await self._find_lost_batch(batch["batch_id"], queue_id, exc)
            batch_id, sent = batch["batch_id"], batch
        except InternalServerError as exc:  # the server failed: but did it write the batch first?
            item_ids = await self._find_failed_batch(batch["batch_id"], queue_id, exc)
            batch_id, sent = batch["batch_id"], batch
        else:
            batch_id, sent = str(result.batch.get("batch_id")), result.batch
            made = result.item_ids
            # 5.x servers do not say which items they made
            item_ids = made if made is not None else await self.batch_item_ids(batch_id, queue_id=queue_id)
        return BatchHandle(
            self._client,
            queue_id=queue_id,
            batch_id=batch_id,
            item_ids=sorted(item_ids),
            origin=sent.get("origin"),
            destination=sent.get("destination"),
        )

    async def _find_lost_batch(
        self, batch_id: str, queue_id: str, lost: APIConnectionError
    ) -> builtins.list[int]:
        """The items of a batch whose enqueue reply was lost; raise :class:`EnqueueError` if none arrived.

        A request that never left (the connection could not be opened) cannot have arrived. Otherwise
        the batch is looked for a few times (the server may still be writing it); the server writes
        all items of a batch in one transaction, so any item seen means all of them are there.
        """
        if isinstance(lost.__cause__, _NEVER_SENT):
            raise EnqueueError(
                f"batch {batch_id} was not enqueued: the server could not be reached ({lost})",
                batch_id=batch_id,
                enqueued=False,
                request=lost.request,
            ) from lost
        found = await self._look_for_batch(batch_id, queue_id, _LOST_REPLY_LOOKUPS)
        if found:
            return found
        outcome = (
            "the server holds no item of it"
            if found == []
            else "the server could not be asked whether it arrived"
        )
        raise EnqueueError(
            f"the reply to enqueueing batch {batch_id} was lost and {outcome} ({lost}); "
            f"look for batch_id {batch_id!r} before enqueueing it again",
            batch_id=batch_id,
            enqueued=False if found == [] else None,
            request=lost.request,
        ) from lost

    async def _find_failed_batch(
        self, batch_id: str, queue_id: str, failed: InternalServerError
    ) -> builtins.list[int]:
        """The items of a batch the server answered with a 5xx; raise that error if it holds none.

        InvokeAI 5.x shares one database connection between its threads: ``enqueue_batch`` can commit
        the batch and still answer 500 (``cannot commit - no transaction is active``). A 502-504 comes
        from a proxy, with the server perhaps still writing: such a batch is looked for as long as for
        a lost reply. The error raised when the batch is not found says whether the server was asked.
        """
        delays = _FAILED_REPLY_LOOKUPS if failed.status_code == 500 else _LOST_REPLY_LOOKUPS
        found = await self._look_for_batch(batch_id, queue_id, delays)
        if found:
            log.warning(
                "the server answered %d to enqueueing batch %s, yet holds its %d item(s): it was enqueued",
                failed.status_code,
                batch_id,
                len(found),
            )
            return found
        outcome = (
            "the server holds no item of it, so it was not enqueued"
            if found == []
            else f"the server could not be asked whether it arrived: look for batch_id {batch_id!r} "
            "before enqueueing it again"
        )
        raise type(failed)(
            f"{failed} (batch {batch_id}: {outcome})", response=failed.response, detail=failed.detail
        ) from failed

    async def _look_for_batch(
        self, batch_id: str, queue_id: str, delays: Sequence[float]
    ) -> builtins.list[int] | None:
        """The batch's item ids, looked up after each delay until some are seen.

        ``[]``: the server was asked and holds none; ``None``: no lookup got an answer.
        """
        asked = False
        for delay in delays:
            await anyio.sleep(delay)
            try:
                item_ids = await self.batch_item_ids(batch_id, queue_id=queue_id)
            except InvokeAIError as exc:
                log.info("could not look for batch %s after its enqueue went wrong: %s", batch_id, exc)
                continue
            if item_ids:
                return item_ids
            asked = True
        return [] if asked else None

    async def run(
        self,
        graph: Mapping[str, Any] | Graph,
        *,
        origin: str | None = None,
        destination: str | None = None,
        workflow: Mapping[str, Any] | None = None,
        queue_id: str = "default",
        validate: bool = True,
        wait_timeout: float | None = None,
        cancel_on_timeout: bool = True,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> dict[str, list[dict[str, Any]]]:
        """Enqueue one graph (one item), wait for it and return its outputs per source node id.

        Raises ``JobFailedError`` / ``JobCanceledError`` / ``WaitTimeoutError`` like ``wait()``; when
        ``wait_timeout`` runs out the item is canceled first (``cancel_on_timeout=False`` leaves it
        running). For several runs or batch ``data``, use :meth:`enqueue` and the handle it returns.
        ``validate=False`` skips the local check of the graph (see :meth:`enqueue`).
        """
        graph = as_graph_dict(graph)
        if graph.get("data") or (graph.get("runs") not in (None, 1)):
            raise ValidationError(
                "queue.run() runs one item; enqueue a batch with data or runs > 1 with queue.enqueue()"
            )
        batch = await self.enqueue(
            graph,
            runs=1,
            origin=origin,
            destination=destination,
            workflow=workflow,
            queue_id=queue_id,
            validate=validate,
            timeout=timeout,
        )
        job = batch.jobs[0]
        await job.wait(wait_timeout=wait_timeout, cancel_on_timeout=cancel_on_timeout)
        return await job.outputs(timeout=timeout)

    # -- reading ------------------------------------------------------------------------------

    async def status(self, *, queue_id: str = "default", timeout: TimeoutArg = NOT_GIVEN) -> QueueStatus:
        """The queue's counts per status and whether the processor is running."""
        return await self._parsed(QueueStatus, "GET", f"{_q(queue_id)}/status", timeout=timeout)

    async def current(
        self, *, queue_id: str = "default", timeout: TimeoutArg = NOT_GIVEN
    ) -> QueueItem | None:
        """The item running now, or ``None``."""
        item: QueueItem | None = await self._parsed(
            QueueItem | None, "GET", f"{_q(queue_id)}/current", timeout=timeout
        )
        return item

    async def next(self, *, queue_id: str = "default", timeout: TimeoutArg = NOT_GIVEN) -> QueueItem | None:
        """The item that will run next, or ``None``."""
        item: QueueItem | None = await self._parsed(
            QueueItem | None, "GET", f"{_q(queue_id)}/next", timeout=timeout
        )
        return item

    async def counts_by_destination(
        self, destination: str, *, queue_id: str = "default", timeout: TimeoutArg = NOT_GIVEN
    ) -> QueueCounts:
        """Counts per status of the items sent to ``destination``."""
        return await self._parsed(
            QueueCounts,
            "GET",
            f"{_q(queue_id)}/counts_by_destination",
            params={"destination": destination},
            timeout=timeout,
        )

    def list(
        self,
        *,
        queue_id: str = "default",
        status: str | Iterable[str] | None = None,
        batch_id: str | None = None,
        origin: str | None = None,
        destination: str | None = None,
        order: str = "desc",
        limit: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> AsyncPaginator[QueueItem]:
        """Queue items, newest first (``order="asc"``: oldest first), filtered on the client side.

        Pages are ``limit`` item ids each (unset: 100 for one page, 1,000 for a walk); filters
        apply within a page, so a filtered page can hold fewer than ``limit`` items. ``async for``
        walks them all. The ids are read once, with the first page: a walk sees the queue as it was
        then (items deleted since are left out).
        """
        if order not in ("asc", "desc"):
            raise ValidationError(f"order must be 'asc' or 'desc', got {order!r}")
        page_limit, walk_limit = page_sizes(limit, default=100, largest=_MAX_IDS)
        statuses = {status} if isinstance(status, str) else (set(status) if status is not None else None)
        base = _q(queue_id)

        snapshot: builtins.list[int] = []
        held: dict[int, QueueItem] = {}  # servers before 6.8: the whole listing, read with the ids

        async def read_ids() -> None:
            ids = await self._json(
                "GET", f"{base}/item_ids", params={"order_dir": order.upper()}, timeout=timeout
            )
            snapshot[:] = [int(i) for i in ids.get("item_ids", [])]

        async def read_listing() -> None:
            held.update(
                (item.item_id, item) for item in await self.list_all(queue_id=queue_id, timeout=timeout)
            )
            snapshot[:] = sorted(held, reverse=order == "desc")

        async def fetch(offset: int, page_limit: int) -> AsyncPage[QueueItem]:
            if offset == 0 or not snapshot:  # a new walk: read the ids once, not once per page
                held.clear()
                await self._newest_or_older("GET", _ITEM_IDS_ROUTE, read_ids, read_listing)
            all_ids = snapshot
            wanted = all_ids[offset : offset + page_limit]
            if held:
                items = [held[i] for i in wanted if i in held]
            else:
                items = await self.items_by_ids(wanted, queue_id=queue_id, timeout=timeout) if wanted else []
            rank = {item_id: n for n, item_id in enumerate(wanted)}
            items.sort(key=lambda item: rank.get(item.item_id, 0))
            kept = [
                item
                for item in items
                if (statuses is None or item.status in statuses)
                and (batch_id is None or item.batch_id == batch_id)
                and (origin is None or item.origin == origin)
                and (destination is None or item.destination == destination)
            ]
            total = len(all_ids)
            return _IdsPage(kept, offset=offset, limit=page_limit, total=total, fetch=fetch, raw=len(wanted))

        return AsyncPaginator(fetch, limit=page_limit, walk_limit=walk_limit)

    # -- canceling and deleting ----------------------------------------------------------------

    async def cancel_destination(
        self, destination: str, *, queue_id: str = "default", timeout: TimeoutArg = NOT_GIVEN
    ) -> int:
        """Cancel every unfinished item sent to ``destination``; returns how many."""
        result = await self._parsed(
            CanceledResult,
            "PUT",
            f"{_q(queue_id)}/cancel_by_destination",
            params={"destination": destination},
            timeout=timeout,
        )
        return result.canceled

    async def cancel_all_except_current(
        self, *, queue_id: str = "default", timeout: TimeoutArg = NOT_GIVEN
    ) -> int:
        """Cancel every pending item (the running one goes on); returns how many."""
        result = await self._parsed(
            CanceledResult, "PUT", f"{_q(queue_id)}/cancel_all_except_current", timeout=timeout
        )
        return result.canceled

    async def delete(
        self, item_id: int, *, queue_id: str = "default", timeout: TimeoutArg = NOT_GIVEN
    ) -> None:
        """Delete one item (canceling it first if it runs)."""
        await self._request("DELETE", f"{_q(queue_id)}/i/{_item_id(item_id)}", timeout=timeout)

    async def delete_destination(
        self, destination: str, *, queue_id: str = "default", timeout: TimeoutArg = NOT_GIVEN
    ) -> int:
        """Delete every item sent to ``destination``; returns how many."""
        result = await self._parsed(
            DeletedResult, "DELETE", f"{_q(queue_id)}/d/{segment(destination)}", timeout=timeout
        )
        return result.deleted

    async def delete_all_except_current(
        self, *, queue_id: str = "default", timeout: TimeoutArg = NOT_GIVEN
    ) -> int:
        """Delete every pending item (the running one goes on); returns how many."""
        result = await self._parsed(
            DeletedResult, "PUT", f"{_q(queue_id)}/delete_all_except_current", timeout=timeout
        )
        return result.deleted

    async def prune(self, *, queue_id: str = "default", timeout: TimeoutArg = NOT_GIVEN) -> int:
        """Delete finished (completed, failed, canceled) items; returns how many."""
        return (await self._parsed(DeletedResult, "PUT", f"{_q(queue_id)}/prune", timeout=timeout)).deleted

    async def clear(self, *, queue_id: str = "default", timeout: TimeoutArg = NOT_GIVEN) -> int:
        """Cancel the running item and delete every item; returns how many were deleted."""
        return (await self._parsed(DeletedResult, "PUT", f"{_q(queue_id)}/clear", timeout=timeout)).deleted

    # -- processor and retries -----------------------------------------------------------------

    async def pause(self, *, queue_id: str = "default", timeout: TimeoutArg = NOT_GIVEN) -> ProcessorStatus:
        """Pause the processor (the running item finishes; nothing new starts)."""
        return await self._parsed(ProcessorStatus, "PUT", f"{_q(queue_id)}/processor/pause", timeout=timeout)

    async def resume(self, *, queue_id: str = "default", timeout: TimeoutArg = NOT_GIVEN) -> ProcessorStatus:
        """Resume the processor."""
        return await self._parsed(ProcessorStatus, "PUT", f"{_q(queue_id)}/processor/resume", timeout=timeout)

    async def retry(
        self, item_ids: Iterable[int], *, queue_id: str = "default", timeout: TimeoutArg = NOT_GIVEN
    ) -> RetryItemsResult:
        """Re-enqueue failed or canceled items (as new items); ``retried_item_ids`` are the originals."""
        ids = [_item_id(i) for i in item_ids]
        # Never resent: the originals stay failed, so a second PUT would enqueue copies again.
        return await self._parsed(
            RetryItemsResult,
            "PUT",
            f"{_q(queue_id)}/retry_items_by_id",
            json=ids,
            timeout=timeout,
            max_retries=0,
        )


class _IdsPage(AsyncPage[QueueItem]):
    """A page over item ids: whether there is a next page depends on the ids, not the filtered items."""

    def __init__(self, items: list[QueueItem], *, raw: int, **kwargs: Any) -> None:
        super().__init__(items, **kwargs)
        self._raw = raw

    def has_next_page(self) -> bool:
        return self._fetch is not None and self.total is not None and self.offset + self._raw < self.total

    async def next_page(self) -> AsyncPage[QueueItem]:
        if not self.has_next_page() or self._fetch is None:
            return AsyncPage([], offset=self.offset + self._raw, limit=self.limit, total=self.total)
        return await self._fetch(self.offset + self._raw, self.limit)


def _build_batch(
    graph_or_batch: Mapping[str, Any] | Graph,
    runs: int | None,
    data: Sequence[Sequence[Mapping[str, Any]]] | None,
    origin: str | None,
    destination: str | None,
    workflow: Mapping[str, Any] | None,
) -> dict[str, Any]:
    graph_or_batch = as_graph_dict(graph_or_batch)
    if not isinstance(graph_or_batch, Mapping):
        raise ValidationError(f"expected a graph or batch dict, got {type(graph_or_batch).__name__}")
    source = copy.deepcopy(dict(graph_or_batch))
    batch: dict[str, Any] = source if "graph" in source else {"graph": source}
    unknown = set(batch) - {"graph", "runs", "data", "origin", "destination", "workflow", "batch_id"}
    if unknown:
        raise ValidationError(f"unknown batch field(s): {sorted(unknown)}")
    graph = batch["graph"]
    if not isinstance(graph, Mapping) or not isinstance(graph.get("nodes"), Mapping):
        raise ValidationError("the graph needs a 'nodes' mapping of node id -> node")
    if not isinstance(graph.get("edges", []), list):
        raise ValidationError("the graph's 'edges' must be a list")
    for node_id, node in graph["nodes"].items():
        if not isinstance(node, Mapping) or not isinstance(node.get("type"), str):
            raise ValidationError(f"graph node {node_id!r} needs a string 'type'")
    if runs is not None:
        batch["runs"] = runs
    batch.setdefault("runs", 1)
    if isinstance(batch["runs"], bool) or not isinstance(batch["runs"], int) or batch["runs"] < 1:
        raise ValidationError(f"runs must be an int of 1 or more, got {batch['runs']!r}")
    if data is not None:
        batch["data"] = copy.deepcopy([list(group) for group in data])
    for key, value in (("origin", origin), ("destination", destination)):
        if value is not None:
            batch[key] = value
        if batch.get(key) is not None and not isinstance(batch[key], str):
            raise ValidationError(f"{key} must be a string, got {batch[key]!r}")
    if not batch.get("origin"):
        batch["origin"] = new_origin()
    if workflow is not None:
        batch["workflow"] = copy.deepcopy(dict(workflow))
    return batch


def _check_batch_data(batch: Mapping[str, Any], schemas: InvocationSchemas) -> None:
    """Refuse batch data that would poison the queue (see the module docstring of jobs)."""
    data = batch.get("data")
    if data is None:
        return
    nodes = batch["graph"]["nodes"]
    if not isinstance(data, list):
        raise BatchDataError("batch data must be a list of groups (lists) of {node_path, field_name, items}")
    for g, group in enumerate(data):
        if not isinstance(group, list) or not group:
            raise BatchDataError(f"batch data group {g} must be a non-empty list")
        lengths = set()
        for datum in group:
            if not isinstance(datum, Mapping) or set(datum) - {"node_path", "field_name", "items"}:
                raise BatchDataError(
                    f"group {g}: each datum is {{node_path, field_name, items}}, got {datum!r}"
                )
            node_path, field_name, items = datum.get("node_path"), datum.get("field_name"), datum.get("items")
            node = nodes.get(node_path) if isinstance(node_path, str) else None
            if node is None:
                raise BatchDataError(f"group {g}: node {node_path!r} is not in the graph")
            where = f"node {node_path!r} ({node['type']}) field {field_name!r}"
            if not isinstance(items, list) or not items:
                raise BatchDataError(f"{where}: items must be a non-empty list")
            lengths.add(len(items))
            spec = schemas.field(node["type"], str(field_name))
            if spec is None:
                if node["type"] in schemas:
                    raise BatchDataError(f"{where}: the node type has no such input field")
                continue  # a node type the schema does not describe: the server's 422 will say
            for index, item in enumerate(items):
                reason = spec.check(item)
                if reason is not None:
                    raise BatchDataError(f"{where}: item {index} ({item!r}) does not fit: {reason}")
        if len(lengths) > 1:
            raise BatchDataError(
                f"group {g}: zipped items must all have the same length, got {sorted(lengths)}"
            )
