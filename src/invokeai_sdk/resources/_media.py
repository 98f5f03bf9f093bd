"""What ``ivk.images`` and ``ivk.videos`` share: one gallery kind behind one URL prefix.

Both namespaces list with the gallery's filters, fetch records, stream files, star, update and
delete by name; only the item model, the prefix (``/api/v1/images`` or ``/api/v1/videos``) and the
kind's word in field names (``image_name``, ``video_category``...) differ. :class:`MediaResource`
holds those steps; each namespace keeps its public methods (signatures and docstrings are its API)
and what is really its own.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeAlias, TypeVar
from urllib.parse import unquote

import httpx
import pydantic

from .._download import ProgressCallback
from .._errors import APIResponseValidationError, NotFoundError, ValidationError
from .._media_files import check_image, download_media_to, media_path
from .._models import items_page
from .._pagination import AsyncPage, AsyncPaginator, page_sizes
from .._resource import AsyncAPIResource
from .._types import TimeoutArg
from ..types.boards import UNCATEGORIZED
from ..types.images import ImageOrigin, ImageWorkflow, SortOrder
from ._categories import check_categories
from ._uploads import name_list
from .boards import BoardRef, board_id_of

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "GalleryFilters",
    "MediaResource",
    "gallery_filters",
    "metadata_form",
    "parse_workflow_reply",
]

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

ItemT = TypeVar("ItemT", bound=pydantic.BaseModel)
R = TypeVar("R", bound=pydantic.BaseModel)

GalleryFilters: TypeAlias = tuple[
    "BoardRef | None",
    "str | Iterable[str] | None",
    "bool | None",
    "ImageOrigin | None",
    bool,
    SortOrder,
    "str | None",
]
"""The filters of a gallery listing, in :func:`gallery_filters`' order: board, categories,
is_intermediate, origin, starred_first, order, search."""


def gallery_filters(
    board: BoardRef | None,
    categories: str | Iterable[str] | None,
    is_intermediate: bool | None,
    origin: ImageOrigin | None,
    starred_first: bool,
    order: SortOrder,
    search: str | None,
    *,
    origin_param: str = "image_origin",
) -> dict[str, Any]:
    """Query parameters of the gallery listings (images and videos share every filter)."""
    if order not in ("asc", "desc"):
        raise ValidationError(f"order must be 'asc' or 'desc', got {order!r}.")
    if origin is not None and origin not in ("internal", "external"):
        raise ValidationError(f"origin must be 'internal' or 'external', got {origin!r}.")
    return {
        "board_id": None if board is None else board_id_of(board),
        "categories": check_categories(categories),
        "is_intermediate": is_intermediate,
        origin_param: origin,
        "starred_first": starred_first,
        "order_dir": order.upper(),
        "search_term": search or None,
    }


def metadata_form(metadata: dict[str, Any] | None) -> dict[str, str]:
    """The multipart form fields of an upload's ``metadata`` (sent as a JSON object)."""
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise ValidationError("metadata must be a dict (it is sent as a JSON object).")
    return {"metadata": json.dumps(metadata)}


def _parse_json_field(value: Any, what: str, kind: str) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"The {kind}'s embedded {what} is not valid JSON: {exc}") from exc
    return parsed if isinstance(parsed, dict) else None


def parse_workflow_reply(response: httpx.Response, kind: str) -> ImageWorkflow:
    """The ``{workflow, graph}`` reply of an image's or a video's ``/workflow``, both parsed from JSON."""
    name = response.request.url.path.rsplit("/", 2)[-2]
    try:
        raw = response.json()
        return ImageWorkflow(
            workflow=_parse_json_field(raw.get("workflow"), "workflow", kind),
            graph=_parse_json_field(raw.get("graph"), "graph", kind),
        )
    except (ValueError, AttributeError) as exc:
        raise APIResponseValidationError(
            f"Unexpected workflow response for {unquote(name)!r}: {exc}", response=response
        ) from exc


def _size_suffix(size: str) -> str:
    if size not in ("full", "thumbnail"):
        raise ValidationError(f"size must be 'full' or 'thumbnail', got {size!r}.")
    return f"/{size}"


