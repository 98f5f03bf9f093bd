"""Sync pages and paginators: written by hand, because their twin rule is not one call per method.

The async API reads a listing two ways: awaited, it gives one page; iterated asynchronously, every
item. The sync twin keeps both meanings:

- ``ivk.images.list(...)`` returns a :class:`SyncPaginator`. Reading a page attribute of it
  (``items``, ``total``, ``len()``, indexing, ``has_next_page()``, ``next_page()``) fetches the first
  page once, as awaiting does; ``for`` over it walks every item, page after page.
- ``for`` over a :class:`SyncPage` walks that page and every page after it, as iterating an async
  page does; ``page.items`` is that page alone.

A walk crosses into the private event loop once per page, never once per item, and fetches the
next page on the loop while the caller reads the current one.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from .._pagination import AsyncPage, AsyncPaginator
from .runtime import SyncObject, call, result, start

__all__ = ["SyncPage", "SyncPaginator"]

T = TypeVar("T")


class SyncPage(SyncObject, Generic[T]):
    """Sync twin of :class:`~invokeai_sdk._pagination.AsyncPage`: one page of results.

    ``items`` are this page's items, ``offset`` the index of the first one, ``total`` the server's
    count of all items (``None`` when it does not say). ``for`` walks this page and the ones after
    it; :meth:`next_page` fetches just the next one.
    """

    _target: AsyncPage[T]

    @property
    def items(self) -> list[T]:
        """This page's items."""
        return self._target.items

    @property
    def offset(self) -> int:
        """The index of this page's first item in the whole listing."""
        return self._target.offset

    @property
    def limit(self) -> int:
        """The page size asked for."""
        return self._target.limit

    @property
    def total(self) -> int | None:
        """The server's count of all items (``None`` when it does not say)."""
        return self._target.total

    def has_next_page(self) -> bool:
        """True when the server has items after this page."""
        return self._target.has_next_page()

    def next_page(self) -> SyncPage[T]:
        """Fetch the page after this one (an empty page when there is none)."""
        return SyncPage(call(self._target.next_page))

    def iter_pages(self) -> Iterator[SyncPage[T]]:
        """This page, then every following page (one request each)."""
        return _walk(lambda: self)

    def __iter__(self) -> Iterator[T]:
        return _items(self.iter_pages())

    def __len__(self) -> int:
        return len(self._target.items)

    def __getitem__(self, index: int) -> T:
        return self._target.items[index]


class SyncPaginator(SyncObject, Generic[T]):
    """Sync twin of :class:`~invokeai_sdk._pagination.AsyncPaginator`: a listing.

    Its page attributes (``items``, ``total``, ``len()``, indexing, :meth:`has_next_page`,
    :meth:`next_page`) are those of the first page, fetched once on first use (the async paginator
    gives that page when awaited); ``for`` walks every item, paging by ``walk_limit``;
    :meth:`first_page` fetches a fresh first page.
    """

    _target: AsyncPaginator[T]
    __slots__ = ("_page",)

    def __init__(self, target: AsyncPaginator[T]) -> None:
        super().__init__(target)
        self._page: SyncPage[T] | None = None

    @property
    def offset(self) -> int:
        """The index of the first item asked for."""
        return self._target.offset

    @property
    def limit(self) -> int:
        """The size of the first page."""
        return self._target.limit

    @property
    def walk_limit(self) -> int:
        """The page size of a walk (``for``, :meth:`iter_pages`, :meth:`to_list`)."""
        return self._target.walk_limit

    def first_page(self, *, size: int | None = None) -> SyncPage[T]:
        """Fetch a fresh first page, of ``size`` items (default ``limit``)."""
        return SyncPage(call(self._target.first_page, size=size))

    def _first(self) -> SyncPage[T]:
        if self._page is None:
            self._page = self.first_page()
        return self._page

    @property
    def items(self) -> list[T]:
        """The first page's items (fetched once)."""
        return self._first().items

    @property
    def total(self) -> int | None:
        """The server's count of all items (from the first page, fetched once)."""
        return self._first().total

    def has_next_page(self) -> bool:
        """True when the server has items after the first page."""
        return self._first().has_next_page()

    def next_page(self) -> SyncPage[T]:
        """Fetch the page after the first one."""
        return self._first().next_page()

    def iter_pages(self) -> Iterator[SyncPage[T]]:
        """Every page of the listing, ``walk_limit`` items each (one request per page)."""
        return _walk(lambda: self.first_page(size=self.walk_limit))

    def __iter__(self) -> Iterator[T]:
        return _items(self.iter_pages())

    def __len__(self) -> int:
        return len(self._first())

    def __getitem__(self, index: int) -> T:
        return self._first()[index]

    def to_list(self) -> list[T]:
        """Every item of every page, in one list."""
        return list(self)


def _walk(first: Callable[[], SyncPage[T]]) -> Iterator[SyncPage[T]]:
    """``first()`` (called on the first ``next()``), then every page after it.

    While the caller reads a page, the next one is already being fetched on the loop (one crossing
    per page). Its error surfaces where the async walk raises it: when the caller asks for more than
    the pages before it. Leaving the walk early (``break``, ``close()``, garbage collection) cancels
    the fetch ahead.
    """
    page = first()
    ahead = start(page._target.next_page) if page.has_next_page() else None
    try:
        while True:
            yield page
            if ahead is None:
                return
            page = SyncPage(result(ahead))
            ahead = start(page._target.next_page) if page.has_next_page() else None
    finally:
        if ahead is not None and not ahead.done():
            ahead.cancel()


def _items(pages: Iterator[SyncPage[T]]) -> Iterator[T]:
    """The items of ``pages``, one after another (no Python frame per item)."""
    return itertools.chain.from_iterable(page._target.items for page in pages)
