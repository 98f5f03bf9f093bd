"""The one exception tree of the SDK.

Every error the public API raises derives from :class:`InvokeAIError`; no ``httpx`` or
``socketio`` exception ever escapes (they are chained as ``__cause__``)::

    InvokeAIError
    ├── APIConnectionError            the server could not be reached or the connection broke
    │   ├── APITimeoutError           the request timed out
    │   └── EnqueueError              an enqueue's reply was lost and the batch is not on the server
    ├── APIStatusError                the server answered with a 4xx/5xx status
    │   ├── BadRequestError                 400
    │   ├── AuthenticationError             401
    │   ├── PermissionDeniedError           403
    │   ├── NotFoundError                   404
    │   ├── ConflictError                   409
    │   │   └── InvalidModelSourceError     a model source the server cannot install from
    │   ├── UnsupportedMediaTypeError       415
    │   ├── UnprocessableEntityError        422 (``errors``: the parsed FastAPI detail list)
    │   ├── RateLimitError                  429
    │   └── InternalServerError             >= 500
    ├── APIResponseValidationError    the server answered 2xx with a body the SDK cannot parse
    ├── FeatureNotSupportedError      the connected server has no such API
    ├── EventsUnavailableError        Socket.IO events cannot be used here (e.g. under trio)
    ├── EventsOverflowError           an event stream's consumer fell too far behind
    ├── ValidationError               bad input, found before anything was sent
    │   ├── WorkflowError             a malformed workflow document
    │   ├── WorkflowInputError        a bad value for a workflow input
    │   ├── BatchDataError            batch ``data`` that does not fit the target field
    │   └── GraphValidationError      a graph or batch the server schema refuses (``problems``)
    ├── JobError                      a queued job did not complete
    │   ├── JobFailedError            it failed (server's error type, message, traceback)
    │   └── JobCanceledError          it was canceled
    │       └── JobDeletedError       it was deleted, or the queue cleared, while waited on
    ├── InstallFailedError            a model install job failed
    │   └── InstallCanceledError      it was cancelled
    ├── BulkDownloadError             the server could not build a bulk zip
    └── WaitTimeoutError              ``wait(wait_timeout=...)`` ran out (also a ``TimeoutError``)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "EnqueueError",
    "AuthenticationError",
    "BadRequestError",
    "BatchDataError",
    "BulkDownloadError",
    "ConflictError",
    "ErrorDetail",
    "EventsOverflowError",
    "EventsUnavailableError",
    "FeatureNotSupportedError",
    "GraphValidationError",
    "InstallCanceledError",
    "InstallFailedError",
    "InternalServerError",
    "InvalidModelSourceError",
    "InvokeAIError",
    "JobCanceledError",
    "JobDeletedError",
    "JobError",
    "JobFailedError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
    "UnsupportedMediaTypeError",
    "ValidationError",
    "WaitTimeoutError",
    "WorkflowError",
    "WorkflowInputError",
]


class InvokeAIError(Exception):
    """Base class of every error raised by invokeai-sdk."""


class APIConnectionError(InvokeAIError):
    """The server could not be reached, or the connection broke before a full answer arrived."""

    def __init__(self, message: str = "Connection error.", *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.request = request


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write or pool timeout)."""

    def __init__(self, message: str = "Request timed out.", *, request: httpx.Request | None = None) -> None:
        super().__init__(message, request=request)


class EnqueueError(APIConnectionError):
    """An enqueue whose reply was lost, and whose batch the SDK could not find on the server afterwards.

    ``batch_id`` is the id the SDK gave the batch (also in the message): search the queue for it before
    submitting again. ``enqueued`` is ``False`` when the server was asked and holds no item of the
    batch (or the request never left), ``None`` when the server could not be asked.
    """

    def __init__(
        self, message: str, *, batch_id: str, enqueued: bool | None, request: httpx.Request | None = None
    ) -> None:
        super().__init__(message, request=request)
        self.batch_id = batch_id
        self.enqueued = enqueued


