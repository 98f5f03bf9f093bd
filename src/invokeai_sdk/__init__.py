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
    ConflictError,
    ErrorDetail,
    EventsUnavailableError,
    FeatureNotSupportedError,
    InstallFailedError,
    InternalServerError,
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
from ._transport import StreamedResponse
from ._types import NOT_GIVEN, NotGiven, Timeout
from ._version import __version__

__all__ = [
    "DEFAULT_BASE_URL",
    "NOT_GIVEN",
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncInvokeAI",
    "AsyncPage",
    "AsyncPaginator",
    "AuthenticationError",
    "BadRequestError",
    "BatchDataError",
    "ConflictError",
    "ErrorDetail",
    "EventsUnavailableError",
    "FeatureNotSupportedError",
    "FieldSpec",
    "InstallFailedError",
    "InternalServerError",
    "InvocationSchema",
    "InvocationSchemas",
    "InvokeAIError",
    "JobCanceledError",
    "JobError",
    "JobFailedError",
    "NotFoundError",
    "NotGiven",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerFeatures",
    "StreamedResponse",
    "Timeout",
    "UnprocessableEntityError",
    "UnsupportedMediaTypeError",
    "ValidationError",
    "WaitTimeoutError",
    "WorkflowError",
    "WorkflowInputError",
    "__version__",
]
