"""The queue's item-level calls (read, summarise, cancel items and batches), below the namespace.

:class:`QueueItems` is the one implementation of these calls: ``ivk.queue`` (:class:`QueueResource`)
inherits them, and the job watcher and the job handles use them directly, so neither needs the
namespace (which makes those handles).
"""

from __future__ import annotations

import builtins
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import anyio

from ._errors import InternalServerError, InvokeAIError, NotFoundError, ValidationError
from ._resource import AsyncAPIResource
from ._transport import segment
from ._types import NOT_GIVEN, TimeoutArg
from .types.queue import BatchStatus, CanceledResult, QueueItem, QueueItemSummary

__all__ = ["MAX_IDS", "QueueItems", "check_item_id", "queue_path"]

MAX_IDS = 1000
"""The most item ids the server takes in one bulk request."""
_I = TypeVar("_I", QueueItem, QueueItemSummary)
_PER_ITEM_CONCURRENCY = 8  # servers without bulk item routes (before 6.8) are read one item at a time
_LIST_ALL_ROUTE = "/api/v1/queue/{queue_id}/list_all"  # 6.3+
_LIST_PAGE = 100  # page size of the cursor listing ("/list") of servers before 6.3
_MAX_ITEM_ID = 2**63 - 1  # the server keeps item ids in SQLite INTEGER (signed 64-bit)


def queue_path(queue_id: str) -> str:
    """``/api/v1/queue/<queue_id>`` (a bad queue id raises ``ValidationError``)."""
    if not queue_id or "/" in queue_id:
        raise ValidationError(f"queue_id must be a non-empty name without '/', got {queue_id!r}")
    return f"/api/v1/queue/{segment(queue_id)}"


def check_item_id(item_id: Any) -> int:
    """``item_id`` when it is a valid queue item id, else ``ValidationError``."""
    if isinstance(item_id, bool) or not isinstance(item_id, int) or not 0 <= item_id <= _MAX_ITEM_ID:
        raise ValidationError(f"a queue item id must be an int from 0 to 2**63 - 1, got {item_id!r}")
    return item_id


def _bare_500(exc: InvokeAIError) -> bool:
    """An unhandled server exception (a 500 with the plain-text body), as 5.x gives for a missing item."""
    return isinstance(exc, InternalServerError) and exc.response.text.strip() == "Internal Server Error"


def _summary_fields(item: QueueItem) -> dict[str, Any]:
    return {name: getattr(item, name) for name in QueueItemSummary.model_fields}