class ErrorDetail:
    """One item of a FastAPI 422 ``detail`` list: where (``loc``), what (``msg``), and its ``type``."""

    __slots__ = ("ctx", "input", "loc", "msg", "type")

    def __init__(
        self, *, loc: tuple[str | int, ...], msg: str, type: str, input: Any = None, ctx: Any = None
    ) -> None:
        self.loc = loc
        self.msg = msg
        self.type = type
        self.input = input
        self.ctx = ctx

    @property
    def location(self) -> str:
        """``loc`` joined with dots, e.g. ``body.batch.graph.nodes.a.value``."""
        return ".".join(str(part) for part in self.loc)

    def __repr__(self) -> str:
        return f"ErrorDetail(loc={self.loc!r}, msg={self.msg!r}, type={self.type!r})"

    def __str__(self) -> str:
        return f"{self.location}: {self.msg}" if self.loc else self.msg


class APIStatusError(InvokeAIError):
    """The server answered with an error status.

    ``status_code`` and ``response`` are always set; ``detail`` is the server's ``detail`` field when
    the body is JSON (a string for handled errors, a list for validation errors), else the body text.
    """

    status_code: int

    def __init__(self, message: str, *, response: httpx.Response, detail: Any) -> None:
        super().__init__(message)
        self.response = response
        self.request = response.request
        self.status_code = response.status_code
        self.detail = detail


class BadRequestError(APIStatusError):
    """HTTP 400."""


class AuthenticationError(APIStatusError):
    """HTTP 401: no, expired or wrong credentials."""


class PermissionDeniedError(APIStatusError):
    """HTTP 403: the authenticated user may not do this."""


class NotFoundError(APIStatusError):
    """HTTP 404: no such resource."""


class ConflictError(APIStatusError):
    """HTTP 409."""


class InvalidModelSourceError(ConflictError):
    """The server cannot install from this model source (no such path, not a URL or repo id)."""


class UnsupportedMediaTypeError(APIStatusError):
    """HTTP 415: e.g. an upload that is not an image."""


class UnprocessableEntityError(APIStatusError):
    """HTTP 422: the request body or parameters failed the server's validation.

    ``errors`` holds the parsed FastAPI ``detail`` list.
    """

    def __init__(self, message: str, *, response: httpx.Response, detail: Any) -> None:
        super().__init__(message, response=response, detail=detail)
        self.errors: list[ErrorDetail] = parse_error_details(detail)


class RateLimitError(APIStatusError):
    """HTTP 429."""


class InternalServerError(APIStatusError):
    """HTTP 500 or above (including the server's text/plain "Internal Server Error")."""


class APIResponseValidationError(InvokeAIError):
    """A successful response whose body does not have the shape the SDK expects."""

    def __init__(self, message: str, *, response: httpx.Response) -> None:
        super().__init__(message)
        self.response = response


class FeatureNotSupportedError(InvokeAIError):
    """The connected server does not offer this API (it is older, or newer and changed)."""

    def __init__(
        self,
        feature: str,
        *,
        server_version: str | None = None,
        hint: str | None = None,
        added_in: str | None = None,
    ) -> None:
        version = f" {server_version}" if server_version else ""
        message = f"The InvokeAI server{version} does not support {feature!r}."
        if added_in:
            message += f" InvokeAI {added_in} and later have it."
        if hint:
            message += f" {hint}"
        super().__init__(message)
        self.feature = feature
        self.server_version = server_version
        self.added_in = added_in
        """The first release (of those the SDK is tested with) that has the feature, when known."""


class EventsUnavailableError(InvokeAIError):
    """Socket.IO events cannot be used (no asyncio loop, e.g. under trio, or the socket was refused)."""


