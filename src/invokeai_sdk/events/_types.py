"""Typed events: one pydantic model per Socket.IO event the InvokeAI server sends.

Models are lenient (extra fields kept, unknown values never fail): a field the server stops sending
is ``None``, a new field is kept in ``model_extra``. An event the SDK does not know arrives as
:class:`UnknownEvent`; one whose payload cannot be read arrives as an :class:`UnknownEvent` too.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pydantic
from pydantic import BaseModel, ConfigDict

__all__ = [
    "EVENT_TYPES",
    "PROGRESS_EVENTS",
    "BatchEnqueuedEvent",
    "BulkDownloadCompleteEvent",
    "BulkDownloadErrorEvent",
    "BulkDownloadEvent",
    "BulkDownloadStartedEvent",
    "DownloadCancelledEvent",
    "DisconnectedEvent",
    "DownloadCompleteEvent",
    "DownloadErrorEvent",
    "DownloadEvent",
    "DownloadPausedEvent",
    "DownloadProgressEvent",
    "DownloadStartedEvent",
    "Event",
    "InvocationCompleteEvent",
    "InvocationErrorEvent",
    "InvocationEvent",
    "InvocationProgressEvent",
    "InvocationStartedEvent",
    "LLMTaskCompleteEvent",
    "LLMTaskErrorEvent",
    "LLMTaskProgressEvent",
    "ModelInstallCancelledEvent",
    "ModelInstallCompleteEvent",
    "ModelInstallDownloadProgressEvent",
    "ModelInstallDownloadStartedEvent",
    "ModelInstallDownloadsCompleteEvent",
    "ModelInstallErrorEvent",
    "ModelInstallStartedEvent",
    "ModelLoadCompleteEvent",
    "ModelLoadStartedEvent",
    "QueueClearedEvent",
    "QueueItemEvent",
    "QueueItemStatusChangedEvent",
    "QueueItemsCanceledEvent",
    "QueueItemsRetriedEvent",
    "ReconnectedEvent",
    "RecallParametersUpdatedEvent",
    "UnknownEvent",
    "UserAccessChangedEvent",
    "WorkflowAccessRevokedEvent",
    "WorkflowCreatedEvent",
    "WorkflowDeletedEvent",
    "WorkflowUpdatedEvent",
    "parse_event",
]


class Event(BaseModel):
    """Base of every event; ``event_name`` is the Socket.IO event name."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=False)
    event_name: ClassVar[str] = ""
    timestamp: int | None = None


# -- queue ---------------------------------------------------------------------------------------


class QueueItemEvent(Event):
    """Base of events about one queue item."""

    queue_id: str | None = None
    item_id: int | None = None
    batch_id: str | None = None
    origin: str | None = None
    destination: str | None = None
    user_id: str | None = None


class QueueItemStatusChangedEvent(QueueItemEvent):
    """A queue item changed status (pending, in_progress, waiting, completed, failed, canceled)."""

    event_name: ClassVar[str] = "queue_item_status_changed"
    status: str | None = None
    status_sequence: int | None = None
    error_type: str | None = None
    error_message: str | None = None
    error_traceback: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    session_id: str | None = None
    batch_status: dict[str, Any] | None = None
    queue_status: dict[str, Any] | None = None


class InvocationEvent(QueueItemEvent):
    """Base of events about one node of a running session."""

    session_id: str | None = None
    invocation: dict[str, Any] | None = None
    invocation_source_id: str | None = None


class InvocationStartedEvent(InvocationEvent):
    """A node started."""

    event_name: ClassVar[str] = "invocation_started"


class InvocationProgressEvent(InvocationEvent):
    """A node reported progress (a message, maybe a percentage and a preview image)."""

    event_name: ClassVar[str] = "invocation_progress"
    message: str | None = None
    percentage: float | None = None
    image: dict[str, Any] | None = None
    device: str | None = None


class InvocationCompleteEvent(InvocationEvent):
    """A node completed; ``result`` is its output."""

    event_name: ClassVar[str] = "invocation_complete"
    result: dict[str, Any] | None = None


class InvocationErrorEvent(InvocationEvent):
    """A node failed."""

    event_name: ClassVar[str] = "invocation_error"
    error_type: str | None = None
    error_message: str | None = None
    error_traceback: str | None = None


class BatchEnqueuedEvent(Event):
    """A batch was enqueued."""

    event_name: ClassVar[str] = "batch_enqueued"
    queue_id: str | None = None
    batch_id: str | None = None
    enqueued: int | None = None
    requested: int | None = None
    priority: int | None = None
    origin: str | None = None
    user_id: str | None = None


