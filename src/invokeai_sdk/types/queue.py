"""Types of the ``ivk.queue`` namespace: queue items, statuses and verb results."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .._models import ResponseModel

__all__ = [
    "TERMINAL_STATUSES",
    "BatchStatus",
    "CanceledResult",
    "DeletedResult",
    "EnqueueBatchResult",
    "ProcessorStatus",
    "QueueCounts",
    "QueueItem",
    "QueueItemSummary",
    "QueueStatus",
    "QueueStatusCounts",
    "RetryItemsResult",
]

TERMINAL_STATUSES: frozenset[str] = frozenset({"completed", "failed", "canceled"})
"""Queue item statuses after which nothing more happens to the item."""


class QueueCounts(ResponseModel):
    """Item counts per status."""

    pending: int = 0
    in_progress: int = 0
    waiting: int = 0
    completed: int = 0
    failed: int = 0
    canceled: int = 0
    total: int = 0


class QueueStatusCounts(QueueCounts):
    """A queue's counts and the item running now (if any)."""

    queue_id: str
    item_id: int | None = None
    batch_id: str | None = None
    session_id: str | None = None


class ProcessorStatus(ResponseModel):
    """Whether the queue processor is started (not paused) and busy."""

    is_started: bool
    is_processing: bool


class QueueStatus(ResponseModel):
    """``GET /queue/{id}/status``: the queue's counts and the processor's state."""

    queue: QueueStatusCounts
    processor: ProcessorStatus


class BatchStatus(QueueCounts):
    """Item counts of one batch."""

    queue_id: str
    batch_id: str
    origin: str | None = None
    destination: str | None = None

    @property
    def is_done(self) -> bool:
        """True when every item of the batch reached a terminal status."""
        return self.completed + self.failed + self.canceled >= self.total


class QueueItemSummary(ResponseModel):
    """A queue item without its session (for listings and polling)."""

    item_id: int
    status: str
    batch_id: str | None = None
    origin: str | None = None
    destination: str | None = None
    created_at: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    field_values: list[dict[str, Any]] | None = None


class QueueItem(QueueItemSummary):
    """A queue item with its session (graph, execution graph, results)."""

    queue_id: str | None = None
    status_sequence: int | None = None
    priority: int = 0
    session_id: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    error_traceback: str | None = None
    updated_at: str | None = None
    user_id: str | None = None
    session: dict[str, Any] = Field(default_factory=dict)
    workflow: dict[str, Any] | None = None

    @property
    def is_terminal(self) -> bool:
        """True when the item is completed, failed or canceled."""
        return self.status in TERMINAL_STATUSES

    @property
    def results(self) -> dict[str, Any]:
        """The session's outputs keyed by *prepared* node id."""
        results = self.session.get("results")
        return results if isinstance(results, dict) else {}

    @property
    def source_prepared_mapping(self) -> dict[str, list[str]]:
        """Your graph's node ids -> the prepared node ids that ran for them."""
        mapping = self.session.get("source_prepared_mapping")
        return mapping if isinstance(mapping, dict) else {}


class EnqueueBatchResult(ResponseModel):
    """``enqueue_batch``'s answer; ``item_ids`` may be missing on old servers."""

    queue_id: str
    enqueued: int
    requested: int
    batch: dict[str, Any]
    priority: int = 0
    item_ids: list[int] | None = None


class CanceledResult(ResponseModel):
    """How many items a bulk cancel canceled."""

    canceled: int


class DeletedResult(ResponseModel):
    """How many items a bulk delete (clear, prune, ...) deleted."""

    deleted: int


class RetryItemsResult(ResponseModel):
    """The items a retry re-enqueued (``retried_item_ids`` are the original ids)."""

    queue_id: str
    retried_item_ids: list[int]
