"""``ivk.gallery``: images and videos in one feed (as the GUI's gallery shows them), and boards by date."""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Iterable
from typing import Any

from .._errors import ValidationError
from .._models import ItemsPage
from .._pagination import AsyncPage, AsyncPaginator
from .._resource import AsyncAPIResource
from .._types import NOT_GIVEN, TimeoutArg
from ..types.gallery import DateBoard, GalleryItem, GalleryItemNames, GalleryItemRefs
from ..types.images import ImageNames, ImageOrigin, SortOrder
from ._media import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, GalleryFilters, gallery_filters
from ._paths import id_path
from .boards import BoardRef

__all__ = ["GalleryResource"]

_PREFIX = "/api/v1/gallery"
_BY_DATE = "/api/v1/virtual_boards/by_date"


def _date(date: str | dt.date) -> str:
    text = date.isoformat() if isinstance(date, dt.date) else date
    try:
        dt.date.fromisoformat(text)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"A date is a datetime.date or 'YYYY-MM-DD', got {date!r}.") from exc
    return text


def _filters(filters: GalleryFilters) -> dict[str, Any]:
    """The gallery's query parameters (filters left ``None`` are not sent: a day's listing has no board)."""
    return gallery_filters(*filters, origin_param="origin")


class GalleryResource(AsyncAPIResource):
    """The combined gallery: every image and video in one order, with the same filters as the GUI."""

    def list(
        self,
        *,
        board: BoardRef | None = None,
        categories: str | Iterable[str] | None = None,
        is_intermediate: bool | None = None,
        origin: ImageOrigin | None = None,
        starred_first: bool = True,
        order: SortOrder = "desc",
        search: str | None = None,
        offset: int = 0,
        limit: int = DEFAULT_PAGE_SIZE,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> AsyncPaginator[GalleryItem]:
        """Images and videos matching every filter. ``await`` it for one page, ``async for`` for all."""
        if offset < 0 or not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValidationError(f"offset must be 0 or more and limit 1 to {MAX_PAGE_SIZE}.")
        params = _filters((board, categories, is_intermediate, origin, starred_first, order, search))

        async def fetch(offset: int, limit: int) -> AsyncPage[GalleryItem]:
            await self._require("gallery")
            data = await self._parsed(
                ItemsPage[GalleryItem],
                "GET",
                f"{_PREFIX}/items/",
                params={**params, "offset": offset, "limit": limit},
                timeout=timeout,
            )
            return AsyncPage(data.items, offset=offset, limit=limit, total=data.total, fetch=fetch)

        return AsyncPaginator(fetch, offset=offset, limit=limit)

    async def names(
        self,
        *,
        board: BoardRef | None = None,
        categories: str | Iterable[str] | None = None,
        is_intermediate: bool | None = None,
        origin: ImageOrigin | None = None,
        created_date: str | dt.date | None = None,
        starred_first: bool = True,
        order: SortOrder = "desc",
        search: str | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> GalleryItemNames:
        """Every matching image and video name in gallery order; ``created_date`` keeps one day."""
        await self._require("gallery")
        params = _filters((board, categories, is_intermediate, origin, starred_first, order, search))
        params["created_date"] = None if created_date is None else _date(created_date)
        return await self._parsed(
            GalleryItemNames, "GET", f"{_PREFIX}/item_names", params=params, timeout=timeout
        )

    async def refs(
        self,
        *,
        board: BoardRef | None = None,
        categories: str | Iterable[str] | None = None,
        is_intermediate: bool | None = None,
        origin: ImageOrigin | None = None,
        starred_first: bool = True,
        order: SortOrder = "desc",
        search: str | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> GalleryItemRefs:
        """Like :meth:`names`, each name with its kind (``image`` or ``video``)."""
        await self._require("gallery")
        params = _filters((board, categories, is_intermediate, origin, starred_first, order, search))
        return await self._parsed(
            GalleryItemRefs, "GET", f"{_PREFIX}/items/names", params=params, timeout=timeout
        )

    # -- boards by date ("virtual boards") ---------------------------------------------------

    async def dates(self, *, timeout: TimeoutArg = NOT_GIVEN) -> builtins.list[DateBoard]:
        """One "board" per day that has images or videos, newest first, with counts and a cover."""
        await self._require("virtual_boards")
        return await self._parsed(builtins.list[DateBoard], "GET", _BY_DATE, timeout=timeout)

    async def date_image_names(
        self,
        date: str | dt.date,
        *,
        categories: str | Iterable[str] | None = None,
        starred_first: bool = True,
        order: SortOrder = "desc",
        search: str | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> ImageNames:
        """Names of the images made on ``date`` (``YYYY-MM-DD`` or a ``datetime.date``)."""
        await self._require("virtual_boards")
        return await self._parsed(
            ImageNames,
            "GET",
            id_path(_BY_DATE, _date(date), "date", "/image_names"),
            params=_filters((None, categories, None, None, starred_first, order, search)),
            timeout=timeout,
        )

    async def date_items(
        self,
        date: str | dt.date,
        *,
        categories: str | Iterable[str] | None = None,
        starred_first: bool = True,
        order: SortOrder = "desc",
        search: str | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> GalleryItemRefs:
        """Kinds and names of the images and videos made on ``date``."""
        await self._require("virtual_boards")
        return await self._parsed(
            GalleryItemRefs,
            "GET",
            id_path(_BY_DATE, _date(date), "date", "/item_names"),
            params=_filters((None, categories, None, None, starred_first, order, search)),
            timeout=timeout,
        )
