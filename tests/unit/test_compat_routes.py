"""Route choice per release and old reply shapes: the cases a real server cannot be made to show here.

The real-server proof is ``tests/integration/test_compat.py`` run against each release
(``nox -s compat``). These respx tests pin the decisions themselves: which route is sent for which API
document, what a route missing on an unknown server becomes, and how failures that only some releases
produce (6.11's board 500, 5.x's missing-item 500 while the item is still listed) are told apart.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
import respx

from invokeai_sdk import AsyncInvokeAI, FeatureNotSupportedError, InternalServerError
from invokeai_sdk._compat import added_in, path_added_in, varying_route, version_in

BASE = "http://ivk.test"
Q = "/api/v1/queue/default"


def _document(*operations: tuple[str, str]) -> dict[str, object]:
    paths: dict[str, dict[str, object]] = {}
    for method, path in operations:
        paths.setdefault(path, {})[method.lower()] = {}
    return {"paths": paths}


# A 6.3-like server: list_all, no bulk item routes, no summaries.
OLD_63 = _document(
    ("GET", "/api/v1/queue/{queue_id}/i/{item_id}"),
    ("GET", "/api/v1/queue/{queue_id}/list"),
    ("GET", "/api/v1/queue/{queue_id}/list_all"),
    ("GET", "/api/v1/boards/"),
    ("POST", "/api/v1/boards/"),
)


def _item(item_id: int, status: str = "completed", batch_id: str = "b") -> dict[str, object]:
    return {"item_id": item_id, "status": status, "batch_id": batch_id, "session": {"id": f"s{item_id}"}}


@pytest.fixture
async def old_server() -> AsyncIterator[tuple[AsyncInvokeAI, respx.MockRouter]]:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.get("/openapi.json").respond(json=OLD_63)
        mock.get("/api/v1/app/version").respond(json={"version": "6.3.0"})
        async with AsyncInvokeAI(BASE, max_retries=0) as ivk:
            await ivk.app.features()
            yield ivk, mock


def test_the_table_names_the_first_release_of_a_route() -> None:
    assert added_in("POST", "/api/v1/queue/{queue_id}/item_summaries_by_ids") == "6.14.2"
    assert added_in("post", "/api/v1/queue/{queue_id}/items_by_ids") == "6.8.1"
    assert added_in("GET", "/api/v1/queue/{queue_id}/status") is None  # every release has it
    assert added_in("GET", "/api/v1/queue/{queue_id}/list") == "5.15.0"  # gone in 6.8
    assert path_added_in("/api/v1/auth/status") == "6.12.0"
    assert varying_route("DELETE", "/api/v1/queue/default/i/7") == "/api/v1/queue/{queue_id}/i/{item_id}"
    assert varying_route("GET", "/api/v1/queue/default/i/7") is None
    assert version_in("6.11.1", ("6.10.0", "6.12.0")) and not version_in("6.12.0", ("6.10.0", "6.12.0"))
    assert not version_in(None, ("6.10.0", "6.12.0"))


async def test_old_server_items_one_by_one_and_summaries_cut_from_them(
    old_server: tuple[AsyncInvokeAI, respx.MockRouter],
) -> None:
    ivk, mock = old_server
    one = mock.get(f"{Q}/i/1").respond(json=_item(1))
    mock.get(f"{Q}/i/2").respond(json=_item(2, "failed"))
    mock.get(f"{Q}/i/3").respond(404, json={"detail": "Queue item with id 3 not found"})
    bulk = mock.post(f"{Q}/items_by_ids")
    summaries_route = mock.post(f"{Q}/item_summaries_by_ids")
    items = await ivk.queue.items_by_ids([2, 3, 1, 2])
    assert [i.item_id for i in items] == [2, 1] and items[1].session == {"id": "s1"}
    summaries = await ivk.queue.summaries([1, 2])
    assert [(s.item_id, s.status) for s in summaries] == [(1, "completed"), (2, "failed")]
    assert bulk.call_count == summaries_route.call_count == 0  # the document said: not there
    assert one.call_count == 2


async def test_a_bare_500_counts_as_missing_only_when_the_listing_agrees(
    old_server: tuple[AsyncInvokeAI, respx.MockRouter],
) -> None:
    ivk, mock = old_server
    mock.get(f"{Q}/i/1").respond(json=_item(1))
    mock.get(f"{Q}/i/9").respond(500, text="Internal Server Error")
    listing = mock.get(f"{Q}/list").respond(json={"items": [{"item_id": 1}], "has_more": False, "limit": 100})
    assert [i.item_id for i in await ivk.queue.items_by_ids([1, 9])] == [1]
    assert listing.call_count == 1
    listing.respond(json={"items": [{"item_id": 1}, {"item_id": 9}], "has_more": False, "limit": 100})
    with pytest.raises(InternalServerError):  # 9 is there: the 500 is a real server error
        await ivk.queue.items_by_ids([1, 9])


async def test_list_walks_the_full_listing_when_there_are_no_item_ids(
    old_server: tuple[AsyncInvokeAI, respx.MockRouter],
) -> None:
    ivk, mock = old_server
    mock.get(f"{Q}/list_all").respond(json=[_item(4), _item(5, "pending"), _item(6)])
    page = await ivk.queue.list(limit=2)
    assert [i.item_id for i in page.items] == [6, 5] and page.total == 3
    assert [i.item_id async for i in ivk.queue.list(order="asc", status="completed")] == [4, 6]


async def test_5x_list_all_pages_the_cursor_listing() -> None:
    document = _document(
        ("GET", "/api/v1/queue/{queue_id}/i/{item_id}"), ("GET", "/api/v1/queue/{queue_id}/list")
    )
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.get("/openapi.json").respond(json=document)
        mock.get("/api/v1/app/version").respond(json={"version": "5.15.0"})

        def page(request: httpx.Request) -> httpx.Response:
            cursor = request.url.params.get("cursor")
            if cursor is None:
                return httpx.Response(200, json={"items": [{"item_id": 1, "priority": 0}], "has_more": True})
            assert (cursor, request.url.params["priority"]) == ("1", "0")
            return httpx.Response(
                200, json={"items": [{"item_id": 2, "destination": "d"}], "has_more": False}
            )

        mock.get(f"{Q}/list").mock(side_effect=page)
        mock.get(f"{Q}/i/1").respond(json=_item(1))
        mock.get(f"{Q}/i/2").respond(json={**_item(2), "destination": "d"})
        async with AsyncInvokeAI(BASE, max_retries=0) as ivk:
            await ivk.app.features()
            assert [i.item_id for i in await ivk.queue.list_all()] == [1, 2]
            assert [i.item_id for i in await ivk.queue.list_all(destination="d")] == [2]


async def test_unknown_server_tries_the_newest_route_then_falls_back() -> None:
    """Before the API document is read, the newest route is tried; its 405 reads the document."""
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        openapi = mock.get("/openapi.json").respond(json=OLD_63)
        mock.get("/api/v1/app/version").respond(json={"version": "6.3.0"})
        newest = mock.post(f"{Q}/item_summaries_by_ids").respond(405, json={"detail": "Method Not Allowed"})
        mock.get(f"{Q}/i/1").respond(json=_item(1))
        async with AsyncInvokeAI(BASE, max_retries=0) as ivk:
            assert [s.item_id for s in await ivk.queue.summaries([1])] == [1]
            assert [s.item_id for s in await ivk.queue.summaries([1])] == [1]
        assert newest.call_count == 1 and openapi.call_count == 1


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(404, json={"detail": "Not Found"}),
        httpx.Response(405, json={"detail": "Method Not Allowed"}),
        httpx.Response(200, html="<!DOCTYPE html><html></html>"),  # the web UI's page (6.12)
    ],
)
async def test_a_route_the_server_lacks_raises_feature_not_supported(
    old_server: tuple[AsyncInvokeAI, respx.MockRouter], reply: httpx.Response
) -> None:
    ivk, mock = old_server
    mock.get("/api/v1/images/names").mock(return_value=reply)
    with pytest.raises(FeatureNotSupportedError) as raised:
        await ivk.images.names()
    assert raised.value.feature == "GET /api/v1/images/names"
    assert raised.value.added_in == "6.3.0" and raised.value.server_version == "6.3.0"
    assert "InvokeAI 6.3.0 and later have it" in str(raised.value)


@pytest.fixture
async def server_611() -> AsyncIterator[tuple[AsyncInvokeAI, respx.MockRouter]]:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.get("/api/v1/app/version").respond(json={"version": "6.11.1"})
        async with AsyncInvokeAI(BASE, max_retries=0) as ivk:
            yield ivk, mock


def _board(board_id: str, name: str = "mine") -> dict[str, object]:
    return {"board_id": board_id, "board_name": name, "image_count": 0}


async def test_611_board_500_is_recovered_by_finding_the_new_board(
    server_611: tuple[AsyncInvokeAI, respx.MockRouter],
) -> None:
    """6.10-6.11 answer 500 after creating the board (the real 6.11.1 run is in nox -s compat)."""
    ivk, mock = server_611
    mock.get("/api/v1/boards/").mock(
        side_effect=[
            httpx.Response(200, json=[_board("old"), _board("other", "theirs")]),
            httpx.Response(200, json=[_board("old"), _board("new"), _board("other", "theirs")]),
        ]
    )
    create = mock.post("/api/v1/boards/").respond(500, json={"detail": "Failed to create board"})
    board = await ivk.boards.create("mine")
    assert board.board_id == "new" and create.call_count == 1


@pytest.mark.parametrize(
    ("reply", "after"),
    [
        (httpx.Response(500, json={"detail": "database is locked"}), ["old", "new"]),  # another 500
        (httpx.Response(500, json={"detail": "Failed to create board"}), ["old"]),  # nothing was made
        (httpx.Response(500, json={"detail": "Failed to create board"}), ["old", "n1", "n2"]),  # not sure
    ],
)
async def test_611_other_board_500s_are_raised(
    server_611: tuple[AsyncInvokeAI, respx.MockRouter], reply: httpx.Response, after: list[str]
) -> None:
    ivk, mock = server_611
    mock.get("/api/v1/boards/").mock(
        side_effect=[
            httpx.Response(200, json=[_board("old")]),
            httpx.Response(200, json=[_board(b) for b in after]),
        ]
    )
    mock.post("/api/v1/boards/").mock(return_value=reply)
    with pytest.raises(InternalServerError):
        await ivk.boards.create("mine")


async def test_other_releases_create_boards_in_one_request() -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.get("/api/v1/app/version").respond(json={"version": "6.12.0"})
        listing = mock.get("/api/v1/boards/")
        mock.post("/api/v1/boards/").respond(500, json={"detail": "Failed to create board"})
        async with AsyncInvokeAI(BASE, max_retries=0) as ivk:
            with pytest.raises(InternalServerError):
                await ivk.boards.create("mine")
        assert listing.call_count == 0


async def test_5x_null_image_delete_reply() -> None:
    with respx.mock(base_url=BASE) as mock:
        mock.delete("/api/v1/images/i/a.png").respond(content=b"null", content_type="application/json")
        async with AsyncInvokeAI(BASE, max_retries=0) as ivk:
            result = await ivk.images.delete("a.png")
    assert result.deleted_images == ["a.png"] and result.affected_boards == []


async def test_empty_replies_are_asked_for_without_gzip() -> None:
    """The unpinned 6.14 server 500s a 204 to gzip clients (proven on the real server by nox -s compat)."""
    with respx.mock(base_url=BASE) as mock:
        prune = mock.delete("/api/v2/models/install").respond(204)
        delete = mock.delete("/api/v2/models/i/k1").respond(204)
        listing = mock.get("/api/v2/models/install").respond(json=[])
        async with AsyncInvokeAI(BASE, max_retries=0) as ivk:
            await ivk.models.prune_install_jobs()
            await ivk.models.delete("k1")
            await ivk.models.install_jobs()
    assert prune.calls.last.request.headers["accept-encoding"] == "identity"
    assert delete.calls.last.request.headers["accept-encoding"] == "identity"
    assert "gzip" in listing.calls.last.request.headers["accept-encoding"]  # bodies stay compressed


def test_the_document_helper_builds_paths() -> None:
    assert json.loads(json.dumps(OLD_63))["paths"]["/api/v1/boards/"] == {"get": {}, "post": {}}
