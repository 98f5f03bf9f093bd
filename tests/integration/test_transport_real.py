"""The request loop against the real server: unhandled 500s, pooled connections, error bodies."""

from __future__ import annotations

import pytest

from invokeai_sdk import AsyncInvokeAI, InternalServerError, UnprocessableEntityError


async def _a_default_workflow_id(ivk: AsyncInvokeAI) -> str:
    page = await ivk.app._json("GET", "/api/v1/workflows/", params={"categories": "default", "per_page": 1})
    return str(page["items"][0]["workflow_id"])


async def test_unhandled_500_is_text_plain_and_the_pool_recovers(ivk: AsyncInvokeAI) -> None:
    # Deleting a built-in workflow is an unhandled error on the server: 500 text/plain, and the server
    # closes the keep-alive connection. Requests right after it, GET and POST alike, must still work.
    workflow_id = await _a_default_workflow_id(ivk)
    for _ in range(5):
        with pytest.raises(InternalServerError) as info:
            await ivk.app._json("DELETE", f"/api/v1/workflows/i/{workflow_id}")
        assert info.value.status_code == 500
        assert info.value.detail == "Internal Server Error"
        assert info.value.response.headers["content-type"].startswith("text/plain")
        level = await ivk.app.log_level()  # GET on the pool
        assert await ivk.app.set_log_level(level) == level  # POST on the pool, never retried
    assert (await ivk.app.version()).release >= (6, 0)


async def test_real_422_detail_is_parsed(ivk: AsyncInvokeAI) -> None:
    bad_batch = {
        "batch": {
            "graph": {"nodes": {"a": {"id": "a", "type": "integer", "value": "notint"}}, "edges": []},
            "runs": 1,
        }
    }
    with pytest.raises(UnprocessableEntityError) as info:
        await ivk.app._json("POST", "/api/v1/queue/default/enqueue_batch", json=bad_batch)
    assert info.value.errors
    assert any(e.type == "int_parsing" and e.input == "notint" for e in info.value.errors)
    assert all(e.loc[0] == "body" for e in info.value.errors)
    status = await ivk.app._json("GET", "/api/v1/queue/default/status")
    assert status["queue"]["pending"] == 0  # nothing was queued
