"""Every paginated call behaves the same in the async and the sync API: same pages, same walks, same errors.

The calls are found by reading the namespaces (every method returning an ``AsyncPaginator``), so a new
listing is covered without touching this file.
"""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import Any

import anyio
import anyio.to_thread
import pytest
from PIL import Image

from invokeai_sdk import AsyncInvokeAI, InvokeAI, ValidationError

from ._graphs import math


def _png(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (shade, shade, shade)).save(buffer, format="PNG")
    return buffer.getvalue()


def _namespaces(client: object, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:
    for name, value in vars(type(client)).items():
        if isinstance(value, cached_property) and not name.startswith("_"):
            namespace = getattr(client, name)
            yield (*prefix, name), namespace
            yield from _namespaces(namespace, (*prefix, name))


def paginated_calls() -> list[tuple[str, ...]]:
    """(namespace path..., method) of every public listing of the async API."""
    found = []
    for path, namespace in _namespaces(AsyncInvokeAI("http://127.0.0.1:1")):
        for name, member in inspect.getmembers(type(namespace), inspect.isfunction):
            if name.startswith("_"):
                continue
            signature = inspect.signature(member)
            if str(signature.return_annotation).startswith("AsyncPaginator"):
                found.append((*path, name))
    return sorted(found)


def _resolve(client: object, call: tuple[str, ...]) -> Callable[..., Any]:
    target: Any = client
    for name in call:
        target = getattr(target, name)
    return target  # type: ignore[no-any-return]


def _size_argument(method: Callable[..., Any]) -> str:
    parameters = inspect.signature(method).parameters
    return "per_page" if "per_page" in parameters else "limit"


def test_the_listings_are_found() -> None:
    calls = paginated_calls()
    for expected in (("images", "list"), ("queue", "list"), ("boards", "list"), ("workflows", "list")):
        assert expected in calls


@pytest.fixture
async def filled(ivk: AsyncInvokeAI) -> AsyncInvokeAI:
    """Three of everything a listing can hold here: boards, images (on a board and off), queue items."""
    for n in range(3):
        board = await ivk.boards.create(f"parity-{n}")
        await ivk.images.upload(_png(40 * n), board=board)
        await ivk.images.upload(_png(40 * n + 10))
    batch = await ivk.queue.enqueue(math(2, 3), runs=3)
    await batch.wait(wait_timeout=60)
    return ivk


@pytest.mark.parametrize("call", paginated_calls(), ids=".".join)
async def test_pages_and_walks_match(filled: AsyncInvokeAI, call: tuple[str, ...]) -> None:
    method = _resolve(filled, call)
    size = {_size_argument(method): 2}
    page = await method(**size)
    async_walk = [item async for item in page]
    assert async_walk == [item async for item in method(**size)] == [item async for item in method()]
    async_pages = [p.items async for p in method(**size).iter_pages()]

    def sync_side() -> dict[str, Any]:  # in a worker thread, as a script would call it
        with InvokeAI(str(filled.base_url)) as sync:
            sync_method = _resolve(sync, call)
            listing = sync_method(**size)
            return {
                "items": listing.items,
                "len": len(listing),
                "total": listing.total,
                "has_next_page": listing.has_next_page(),
                "walk": list(listing),  # ``for`` walks every page, like ``async for``
                "first_page_walk": list(listing.first_page()),
                "pages": [p.items for p in sync_method(**size).iter_pages()],
                "default_walk": list(sync_method()),
                "to_list": sync_method(**size).to_list(),
            }

    seen = await anyio.to_thread.run_sync(sync_side)
    assert seen == {
        "items": page.items,
        "len": len(page),
        "total": page.total,
        "has_next_page": page.has_next_page(),
        "walk": async_walk,
        "first_page_walk": async_walk,
        "pages": async_pages,
        "default_walk": async_walk,
        "to_list": async_walk,
    }


@pytest.mark.parametrize("call", paginated_calls(), ids=".".join)
async def test_the_same_errors(ivk: AsyncInvokeAI, call: tuple[str, ...]) -> None:
    method = _resolve(ivk, call)
    size = {_size_argument(method): 0}
    with pytest.raises(ValidationError) as async_error:
        await method(**size)

    def sync_side() -> str:
        with InvokeAI(str(ivk.base_url)) as sync, pytest.raises(ValidationError) as sync_error:
            _resolve(sync, call)(**size).items  # noqa: B018 (reading the page is what fetches it)
        return str(sync_error.value)

    assert await anyio.to_thread.run_sync(sync_side) == str(async_error.value)


async def test_a_full_walk_pages_by_the_largest_page(filled: AsyncInvokeAI) -> None:
    listing = filled.images.list()
    assert (listing.limit, listing.walk_limit) == (100, 1000)
    assert filled.images.list(limit=2).walk_limit == 2