class EventsOverflowError(InvokeAIError):
    """An event stream ended because its consumer fell too far behind.

    Raised by the stream once the events kept before the overflow have been read: ``limit`` status,
    completion or error events were waiting unread, so later ones could not be kept. Events after
    that point were not delivered; reconcile through REST and subscribe again.
    """

    def __init__(self, message: str, *, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


class ValidationError(InvokeAIError, ValueError):
    """Input rejected by the SDK before anything was sent to the server."""


class WorkflowError(ValidationError):
    """A malformed workflow document; ``path`` is the JSON path at fault."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path


class WorkflowInputError(ValidationError):
    """A value that does not fit a workflow input (wrong type, out of range, unknown choice, ...)."""


class BatchDataError(ValidationError):
    """Batch ``data`` items that do not fit the node field they target."""


class GraphValidationError(ValidationError):
    """A graph or batch that does not fit the server's node schemas; nothing was sent.

    ``problems`` lists every problem found (each with ``node_id``, ``field`` and ``message``), not
    only the first; the message shows them one per line.
    """

    def __init__(self, problems: Sequence[Any]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"the graph has {count} problem{'s' if count != 1 else ''}:\n{lines}")


class JobError(InvokeAIError):
    """A queued job (queue item) did not complete.

    ``settled_by`` tells how the wait learnt it: ``"event"`` (a queue event) or ``"poll"`` (a REST poll).
    """

    def __init__(
        self,
        message: str,
        *,
        item_id: int | None = None,
        batch_id: str | None = None,
        settled_by: str | None = None,
    ) -> None:
        super().__init__(message)
        self.item_id = item_id
        self.batch_id = batch_id
        self.settled_by = settled_by


class JobFailedError(JobError):
    """A queue item failed; carries the server's ``error_type``, ``error_message`` and ``error_traceback``."""

    def __init__(
        self,
        message: str,
        *,
        item_id: int | None = None,
        batch_id: str | None = None,
        error_type: str | None = None,
        error_message: str | None = None,
        error_traceback: str | None = None,
        settled_by: str | None = None,
    ) -> None:
        super().__init__(message, item_id=item_id, batch_id=batch_id, settled_by=settled_by)
        self.error_type = error_type
        self.error_message = error_message
        self.error_traceback = error_traceback


class JobCanceledError(JobError):
    """A queue item was canceled before it completed."""


class JobDeletedError(JobCanceledError):
    """A queue item was deleted (or the queue cleared) before it completed: it no longer exists.

    A ``JobCanceledError`` too: the server cancels an unfinished item it deletes (a wait that saw
    that cancel's event raises ``JobCanceledError`` itself).
    """


class InstallFailedError(InvokeAIError):
    """A model install job ended in error; ``error`` and ``error_reason`` are the server's."""

    def __init__(
        self,
        message: str,
        *,
        job_id: int | None = None,
        source: str | None = None,
        error: str | None = None,
        error_reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.job_id = job_id
        self.source = source
        self.error = error
        self.error_reason = error_reason


class InstallCanceledError(InstallFailedError):
    """A model install job was cancelled before it completed."""


class BulkDownloadError(InvokeAIError):
    """The server could not build a bulk-download zip (it sent ``bulk_download_error``)."""


class WaitTimeoutError(InvokeAIError, TimeoutError):
    """A ``wait(wait_timeout=...)`` ran out before the job settled (the job itself keeps running)."""


def parse_error_details(detail: Any) -> list[ErrorDetail]:
    """Parse a FastAPI ``detail`` list into :class:`ErrorDetail` items (anything else gives ``[]``)."""
    if not isinstance(detail, list):
        return []
    items: list[ErrorDetail] = []
    for raw in detail:
        if not isinstance(raw, dict):
            items.append(ErrorDetail(loc=(), msg=str(raw), type="unknown"))
            continue
        loc = raw.get("loc") or ()
        items.append(
            ErrorDetail(
                loc=tuple(loc) if isinstance(loc, list | tuple) else (str(loc),),
                msg=str(raw.get("msg", "")),
                type=str(raw.get("type", "unknown")),
                input=raw.get("input"),
                ctx=raw.get("ctx"),
            )
        )
    return items


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    415: UnsupportedMediaTypeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_from_response(response: httpx.Response) -> APIStatusError:
    """Build the exception for an error response; the response body must have been read."""
    detail: Any
    try:
        body = response.json()
    except ValueError:
        body = None
        detail = response.text
    else:
        detail = body.get("detail", body) if isinstance(body, dict) else body
    cls = _STATUS_ERRORS.get(response.status_code)
    if cls is None:
        cls = InternalServerError if response.status_code >= 500 else APIStatusError
    request = response.request
    where = f"{request.method} {request.url.path}"
    if isinstance(detail, list) and detail:
        text = "; ".join(str(d) for d in parse_error_details(detail))
    else:
        text = str(detail).strip() if detail not in (None, "") else response.reason_phrase
    return cls(f"{response.status_code} from {where}: {text}", response=response, detail=detail)
