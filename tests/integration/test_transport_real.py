"""The request loop against the real server: unhandled 500s, pooled connections, error bodies, resets."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from invokeai_sdk import APIConnectionError, AsyncInvokeAI, InternalServerError, UnprocessableEntityError

from ..conftest import ServerInfo
from ._graphs import math
from .test_boards import png


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


class _ResetFirstReply(httpx.AsyncBaseTransport):
    """Forwards every request to the real server; the first reply to each ``POST`` to one of ``paths`` is
    lost (a reset after the server answered), as when a pooled connection dies under a reply."""

    def __init__(self, *paths: str) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.pending = set(paths)
        self.sent: Counter[str] = Counter()
        """POSTs sent, per path."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        response = await self.inner.handle_async_request(request)
        if request.method != "POST":
            return response
        self.sent[path] += 1
        if path not in self.pending:
            return response
        self.pending.discard(path)
        await response.aread()
        await response.aclose()
        raise httpx.ReadError("connection reset under the reply (test)", request=request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_the_posts_that_only_read_are_sent_again_after_a_reset(clean: ServerInfo) -> None:
    async with AsyncInvokeAI(clean.base_url) as setup:
        batch = await setup.queue.enqueue(math(a=1, b=2))
        assert await batch.wait(wait_timeout=60) == ["completed"]
        image = await setup.images.upload(png())
    read_only = ("/api/v1/queue/default/items_by_ids", "/api/v1/images/images_by_names")
    faults = _ResetFirstReply(*read_only, "/api/v1/app/logging")
    async with (
        httpx.AsyncClient(transport=faults, timeout=60) as http,
        AsyncInvokeAI(clean.base_url, http_client=http) as ivk,
    ):
        assert [i.item_id for i in await ivk.queue.items_by_ids(batch.item_ids)] == batch.item_ids
        assert [i.image_name for i in await ivk.images.get_many([image.image_name])] == [image.image_name]
        with pytest.raises(APIConnectionError):  # a POST that acts is still sent once
            await ivk.app.set_log_level(await ivk.app.log_level())
    assert [faults.sent[p] for p in read_only] == [2, 2] and faults.sent["/api/v1/app/logging"] == 1
