"""Pagination: ``await`` a paginator for one page, ``async for`` over it for every item.

The server pages three ways (offset/limit, page/per_page, bare lists); resources turn each into a
``fetch(offset, limit)`` coroutine and hand it to :class:`AsyncPaginator`, so users see one shape::

    page = await ivk.images.list(limit=50)        # one request, one page
    async for image in ivk.images.list():          # every image, page after page
        ...

A single awaited page keeps a small default size; a full walk without a caller-set ``limit`` pages by
the server's largest page (``walk_limit``), so it costs as few requests as the server allows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import Any, Generic, TypeVar

__all__ = ["AsyncPage", "AsyncPaginator", "PageFetcher", "page_sizes"]

T = TypeVar("T")

PageFetcher = Callable[[int, int], Awaitable["AsyncPage[T]"]]
"""``fetch(offset, limit)`` -> the page of items starting at ``offset``."""


def page_sizes(limit: int | None, *, default: int, largest: int) -> tuple[int, int]:
    """(size of an awaited page, size of a walk's pages) for a caller's ``limit`` (``None``: not set).

    Raises :class:`~invokeai_sdk.ValidationError` for a ``limit`` outside 1 to ``largest``.
    """
    if limit is None:
        return default, largest
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= largest:
        from ._errors import ValidationError

        raise ValidationError(f"limit must be an int from 1 to {largest}, got {limit!r}")
    return limit, limit


class AsyncPage(Generic[T]):
    """One page of results.

    ``items`` are this page's items, ``offset`` the index of the first one, ``total`` the server's
    count of all items (``None`` when it does not say). ``async for`` walks this page and the ones
    after it; :meth:`next_page` fetches just the next one.
    """

    def __init__(
        self,
        items: list[T],
        *,
        offset: int,
        limit: int,
        total: int | None,
        fetch: PageFetcher[T] | None = None,
    ) -> None:
        self.items = items
        self.offset = offset
        self.limit = limit
        self.total = total
        self._fetch = fetch

    def has_next_page(self) -> bool:
        """True when the server has items after this page."""
        if self._fetch is None or not self.items:
            return False
        if self.total is not None:
            return self.offset + len(self.items) < self.total
        return len(self.items) >= self.limit

    async def next_page(self) -> AsyncPage[T]:
        """Fetch the page after this one (an empty page when there is none)."""
        if not self.has_next_page() or self._fetch is None:
            return AsyncPage([], offset=self.offset + len(self.items), limit=self.limit, total=self.total)
        return await self._fetch(self.offset + len(self.items), self.limit)

    async def iter_pages(self) -> AsyncIterator[AsyncPage[T]]:
        """This page, then every following page."""
        page: AsyncPage[T] = self
        while True:
            yield page
            if not page.has_next_page():
                return
            page = await page.next_page()

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            for item in page.items:
                yield item

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> T:
        return self.items[index]

    def __repr__(self) -> str:
        return f"AsyncPage(offset={self.offset}, items={len(self.items)}, total={self.total})"


class AsyncPaginator(Generic[T]):
    """A listing not yet fetched: ``await`` it for the first page, ``async for`` it for every item.

    ``limit`` is the size of the awaited page; a walk (``async for``, :meth:`iter_pages`,
    :meth:`to_list`) pages by ``walk_limit`` (the server's largest page unless the caller set a size).
    """

    def __init__(
        self, fetch: PageFetcher[T], *, offset: int = 0, limit: int, walk_limit: int | None = None
    ) -> None:
        self._fetch = fetch
        self.offset = offset
        self.limit = limit
        self.walk_limit = walk_limit or limit

    async def first_page(self, *, size: int | None = None) -> AsyncPage[T]:
        """Fetch the first page, of ``size`` items (default ``limit``: what awaiting the paginator does)."""
        return await self._fetch(self.offset, size or self.limit)

    def __await__(self) -> Generator[Any, None, AsyncPage[T]]:
        return self.first_page().__await__()

    async def iter_pages(self) -> AsyncIterator[AsyncPage[T]]:
        """Every page of the listing, ``walk_limit`` items each."""
        page = await self.first_page(size=self.walk_limit)
        async for each in page.iter_pages():
            yield each

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            for item in page.items:
                yield item

    async def to_list(self) -> list[T]:
        """Every item of every page, in one list."""
        return [item async for item in self]