class QueueItemsRetriedEvent(Event):
    """Items were retried; ``retried_item_ids`` are the original ids."""

    event_name: ClassVar[str] = "queue_items_retried"
    queue_id: str | None = None
    retried_item_ids: list[int] = []
    user_ids: list[str] | None = None
    retried_item_ids_by_user: dict[str, list[int]] | None = None


class QueueItemsCanceledEvent(Event):
    """A bulk cancel (no per-item status events follow)."""

    event_name: ClassVar[str] = "queue_items_canceled"
    queue_id: str | None = None
    canceled_item_ids: list[int] = []
    user_ids: list[str] | None = None
    canceled_item_ids_by_user: dict[str, list[int]] | None = None


class QueueClearedEvent(Event):
    """The queue was cleared."""

    event_name: ClassVar[str] = "queue_cleared"
    queue_id: str | None = None
    user_id: str | None = None


class RecallParametersUpdatedEvent(Event):
    """Recall parameters were sent to the GUI."""

    event_name: ClassVar[str] = "recall_parameters_updated"
    queue_id: str | None = None
    user_id: str | None = None
    parameters: dict[str, Any] | None = None


# -- workflows, users ----------------------------------------------------------------------------


class _WorkflowEvent(Event):
    workflow_id: str | None = None
    user_id: str | None = None


class WorkflowCreatedEvent(_WorkflowEvent):
    """A library workflow was created."""

    event_name: ClassVar[str] = "workflow_created"
    is_public: bool | None = None


class WorkflowUpdatedEvent(_WorkflowEvent):
    """A library workflow was updated."""

    event_name: ClassVar[str] = "workflow_updated"
    old_is_public: bool | None = None
    new_is_public: bool | None = None


class WorkflowDeletedEvent(_WorkflowEvent):
    """A library workflow was deleted."""

    event_name: ClassVar[str] = "workflow_deleted"
    is_public: bool | None = None


class WorkflowAccessRevokedEvent(_WorkflowEvent):
    """Access to a shared workflow was revoked."""

    event_name: ClassVar[str] = "workflow_access_revoked"


class UserAccessChangedEvent(Event):
    """A user's access changed (multi-user servers)."""

    event_name: ClassVar[str] = "user_access_changed"
    user_id: str | None = None
    is_admin: bool | None = None
    is_active: bool | None = None
    token_epoch: int | None = None


# -- downloads ------------------------------------------------------------------------------------


class DownloadEvent(Event):
    """Base of the download queue's events."""

    source: str | None = None


class DownloadStartedEvent(DownloadEvent):
    """A download started."""

    event_name: ClassVar[str] = "download_started"
    download_path: str | None = None


class DownloadProgressEvent(DownloadEvent):
    """A download made progress."""

    event_name: ClassVar[str] = "download_progress"
    download_path: str | None = None
    current_bytes: int | None = None
    total_bytes: int | None = None


class DownloadCompleteEvent(DownloadEvent):
    """A download completed."""

    event_name: ClassVar[str] = "download_complete"
    download_path: str | None = None
    total_bytes: int | None = None


class DownloadCancelledEvent(DownloadEvent):
    """A download was cancelled."""

    event_name: ClassVar[str] = "download_cancelled"


class DownloadPausedEvent(DownloadEvent):
    """A download was paused."""

    event_name: ClassVar[str] = "download_paused"


class DownloadErrorEvent(DownloadEvent):
    """A download failed."""

    event_name: ClassVar[str] = "download_error"
    error_type: str | None = None
    error: str | None = None


# -- models ---------------------------------------------------------------------------------------


class ModelLoadStartedEvent(Event):
    """A model started loading."""

    event_name: ClassVar[str] = "model_load_started"
    config: dict[str, Any] | None = None
    submodel_type: str | None = None
    user_id: str | None = None


class ModelLoadCompleteEvent(Event):
    """A model finished loading."""

    event_name: ClassVar[str] = "model_load_complete"
    config: dict[str, Any] | None = None
    submodel_type: str | None = None
    user_id: str | None = None


class _ModelInstallEvent(Event):
    id: int | None = None
    source: Any = None


class ModelInstallDownloadStartedEvent(_ModelInstallEvent):
    """A model install started downloading."""

    event_name: ClassVar[str] = "model_install_download_started"
    local_path: str | None = None
    bytes: int | None = None
    total_bytes: int | None = None
    parts: list[dict[str, Any]] | None = None


class ModelInstallDownloadProgressEvent(_ModelInstallEvent):
    """A model install download made progress."""

    event_name: ClassVar[str] = "model_install_download_progress"
    local_path: str | None = None
    bytes: int | None = None
    total_bytes: int | None = None
    parts: list[dict[str, Any]] | None = None


