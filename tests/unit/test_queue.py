"""``ivk.queue`` request building and checks that a real server cannot be made to show on demand."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

from invokeai_sdk import AsyncInvokeAI, BatchDataError, InternalServerError, ValidationError
from invokeai_sdk.resources import queue as queue_module

BASE = "http://ivk.test"

OPENAPI: dict[str, Any] = {
    "paths": {},
    "components": {
        "schemas": {
            "BlankImageInvocation": {
                "class": "invocation",
                "properties": {
                    "type": {"const": "blank_image", "default": "blank_image"},
                    "width": {"type": "integer", "default": 512, "exclusiveMinimum": 0},
                    "height": {"type": "integer", "default": 512, "exclusiveMinimum": 0},
                },
            },
            "StringInvocation": {
                "class": "invocation",
                "properties": {"type": {"const": "string"}, "value": {"type": "string", "default": ""}},
            },
        }
    },
}

GRAPH = {
    "nodes": {
        "blank": {"id": "blank", "type": "blank_image"},
        "label": {"id": "label", "type": "string", "value": "x"},
    },
    "edges": [],
}


def _mock_server(router: respx.MockRouter) -> respx.Route:
    router.get("/openapi.json").respond(json=OPENAPI)
    router.get("/api/v1/app/version").respond(json={"version": "6.14.2"})
    return router.post("/api/v1/queue/default/enqueue_batch").respond(
        json={
            "queue_id": "default",
            "enqueued": 2,
            "requested": 2,
            "batch": {"batch_id": "b1", "origin": "o", "graph": GRAPH, "runs": 1},
            "priority": 0,
            "item_ids": [8, 7],
        }
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([[{"node_path": "blank", "field_name": "width", "items": [32, "48"]}]], r"'blank'.*'width'.*item 1"),
        ([[{"node_path": "blank", "field_name": "width", "items": [0]}]], r"item 0"),
        ([[{"node_path": "nope", "field_name": "width", "items": [1]}]], r"'nope' is not in the graph"),
        ([[{"node_path": "label", "field_name": "colour", "items": ["a"]}]], r"no such input field"),
        ([[{"node_path": "label", "field_name": "value", "items": [3]}]], r"'label'.*'value'.*item 0"),
        ([[{"node_path": "label", "field_name": "value", "items": []}]], r"non-empty list"),
        (
            [
                [
                    {"node_path": "blank", "field_name": "width", "items": [1, 2]},
                    {"node_path": "blank", "field_name": "height", "items": [1]},
                ]
            ],
            r"same length",
        ),
    ],
)
async def test_bad_batch_data_raises_and_sends_nothing(data: Any, expected: str) -> None:
    async with respx.mock(base_url=BASE, assert_all_called=False) as router:
        enqueue = _mock_server(router)
        async with AsyncInvokeAI(BASE) as ivk:
            with pytest.raises(BatchDataError, match=expected):
                await ivk.queue.enqueue(GRAPH, data=data)
        assert not enqueue.called


async def test_enqueue_body_and_handles() -> None:
    async with respx.mock(base_url=BASE, assert_all_called=False) as router:
        enqueue = _mock_server(router)
        async with AsyncInvokeAI(BASE) as ivk:
            handle = await ivk.queue.enqueue(
                {"graph": GRAPH, "runs": 2},
                data=[[{"node_path": "blank", "field_name": "width", "items": [16, 32]}]],
                destination="dest",
                prepend=True,
            )
    body = __import__("json").loads(enqueue.calls.last.request.content)
    assert body["prepend"] is True
    assert body["batch"]["runs"] == 2 and body["batch"]["destination"] == "dest"
    assert body["batch"]["origin"].startswith("invokeai-sdk:")
    assert enqueue.call_count == 1
    assert handle.item_ids == [7, 8] and [j.item_id for j in handle.jobs] == [7, 8]
    assert handle.batch_id == "b1"


async def test_enqueue_is_never_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queue_module, "_LOST_REPLY_LOOKUPS", (0.0,))
    async with respx.mock(base_url=BASE, assert_all_called=False) as router:
        enqueue = _mock_server(router)
        enqueue.side_effect = [httpx.Response(503, json={"detail": "busy"})]
        router.get(path__regex=r"/api/v1/queue/default/b/[^/]+/status").respond(json=_batch_status("b"))
        async with AsyncInvokeAI(BASE, max_retries=3) as ivk:
            with pytest.raises(InternalServerError, match=r"busy.*so it was not enqueued"):
                await ivk.queue.enqueue(GRAPH)
        assert enqueue.call_count == 1


@pytest.mark.parametrize(
    "bad",
    [{"nodes": []}, {"nodes": {"a": {"id": "a"}}}, {"graph": GRAPH, "runs": 0}, {"graph": GRAPH, "bogus": 1}],
)
async def test_malformed_graphs_are_refused(bad: Any) -> None:
    async with respx.mock(base_url=BASE, assert_all_called=False) as router:
        enqueue = _mock_server(router)
        async with AsyncInvokeAI(BASE) as ivk:
            with pytest.raises(ValidationError):
                await ivk.queue.enqueue(bad)
        assert not enqueue.called


async def test_old_server_without_item_ids_finds_items_by_batch() -> None:
    async with respx.mock(base_url=BASE, assert_all_called=False) as router:
        enqueue = _mock_server(router)
        enqueue.respond(
            json={
                "queue_id": "default",
                "enqueued": 1,
                "requested": 1,
                "batch": {"batch_id": "b1"},
                "priority": 0,
            }
        )
        router.get("/api/v1/queue/default/b/b1/status").respond(json=_batch_status("b1", pending=1))
        router.get("/api/v1/queue/default/list_all").respond(
            json=[
                {"item_id": 3, "status": "pending", "batch_id": "b1"},
                {"item_id": 4, "status": "pending", "batch_id": "other"},
            ]
        )
        async with AsyncInvokeAI(BASE) as ivk:
            handle = await ivk.queue.enqueue(GRAPH)
            assert await ivk.queue.batch_item_ids("b1") == [3]
    assert handle.item_ids == [3]


async def test_batch_item_ids_of_a_batch_the_queue_does_not_hold_costs_one_request() -> None:
    async with respx.mock(base_url=BASE) as router:
        status = router.get("/api/v1/queue/default/b/gone/status").respond(json=_batch_status("gone"))
        async with AsyncInvokeAI(BASE) as ivk:
            assert await ivk.queue.batch_item_ids("gone") == []
    assert status.call_count == 1  # the whole queue was not listed


def _batch_status(batch_id: str, **counts: int) -> dict[str, Any]:
    fields = dict.fromkeys(("pending", "in_progress", "completed", "failed", "canceled"), 0) | counts
    return {
        "queue_id": "default",
        "batch_id": batch_id,
        "origin": None,
        "destination": None,
        "total": sum(fields.values()),
        **fields,
    }


async def test_retry_is_sent_once_even_on_a_retryable_status() -> None:
    # PUT is retried elsewhere, but retry_items_by_id is not idempotent: a resend copies the items again.
    async with respx.mock(base_url=BASE) as router:
        route = router.put("/api/v1/queue/default/retry_items_by_id").respond(503, json={"detail": "busy"})
        async with AsyncInvokeAI(BASE, max_retries=3) as ivk:
            with pytest.raises(InternalServerError):
                await ivk.queue.retry([1, 2])
    assert route.call_count == 1 and route.calls[0].request.content == b"[1,2]"


async def test_list_reads_the_item_ids_once_per_walk() -> None:
    async with respx.mock(base_url=BASE) as router:
        ids = router.get("/api/v1/queue/default/item_ids").respond(
            json={"item_ids": [5, 4, 3, 2, 1], "total_count": 5}
        )

        def items(request: httpx.Request) -> httpx.Response:
            wanted = json.loads(request.content)["item_ids"]
            return httpx.Response(200, json=[{"item_id": i, "status": "pending"} for i in wanted])

        router.post("/api/v1/queue/default/items_by_ids").mock(side_effect=items)
        async with AsyncInvokeAI(BASE) as ivk:
            walked = [item.item_id async for item in ivk.queue.list(limit=2)]
    assert walked == [5, 4, 3, 2, 1] and ids.call_count == 1


@pytest.mark.parametrize(("batch_id", "path"), [("a/b", "a%2Fb"), ("ü?", "%C3%BC%3F")])
async def test_ids_in_paths_are_one_segment(batch_id: str, path: str) -> None:
    async with respx.mock(base_url=BASE) as router:
        route = router.get(url__regex=r"/api/v1/queue/default/b/.*").respond(
            json={
                "queue_id": "default",
                "batch_id": batch_id,
                "pending": 0,
                "in_progress": 0,
                "completed": 0,
                "failed": 0,
                "canceled": 0,
                "total": 0,
            }
        )
        async with AsyncInvokeAI(BASE) as ivk:
            await ivk.queue.batch_status(batch_id)
    assert route.calls[0].request.url.raw_path == f"/api/v1/queue/default/b/{path}/status".encode()
