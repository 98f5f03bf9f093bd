"""invokeai-sdk: the async-native Python SDK for the InvokeAI image-generation server.

::

    from invokeai_sdk import AsyncInvokeAI

    async with AsyncInvokeAI("http://127.0.0.1:9090") as ivk:
        print(await ivk.app.version())
"""

from typing import TYPE_CHECKING, Any

# Loaded at ``import invokeai_sdk``: the session class, the error tree and the small types every call
# takes. Everything else (the sync facade, jobs and events with Socket.IO/aiohttp, workflows with
# jsonpath-ng, node schemas, the pydantic response models) is imported on first use (``__getattr__``),
# so a script that only builds a session starts in about the time ``import httpx`` takes.
from ._client import DEFAULT_BASE_URL, AsyncInvokeAI
from ._errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BatchDataError,
    BulkDownloadError,
    ConflictError,
    EnqueueError,
    ErrorDetail,
    EventsOverflowError,
    EventsUnavailableError,
    FeatureNotSupportedError,
    GraphValidationError,
    InstallCanceledError,
    InstallFailedError,
    InternalServerError,
    InvalidModelSourceError,
    InvokeAIError,
    JobCanceledError,
    JobDeletedError,
    JobError,
    JobFailedError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
    UnsupportedMediaTypeError,
    ValidationError,
    WaitTimeoutError,
    WorkflowError,
    WorkflowInputError,
)
from ._features import ServerFeatures
from ._pagination import AsyncPage, AsyncPaginator
from ._transport import StreamedResponse
from ._types import NOT_GIVEN, UNCATEGORIZED, NotGiven, Timeout
from ._version import __version__

if TYPE_CHECKING:
    from ._invocation_schema import FieldSpec, InvocationSchema, InvocationSchemas
    from ._sync import (
        InvokeAI,
        SyncBatchHandle,
        SyncEventStream,
        SyncInAsyncContextWarning,
        SyncInstallJob,
        SyncIterator,
        SyncJobHandle,
        SyncPage,
        SyncPaginator,
        SyncRuntimeError,
        SyncWorkflowJob,
        SyncWorkflowRun,
    )
    from .jobs import BatchHandle, JobHandle
    from .workflows import WorkflowDocument

_LAZY: dict[str, str] = {
    "FieldSpec": "._invocation_schema",
    "InvocationSchema": "._invocation_schema",
    "InvocationSchemas": "._invocation_schema",
    "InvokeAI": "._sync",
    "SyncBatchHandle": "._sync",
    "SyncEventStream": "._sync",
    "SyncInAsyncContextWarning": "._sync",
    "SyncInstallJob": "._sync",
    "SyncIterator": "._sync",
    "SyncJobHandle": "._sync",
    "SyncPage": "._sync",
    "SyncPaginator": "._sync",
    "SyncRuntimeError": "._sync",
    "SyncWorkflowJob": "._sync",
    "SyncWorkflowRun": "._sync",
    "BatchHandle": ".jobs",
    "JobHandle": ".jobs",
    "WorkflowDocument": ".workflows",
}
"""Public names imported from their module on first access (PEP 562)."""


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "DEFAULT_BASE_URL",
    "NOT_GIVEN",
    "UNCATEGORIZED",
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncInvokeAI",
    "AsyncPage",
    "AsyncPaginator",
    "BatchHandle",
    "AuthenticationError",
    "BadRequestError",
    "BatchDataError",
    "BulkDownloadError",
    "ConflictError",
    "EnqueueError",
    "ErrorDetail",
    "EventsOverflowError",
    "EventsUnavailableError",
    "FeatureNotSupportedError",
    "FieldSpec",
    "GraphValidationError",
    "InstallCanceledError",
    "InstallFailedError",
    "InternalServerError",
    "InvalidModelSourceError",
    "InvocationSchema",
    "InvocationSchemas",
    "InvokeAI",
    "InvokeAIError",
    "JobHandle",
    "JobCanceledError",
    "JobDeletedError",
    "JobError",
    "JobFailedError",
    "NotFoundError",
    "NotGiven",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerFeatures",
    "StreamedResponse",
    "SyncBatchHandle",
    "SyncEventStream",
    "SyncInAsyncContextWarning",
    "SyncInstallJob",
    "SyncIterator",
    "SyncJobHandle",
    "SyncPage",
    "SyncPaginator",
    "SyncRuntimeError",
    "SyncWorkflowJob",
    "SyncWorkflowRun",
    "Timeout",
    "UnprocessableEntityError",
    "UnsupportedMediaTypeError",
    "ValidationError",
    "WaitTimeoutError",
    "WorkflowError",
    "WorkflowDocument",
    "WorkflowInputError",
    "__version__",
]
