"""The base class of every namespace: holds the base client, sends through its request layer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar, overload

import httpx
import pydantic

from ._base_client import decode_json, validate_response
from ._compat import added_in, varying_route
from ._errors import (
    APIStatusError,
    FeatureNotSupportedError,
    InternalServerError,
    InvokeAIError,
    NotFoundError,
)
from ._transport import StreamedResponse
from ._types import NOT_GIVEN, TimeoutArg

if TYPE_CHECKING:
    from ._base_client import BaseClient

__all__ = ["AsyncAPIResource"]

M = TypeVar("M")
T = TypeVar("T")
R = TypeVar("R", bound=pydantic.BaseModel)

BATCH_LIMIT = 1000
"""The most names the server takes in one batch body; longer lists are sent in several requests."""


class AsyncAPIResource:
    """A namespace such as ``ivk.boards``; it holds only the base client."""

    def __init__(self, client: BaseClient) -> None:
        self._client = client

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
        data: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        max_retries: int | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send through the session's request layer (``max_retries=0`` for a PUT that is not idempotent,
        ``idempotent=True`` for a POST that only reads).

        A 404 or 405 (or the web UI's HTML page) from a route that not every release has (see
        ``_compat``), and that the server does not document, becomes :class:`FeatureNotSupportedError`.
        """
        try:
            response = await self._client.request(
                method,
                path,
                params=params,
                json=json,
                files=files,
                data=data,
                content=content,
                headers=headers,
                timeout=timeout,
                max_retries=max_retries,
                idempotent=idempotent,
            )
        except APIStatusError as exc:
            if exc.status_code in (404, 405):
                await self._raise_if_undocumented(method, path, exc)
            raise
        if response.headers.get("content-type", "").startswith("text/html"):
            # Some releases answer an unknown GET with the web UI's index page (200, HTML).
            await self._raise_if_undocumented(method, path, None)
        return response

    async def _raise_if_undocumented(self, method: str, path: str, exc: APIStatusError | None) -> None:
        """Raise :class:`FeatureNotSupportedError` when ``METHOD path`` is a route some releases lack
        and the server's API document lacks it too (called after a 404, 405 or HTML reply)."""
        template = varying_route(method, path)
        if template is None:
            return
        try:
            features = await self._client.features()
        except InvokeAIError:
            return  # no API document to judge by: the original error stands
        if features.paths and features.template_of(method, path) is None:
            raise FeatureNotSupportedError(
                f"{method.upper()} {template}",
                server_version=features.version,
                added_in=added_in(method, template),
            ) from exc

    async def _request_no_body(self, method: str, path: str, **kwargs: Any) -> None:
        """Send a request whose success reply is empty (204), asking for no compression.

        InvokeAI 6.14 with starlette 1.8+ (the unpinned install) answers every 204 with a 500 to a
        client that accepts gzip: its gzip middleware cannot finish a reply without a body.
        """
        headers = {**(kwargs.pop("headers", None) or {}), "Accept-Encoding": "identity"}
        await self._request(method, path, headers=headers, **kwargs)

    @asynccontextmanager
    async def _stream(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> AsyncIterator[StreamedResponse]:
        async with self._client.stream(method, path, params=params, json=json, timeout=timeout) as response:
            yield response

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send and return the decoded JSON body (``None`` for an empty body)."""
        return decode_json(await self._request(method, path, **kwargs))

    @overload
    async def _parsed(self, cast_to: type[M], method: str, path: str, **kwargs: Any) -> M: ...
    @overload
    async def _parsed(self, cast_to: Any, method: str, path: str, **kwargs: Any) -> Any: ...
    async def _parsed(self, cast_to: Any, method: str, path: str, **kwargs: Any) -> Any:
        """Send and validate the JSON body into ``cast_to`` (a model class or any type hint)."""
        return validate_response(cast_to, await self._request(method, path, **kwargs))

    async def _file(self, path: str, what: str, *, timeout: TimeoutArg = NOT_GIVEN) -> bytes:
        """The bytes of a picture route that answers 500 instead of 404 when the file is missing.

        InvokeAI serves these (model covers, preset and workflow pictures) with a ``FileResponse`` that
        fails only once sending starts; that 500 is raised as :class:`NotFoundError` naming ``what``.
        """
        try:
            # "Connection: close": a failing FileResponse leaves its connection unusable for the next request.
            response = await self._request("GET", path, headers={"Connection": "close"}, timeout=timeout)
            return response.content
        except InternalServerError as exc:
            raise NotFoundError(
                f"There is no {what} (the server answered 500 for {path}).",
                response=exc.response,
                detail=exc.detail,
            ) from exc

    async def _post_in_batches(
        self,
        cast_to: type[R],
        path: str,
        names: list[str],
        *,
        names_key: str,
        extra: Mapping[str, Any] | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> R:
        """POST ``names`` in slices the server accepts and merge the answers into one ``cast_to``.

        List fields of the answers are concatenated (``affected_boards`` without repeats).
        """
        merged: dict[str, list[Any]] = {}
        for start in range(0, len(names), BATCH_LIMIT):
            body = {**(extra or {}), names_key: names[start : start + BATCH_LIMIT]}
            part = await self._parsed(cast_to, "POST", path, json=body, timeout=timeout)
            for field, value in part:
                if isinstance(value, list):
                    merged.setdefault(field, []).extend(value)
        if "affected_boards" in merged:
            merged["affected_boards"] = list(dict.fromkeys(merged["affected_boards"]))
        return cast_to.model_validate(merged)

    async def _require(self, feature: str) -> None:
        """Raise :class:`FeatureNotSupportedError` unless the server offers ``feature``."""
        await self._client.require(feature)

    def _may_have(self, method: str, template: str) -> bool:
        """False only when the server's API document, once read, lacks ``METHOD template``.

        Before the document is read the newest route is tried: a 404/405 from it reads the document
        (see :meth:`_request`), so a newest server never pays for the 1-2 MB document.
        """
        features = self._client.session.features
        return features is None or not features.paths or features.has_operation(method, template)

    async def _newest_or_older(
        self,
        method: str,
        template: str,
        newest: Callable[[], Awaitable[T]],
        older: Callable[[], Awaitable[T]],
    ) -> T:
        """``newest()`` when the server has ``METHOD template``, else ``older()`` (an older release's way)."""
        if self._may_have(method, template):
            try:
                return await newest()
            except FeatureNotSupportedError:
                if self._may_have(method, template):
                    raise  # some other route is missing: not this choice to make
        return await older()