class MediaResource(AsyncAPIResource, Generic[ItemT]):
    """The steps ``ivk.images`` and ``ivk.videos`` share; a subclass sets the class attributes below.

    Every step first checks ``_feature`` (when set), then its arguments, then sends: the order the
    namespaces always had.
    """

    _item: type[ItemT]
    """The record model (``ImageDTO``, ``VideoDTO``)."""
    _kind: ClassVar[str]
    """``"image"`` or ``"video"``: the word in error messages and in the server's field names."""
    _prefix: ClassVar[str]
    """The routes' prefix, e.g. ``/api/v1/images``."""
    _feature: ClassVar[str | None] = None
    """A feature every call requires first (``"videos"``), or ``None``."""
    _image_files: ClassVar[bool] = False
    """True when a downloaded file must be an image (checked by its content type and first bytes)."""

    async def _ready(self) -> None:
        if self._feature is not None:
            await self._require(self._feature)

    def _path(self, name: str, suffix: str = "") -> str:
        """``<prefix>/i/<name><suffix>``; ``name`` must be a non-empty string without ``/``."""
        return media_path(self._prefix, self._kind, name, suffix)

    def _filters(self, filters: GalleryFilters) -> dict[str, Any]:
        return gallery_filters(*filters, origin_param=f"{self._kind}_origin")

    async def _upload(
        self,
        file: tuple[str, bytes, str],
        form: dict[str, str],
        *,
        board: BoardRef | None,
        category: str,
        is_intermediate: bool,
        session_id: str | None,
        timeout: TimeoutArg,
    ) -> ItemT:
        """POST one file (``(name, bytes, content type)``) with its form fields to ``<prefix>/upload``."""
        board_id = None if board is None else board_id_of(board)
        check_categories([category])
        params = {
            f"{self._kind}_category": category,
            "is_intermediate": is_intermediate,
            "board_id": None if board_id == UNCATEGORIZED else board_id,
            "session_id": session_id,
        }
        return await self._parsed(
            self._item,
            "POST",
            f"{self._prefix}/upload",
            params=params,
            files={"file": file},
            data=form or None,
            timeout=timeout,
        )

    async def _get(self, name: str, timeout: TimeoutArg) -> ItemT:
        await self._ready()
        return await self._parsed(self._item, "GET", self._path(name), timeout=timeout)

    def _list(
        self, filters: GalleryFilters, offset: int, limit: int | None, timeout: TimeoutArg
    ) -> AsyncPaginator[ItemT]:
        """The listing; an awaited page holds 100 items unless ``limit`` says, a walk pages by 1000."""
        if offset < 0:
            raise ValidationError(f"offset must be 0 or more, got {offset}")
        page_limit, walk_limit = page_sizes(limit, default=DEFAULT_PAGE_SIZE, largest=MAX_PAGE_SIZE)
        params = self._filters(filters)

        async def fetch(offset: int, limit: int) -> AsyncPage[ItemT]:
            await self._ready()
            data = await self._parsed(
                items_page(self._item),
                "GET",
                f"{self._prefix}/",
                params={**params, "offset": offset, "limit": limit},
                timeout=timeout,
            )
            return AsyncPage(data.items, offset=offset, limit=limit, total=data.total, fetch=fetch)

        return AsyncPaginator(fetch, offset=offset, limit=page_limit, walk_limit=walk_limit)

    async def _names(self, cast_to: type[R], filters: GalleryFilters, timeout: TimeoutArg) -> R:
        await self._ready()
        params = self._filters(filters)
        return await self._parsed(cast_to, "GET", f"{self._prefix}/names", params=params, timeout=timeout)

    async def _download(self, name: str, size: str, timeout: TimeoutArg) -> bytes:
        await self._ready()
        response = await self._request("GET", self._path(name, _size_suffix(size)), timeout=timeout)
        if self._image_files:
            check_image(
                response.headers.get("content-type"), response.content[:16], response=response, what=name
            )
        return response.content

    async def _download_to(
        self,
        name: str,
        path_or_dir: str | os.PathLike[str],
        size: str,
        on_progress: ProgressCallback | None,
        timeout: TimeoutArg,
    ) -> Path:
        await self._ready()
        path = self._path(name, _size_suffix(size))
        default = name if size == "full" else f"{name.rsplit('.', 1)[0]}.webp"
        return await download_media_to(
            self._client,
            path,
            name,
            path_or_dir,
            default=default,
            image_files=self._image_files,
            on_progress=on_progress,
            timeout=timeout,
        )

    async def _exists(self, name: str, timeout: TimeoutArg) -> bool:
        await self._ready()
        try:
            await self._request("HEAD", self._path(name, "/full"), timeout=timeout)
        except NotFoundError:
            return False
        return True

    async def _urls(self, cast_to: type[R], name: str, timeout: TimeoutArg) -> R:
        await self._ready()
        return await self._parsed(cast_to, "GET", self._path(name, "/urls"), timeout=timeout)

    async def _metadata(self, name: str, timeout: TimeoutArg) -> dict[str, Any] | None:
        await self._ready()
        data = await self._json("GET", self._path(name, "/metadata"), timeout=timeout)
        return data if isinstance(data, dict) else None

    async def _workflow(self, name: str, timeout: TimeoutArg) -> ImageWorkflow:
        await self._ready()
        response = await self._request("GET", self._path(name, "/workflow"), timeout=timeout)
        return parse_workflow_reply(response, self._kind)

    async def _update(
        self,
        name: str,
        starred: bool | None,
        category: str | None,
        is_intermediate: bool | None,
        timeout: TimeoutArg,
    ) -> ItemT:
        await self._ready()
        changes: dict[str, Any] = {}
        if starred is not None:
            changes["starred"] = bool(starred)
        if category is not None:
            check_categories([category])
            changes[f"{self._kind}_category"] = category
        if is_intermediate is not None:
            changes["is_intermediate"] = bool(is_intermediate)
        if not changes:
            raise ValidationError("Nothing to update: give starred, category or is_intermediate.")
        return await self._parsed(self._item, "PATCH", self._path(name), json=changes, timeout=timeout)

    async def _post_names(
        self, cast_to: type[R], action: str, names: str | Iterable[str], timeout: TimeoutArg
    ) -> R:
        """POST names to ``<prefix>/<action>`` (``star``, ``unstar``, ``delete``), 1000 per request."""
        await self._ready()
        return await self._post_in_batches(
            cast_to,
            f"{self._prefix}/{action}",
            name_list(names, what=self._kind),
            names_key=f"{self._kind}_names",
            timeout=timeout,
        )

    async def _delete_uncategorized(self, cast_to: type[R], timeout: TimeoutArg) -> R:
        await self._ready()
        return await self._parsed(cast_to, "DELETE", f"{self._prefix}/uncategorized", timeout=timeout)