class QueueItems(AsyncAPIResource):
    """Item-level queue calls: get, list, summarise and cancel items, read and cancel batches.

    Every call takes ``queue_id`` (``"default"``, the only queue InvokeAI uses today).
    """

    async def get(
        self, item_id: int, *, queue_id: str = "default", timeout: TimeoutArg = NOT_GIVEN
    ) -> QueueItem:
        """One queue item with its session (results, errors)."""
        return await self._parsed(
            QueueItem, "GET", f"{queue_path(queue_id)}/i/{check_item_id(item_id)}", timeout=timeout
        )

    async def batch_status(
        self, batch_id: str, *, queue_id: str = "default", timeout: TimeoutArg = NOT_GIVEN
    ) -> BatchStatus:
        """Counts per status of one batch."""
        return await self._parsed(
            BatchStatus, "GET", f"{queue_path(queue_id)}/b/{segment(batch_id)}/status", timeout=timeout
        )

    async def batch_item_ids(
        self, batch_id: str, *, queue_id: str = "default", timeout: TimeoutArg = NOT_GIVEN
    ) -> builtins.list[int]:
        """The ids of the items of one batch, in order (``[]``: the queue holds no item of it).

        The batch's status is read first, so a batch that never arrived costs one small request
        rather than a listing of the whole queue.
        """
        if not (await self.batch_status(batch_id, queue_id=queue_id, timeout=timeout)).total:
            return []
        items = await self.list_all(queue_id=queue_id, timeout=timeout)
        return sorted(item.item_id for item in items if item.batch_id == batch_id)

    async def list_all(
        self, *, queue_id: str = "default", destination: str | None = None, timeout: TimeoutArg = NOT_GIVEN
    ) -> builtins.list[QueueItem]:
        """Every queue item in one request (optionally only those sent to ``destination``).

        Servers before 6.3 have no such route: their paged listing is walked and each item read.
        """
        params = {"destination": destination} if destination is not None else None

        async def newest() -> builtins.list[QueueItem]:
            return await self._parsed(
                builtins.list[QueueItem],
                "GET",
                f"{queue_path(queue_id)}/list_all",
                params=params,
                timeout=timeout,
            )

        async def older() -> builtins.list[QueueItem]:
            ids = await self._paged_ids(queue_id, destination, timeout)
            return await self.items_by_ids(ids, queue_id=queue_id, timeout=timeout)

        return await self._newest_or_older("GET", _LIST_ALL_ROUTE, newest, older)

    async def items_by_ids(
        self, item_ids: Iterable[int], *, queue_id: str = "default", timeout: TimeoutArg = NOT_GIVEN
    ) -> builtins.list[QueueItem]:
        """The queue items with these ids (missing ids are left out); one item at a time before 6.8."""
        ids = [check_item_id(i) for i in item_ids]

        async def older() -> builtins.list[QueueItem]:
            return await self._items_one_by_one(ids, queue_id=queue_id, timeout=timeout)

        return await self._by_ids(QueueItem, "items_by_ids", ids, queue_id, timeout, older)

    async def summaries(
        self, item_ids: Iterable[int], *, queue_id: str = "default", timeout: TimeoutArg = NOT_GIVEN
    ) -> builtins.list[QueueItemSummary]:
        """Light summaries (status, batch, timestamps) of these items; missing ids are left out.

        Servers before 6.14 have no summary route: the summaries are cut from the full items.
        """
        ids = [check_item_id(i) for i in item_ids]

        async def older() -> builtins.list[QueueItemSummary]:
            items = await self.items_by_ids(ids, queue_id=queue_id, timeout=timeout)
            return [QueueItemSummary.model_validate(_summary_fields(item)) for item in items]

        return await self._by_ids(QueueItemSummary, "item_summaries_by_ids", ids, queue_id, timeout, older)

    async def _by_ids(
        self,
        item_type: type[_I],
        route: str,
        ids: builtins.list[int],
        queue_id: str,
        timeout: TimeoutArg,
        older: Callable[[], Awaitable[builtins.list[_I]]],
    ) -> builtins.list[_I]:
        """POST ``ids`` to the queue's bulk ``route`` in slices the server accepts, the answers joined;
        on a server without that route, ``older()`` (the older release's way) instead."""

        async def newest() -> builtins.list[_I]:
            out: builtins.list[_I] = []
            for start in range(0, len(ids), MAX_IDS):
                out += await self._parsed(
                    builtins.list[item_type],  # type: ignore[valid-type]
                    "POST",
                    f"{queue_path(queue_id)}/{route}",
                    json={"item_ids": ids[start : start + MAX_IDS]},
                    timeout=timeout,
                    idempotent=True,  # a read: safe to send again after a reset
                )
            return out

        return await self._newest_or_older("POST", f"/api/v1/queue/{{queue_id}}/{route}", newest, older)

    async def _paged_ids(
        self, queue_id: str, destination: str | None, timeout: TimeoutArg
    ) -> builtins.list[int]:
        """Every item id from the cursor-paged ``/list`` of servers before 6.3 (item summaries only)."""
        ids: builtins.list[int] = []
        cursor: dict[str, int] = {}
        while True:
            page = await self._json(
                "GET", f"{queue_path(queue_id)}/list", params={"limit": _LIST_PAGE, **cursor}, timeout=timeout
            )
            rows = [row for row in page.get("items", []) if isinstance(row, dict)]
            ids += [
                int(row["item_id"])
                for row in rows
                if destination is None or row.get("destination") == destination
            ]
            if not rows or not page.get("has_more"):
                return ids
            cursor = {"cursor": int(rows[-1]["item_id"]), "priority": int(rows[-1].get("priority", 0))}

    async def _items_one_by_one(
        self, ids: builtins.list[int], *, queue_id: str, timeout: TimeoutArg
    ) -> builtins.list[QueueItem]:
        """Read items one request each (a few at a time), in the order asked; missing ids left out.

        A missing item (deleted meanwhile, or never there) is left out, as the bulk route does. 5.x
        servers answer a bare 500 for it: such an item counts as missing only when the queue's listing
        confirms it is not there; otherwise the 500 is raised.
        """
        found: dict[int, QueueItem] = {}
        errors: dict[int, InvokeAIError] = {}
        limiter = anyio.CapacityLimiter(_PER_ITEM_CONCURRENCY)

        async def read(item_id: int) -> None:
            async with limiter:
                try:
                    found[item_id] = await self.get(item_id, queue_id=queue_id, timeout=timeout)
                except NotFoundError:
                    pass
                except InvokeAIError as exc:  # raised after the others finished, not as a group
                    errors[item_id] = exc

        wanted = builtins.list(dict.fromkeys(ids))
        async with anyio.create_task_group() as group:
            for item_id in wanted:
                group.start_soon(read, item_id)
        if errors:
            unexplained = [i for i, exc in errors.items() if not _bare_500(exc)]
            if unexplained:
                raise errors[unexplained[0]]
            listed = set(await self._paged_ids(queue_id, None, timeout))
            present = [i for i in errors if i in listed]
            if present:
                raise errors[present[0]]
        return [found[i] for i in wanted if i in found]

    async def cancel(
        self, item_id: int, *, queue_id: str = "default", timeout: TimeoutArg = NOT_GIVEN
    ) -> QueueItem:
        """Cancel one item (a running node still finishes); returns the item."""
        return await self._parsed(
            QueueItem, "PUT", f"{queue_path(queue_id)}/i/{check_item_id(item_id)}/cancel", timeout=timeout
        )

    async def cancel_batches(
        self, batch_ids: Iterable[str], *, queue_id: str = "default", timeout: TimeoutArg = NOT_GIVEN
    ) -> int:
        """Cancel every unfinished item of these batches; returns how many were canceled."""
        ids = [str(b) for b in batch_ids]
        result = await self._parsed(
            CanceledResult,
            "PUT",
            f"{queue_path(queue_id)}/cancel_by_batch_ids",
            json={"batch_ids": ids},
            timeout=timeout,
        )
        return result.canceled
