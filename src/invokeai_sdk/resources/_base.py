"""The base class of every namespace: holds the client, sends through its one request loop."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar, overload

import httpx
import pydantic

from .._errors import APIResponseValidationError, FeatureNotSupportedError, InternalServerError, NotFoundError
from .._transport import StreamedResponse
from .._types import NOT_GIVEN, TimeoutArg

if TYPE_CHECKING:
    from .._client import AsyncInvokeAI

__all__ = ["AsyncAPIResource"]

M = TypeVar("M")
R = TypeVar("R", bound=pydantic.BaseModel)

BATCH_LIMIT = 1000
"""The most names the server takes in one batch body; longer lists are sent in several requests."""


class AsyncAPIResource:
    """A namespace such as ``ivk.boards``; it holds only the client."""

    def __init__(self, client: AsyncInvokeAI) -> None:
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
    ) -> httpx.Response:
        """Send through the session's request loop (``max_retries=0`` for a PUT that is not idempotent)."""
        return await self._client._transport.request(
            method,
            path,
            options=self._client._options,
            params=params,
            json=json,
            files=files,
            data=data,
            content=content,
            headers=headers,
            timeout=timeout,
            max_retries=max_retries,
        )

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
        async with self._client._transport.stream(
            method, path, options=self._client._options, params=params, json=json, timeout=timeout
        ) as response:
            yield response

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send and return the decoded JSON body (``None`` for an empty body)."""
        response = await self._request(method, path, **kwargs)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise APIResponseValidationError(
                f"{method} {path} answered {response.status_code} with a body that is not JSON.",
                response=response,
            ) from exc

    @overload
    async def _parsed(self, cast_to: type[M], method: str, path: str, **kwargs: Any) -> M: ...
    @overload
    async def _parsed(self, cast_to: Any, method: str, path: str, **kwargs: Any) -> Any: ...
    async def _parsed(self, cast_to: Any, method: str, path: str, **kwargs: Any) -> Any:
        """Send and validate the JSON body into ``cast_to`` (a model class or any type hint)."""
        response = await self._request(method, path, **kwargs)
        return _validate(cast_to, response)

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
        features = await self._client.app.features()
        if not features.supports(feature):
            raise FeatureNotSupportedError(feature, server_version=features.version)


_ADAPTERS: dict[Any, pydantic.TypeAdapter[Any]] = {}


def _validate(cast_to: Any, response: httpx.Response) -> Any:
    adapter = _ADAPTERS.get(cast_to)
    if adapter is None:
        adapter = _ADAPTERS[cast_to] = pydantic.TypeAdapter(cast_to)
    try:
        return adapter.validate_json(response.content)
    except pydantic.ValidationError as exc:
        raise APIResponseValidationError(
            f"Unexpected response shape from {response.request.method} {response.request.url.path}: {exc}",
            response=response,
        ) from exc
