"""invokeai-sdk: the async-native Python SDK for the InvokeAI image-generation server.

::

    from invokeai_sdk import AsyncInvokeAI

    async with AsyncInvokeAI("http://127.0.0.1:9090") as ivk:
        print(await ivk.app.version())
"""

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
from ._invocation_schema import FieldSpec, InvocationSchema, InvocationSchemas
from ._pagination import AsyncPage, AsyncPaginator
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
from ._transport import StreamedResponse
from ._types import NOT_GIVEN, NotGiven, Timeout
from ._version import __version__
from .jobs import BatchHandle, JobHandle
from .types.boards import UNCATEGORIZED
from .workflows import WorkflowDocument

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