class ModelInstallDownloadsCompleteEvent(_ModelInstallEvent):
    """A model install finished downloading."""

    event_name: ClassVar[str] = "model_install_downloads_complete"


class ModelInstallStartedEvent(_ModelInstallEvent):
    """A model install started."""

    event_name: ClassVar[str] = "model_install_started"


class ModelInstallCompleteEvent(_ModelInstallEvent):
    """A model install completed; ``key`` is the new model's key."""

    event_name: ClassVar[str] = "model_install_complete"
    key: str | None = None
    total_bytes: int | None = None
    config: dict[str, Any] | None = None


class ModelInstallCancelledEvent(_ModelInstallEvent):
    """A model install was cancelled."""

    event_name: ClassVar[str] = "model_install_cancelled"


class ModelInstallErrorEvent(_ModelInstallEvent):
    """A model install failed."""

    event_name: ClassVar[str] = "model_install_error"
    error_type: str | None = None
    error: str | None = None


# -- bulk downloads, LLM tasks ---------------------------------------------------------------------


class BulkDownloadEvent(Event):
    """Base of the bulk (zip) download events."""

    bulk_download_id: str | None = None
    bulk_download_item_id: str | None = None
    bulk_download_item_name: str | None = None
    user_id: str | None = None


class BulkDownloadStartedEvent(BulkDownloadEvent):
    """The server started building a zip."""

    event_name: ClassVar[str] = "bulk_download_started"


class BulkDownloadCompleteEvent(BulkDownloadEvent):
    """The zip is ready to be fetched (once)."""

    event_name: ClassVar[str] = "bulk_download_complete"


class BulkDownloadErrorEvent(BulkDownloadEvent):
    """The zip could not be built."""

    event_name: ClassVar[str] = "bulk_download_error"
    error: str | None = None


class _LLMTaskEvent(Event):
    task_id: str | None = None
    user_id: str | None = None


class LLMTaskProgressEvent(_LLMTaskEvent):
    """An LLM task made progress."""

    event_name: ClassVar[str] = "llm_task_progress"
    phase: str | None = None
    message: str | None = None
    percentage: float | None = None
    current_tokens: int | None = None
    total_tokens: int | None = None


class LLMTaskCompleteEvent(_LLMTaskEvent):
    """An LLM task completed."""

    event_name: ClassVar[str] = "llm_task_complete"


class LLMTaskErrorEvent(_LLMTaskEvent):
    """An LLM task failed."""

    event_name: ClassVar[str] = "llm_task_error"
    error: str | None = None


# -- SDK markers -----------------------------------------------------------------------------------


class UnknownEvent(Event):
    """An event the SDK has no class for (or could not read): its ``name`` and raw ``data``."""

    event_name: ClassVar[str] = "*"
    name: str
    data: Any = None


class ReconnectedEvent(Event):
    """Not a server event: the socket reconnected, events may have been missed meanwhile."""

    event_name: ClassVar[str] = "__reconnected__"


class DisconnectedEvent(Event):
    """Not a server event: the server closed the event socket and it will not come back by itself.

    Sent when the server ends the connection (a deactivated user, revoked sessions) or reconnecting
    gave up. The SDK then tries a few fresh connections while streams are open; on success a
    :class:`ReconnectedEvent` follows (rooms re-joined first). Until then no events arrive: reconcile
    through REST.
    """

    event_name: ClassVar[str] = "__disconnected__"


def _all_subclasses(cls: type[Event]) -> list[type[Event]]:
    out: list[type[Event]] = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_all_subclasses(sub))
    return out


EVENT_TYPES: dict[str, type[Event]] = {
    cls.event_name: cls
    for cls in _all_subclasses(Event)
    if cls.event_name and cls not in (UnknownEvent, ReconnectedEvent, DisconnectedEvent)
}
"""Socket.IO event name -> its event class."""

PROGRESS_EVENTS: frozenset[str] = frozenset(
    {
        "invocation_progress",
        "download_progress",
        "model_install_download_progress",
        "llm_task_progress",
    }
)
"""Events a slow consumer may lose (counted in ``EventStream.dropped``); all others are kept."""


def parse_event(name: str, data: Any) -> Event:
    """Build the typed event for a Socket.IO event ``name`` with payload ``data``."""
    cls = EVENT_TYPES.get(name)
    if cls is None or not isinstance(data, dict):
        return UnknownEvent(name=name, data=data)
    try:
        return cls.model_validate(data)
    except pydantic.ValidationError:
        return UnknownEvent(name=name, data=data)
