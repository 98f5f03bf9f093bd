"""Listing pages are validated from the reply's JSON in one pass (``ItemsPage``), for every listing
that pages by offset: images, videos, the gallery feed, boards by page and the workflow library.

The real server's pages are proven in ``tests/integration/test_pages_parity.py``; here (respx) the
replies a real server does not send: a page without ``items``, an item missing a required field, a
page without ``total``, and fields a newer server adds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import respx

from invokeai_sdk import APIResponseValidationError, AsyncInvokeAI
from invokeai_sdk._pagination import AsyncPage, AsyncPaginator

from ._fakes import openapi

BASE = "http://invoke.test"

IMAGE = {"image_name": "a.png", "width": 8, "height": 8}
VIDEO = {"video_name": "v.mp4", "width": 8, "height": 8, "duration": 1.5}
BOARD = {"board_id": "b1", "board_name": "one"}
WORKFLOW = {"workflow_id": "w1", "name": "one", "category": "user"}
GALLERY_ITEM = {"kind": "image", "name": "a.png", "width": 8, "height": 8}

# listing: (route, one valid item, a required field of it, the call)
LISTINGS: dict[str, tuple[str, dict[str, Any], str, Callable[[AsyncInvokeAI], AsyncPaginator[Any]]]] = {
    "images": ("/api/v1/images/", IMAGE, "width", lambda ivk: ivk.images.list(limit=10)),
    "videos": ("/api/v1/videos/", VIDEO, "width", lambda ivk: ivk.videos.list(limit=10)),
    "boards": ("/api/v1/boards/", BOARD, "board_name", lambda ivk: ivk.boards.list(limit=10)),
    "workflows": ("/api/v1/workflows/", WORKFLOW, "name", lambda ivk: ivk.workflows.list(per_page=10)),
    "gallery": ("/api/v1/gallery/items/", GALLERY_ITEM, "name", lambda ivk: ivk.gallery.list(limit=10)),
}


@pytest.fixture
async def server() -> AsyncIterator[tuple[AsyncInvokeAI, respx.MockRouter]]:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.get("/openapi.json").mock(return_value=httpx.Response(200, json=openapi("videos", "gallery")))
        mock.get("/api/v1/app/version").mock(return_value=httpx.Response(200, json={"version": "6.14.2"}))
        async with AsyncInvokeAI(BASE, max_retries=0) as ivk:
            yield ivk, mock


@dataclass
class Listing:
    """One listing under test: its route, a valid item, a required field of it, and one page fetch."""

    name: str
    route: str
    item: dict[str, Any]
    field: str
    fetch: Callable[[dict[str, Any]], Awaitable[AsyncPage[Any]]]
    """Serve this reply body on the route, then await the listing's first page."""


@pytest.fixture(params=sorted(LISTINGS))
def listing(request: pytest.FixtureRequest, server: tuple[AsyncInvokeAI, respx.MockRouter]) -> Listing:
    ivk, mock = server
    route, item, field, call = LISTINGS[request.param]

    async def fetch(body: dict[str, Any]) -> AsyncPage[Any]:
        mock.get(route).mock(return_value=httpx.Response(200, json=body))
        return await call(ivk)

    return Listing(request.param, route, item, field, fetch)


async def test_a_page_keeps_new_fields_and_reads_total(listing: Listing) -> None:
    item = {**listing.item, "added_later": 1}
    page = await listing.fetch({"items": [item], "total": 1, "offset": 0, "limit": 10, "page_note": "x"})
    assert len(page.items) == 1
    assert page.items[0].model_extra == {"added_later": 1}  # fields of newer servers are kept
    if listing.name != "boards":  # the boards page's "total" is the page's length (6.14.2 bug): not used
        assert page.total == 1
    assert not page.has_next_page()


async def test_a_page_without_items_is_a_response_validation_error(listing: Listing) -> None:
    with pytest.raises(
        APIResponseValidationError, match=rf"(?s)GET {listing.route}: .*\nitems\n  Field required"
    ):
        await listing.fetch({"total": 3})


async def test_an_item_missing_a_required_field_names_it(listing: Listing) -> None:
    broken = {key: value for key, value in listing.item.items() if key != listing.field}
    with pytest.raises(APIResponseValidationError, match=rf"(?s)items\.1.*{listing.field}"):
        await listing.fetch({"items": [listing.item, broken], "total": 2})


async def test_a_page_without_total_pages_on_by_its_length(
    server: tuple[AsyncInvokeAI, respx.MockRouter],
) -> None:
    ivk, mock = server
    pages = [
        httpx.Response(200, json={"items": [IMAGE, IMAGE]}),
        httpx.Response(200, json={"items": [IMAGE]}),
    ]
    route = mock.get("/api/v1/images/").mock(side_effect=pages)
    names = [image.image_name async for image in ivk.images.list(limit=2)]
    assert names == ["a.png"] * 3
    assert [call.request.url.params["offset"] for call in route.calls] == ["0", "2"]
