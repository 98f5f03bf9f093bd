"""``ivk.queue`` request building and checks that a real server cannot be made to show on demand."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from invokeai_sdk import AsyncInvokeAI, BatchDataError, ValidationError

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


async def test_enqueue_is_never_retried() -> None:
    async with respx.mock(base_url=BASE, assert_all_called=False) as router:
        enqueue = _mock_server(router)
        enqueue.side_effect = [httpx.Response(503, json={"detail": "busy"})]
        async with AsyncInvokeAI(BASE, max_retries=3) as ivk:
            with pytest.raises(Exception, match="503"):
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
        router.get("/api/v1/queue/default/list_all").respond(
            json=[
                {"item_id": 3, "status": "pending", "batch_id": "b1"},
                {"item_id": 4, "status": "pending", "batch_id": "other"},
            ]
        )
        async with AsyncInvokeAI(BASE) as ivk:
            handle = await ivk.queue.enqueue(GRAPH)
    assert handle.item_ids == [3]
