"""Exactly-once enqueue on the real server: a lost reply is found again, never lost nor doubled.

The fault is an httpx transport that forwards ``enqueue_batch`` to the real server, lets it answer,
then raises a read error instead of handing the answer back (the reply was lost on the way), or
refuses the request before it leaves (it never arrived), or answers 500 in the server's stead (after
the server wrote the batch, as InvokeAI 5.15 does when two of its threads share its database
connection, or without forwarding it: the server failed before writing).
"""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from invokeai_sdk import AsyncInvokeAI, EnqueueError, InternalServerError

from ..conftest import ServerInfo
from ._graphs import math

TRIALS = 100


class _LoseEnqueueReplies(httpx.AsyncBaseTransport):
    """Forwards every request; ``mode`` decides what happens to ``enqueue_batch``.

    ``"after"``: the server gets it and answers, the answer is dropped (a read error or timeout);
    ``"before"``: the connection is refused, nothing reaches the server;
    ``"after-then-down"``: as ``"after"``, and every later request is refused (the server is gone);
    ``"500-after"``: the server gets it and writes the batch, the client gets a 500 instead of the reply;
    ``"500-before"``: nothing reaches the server, the client gets a 500.
    """

    def __init__(self, mode: str) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.mode = mode
        self.down = False
        self.dropped = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("refused (test: server gone)", request=request)
        if not request.url.path.endswith("/enqueue_batch"):
            return await self.inner.handle_async_request(request)
        if self.mode == "before":
            raise httpx.ConnectError("refused (test)", request=request)
        if self.mode == "500-before":
            return _internal_server_error(request)
        response = await self.inner.handle_async_request(request)
        await response.aread()
        await response.aclose()
        assert response.status_code == 200  # the server really enqueued it
        self.dropped += 1
        if self.mode == "500-after":
            return _internal_server_error(request)
        if self.mode == "after-then-down":
            self.down = True
        if self.dropped % 2:
            raise httpx.ReadError("connection reset after the request was sent (test)", request=request)
        raise httpx.ReadTimeout("no reply in time (test)", request=request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _internal_server_error(request: httpx.Request) -> httpx.Response:
    """What uvicorn answers when a route raises: a text/plain 500."""
    return httpx.Response(
        500,
        text="Internal Server Error",
        headers={"content-type": "text/plain; charset=utf-8"},
        request=request,
    )


async def test_a_hundred_lost_replies_lose_and_double_nothing(clean: ServerInfo) -> None:
    faults = _LoseEnqueueReplies("after")
    async with (
        httpx.AsyncClient(transport=faults, timeout=60) as http,
        AsyncInvokeAI(clean.base_url, http_client=http) as ivk,
    ):
        await ivk.queue.pause()  # the items stay pending: only the counting matters here
        handles = [await ivk.queue.enqueue(math(a=n, b=1)) for n in range(TRIALS)]
        assert faults.dropped == TRIALS  # every reply was really lost
        items = await ivk.queue.list_all()
    per_batch = Counter(item.batch_id for item in items)
    lost = [h.batch_id for h in handles if per_batch[h.batch_id] == 0]
    doubled = [h.batch_id for h in handles if per_batch[h.batch_id] > 1]
    print(f"lost-reply trials: {TRIALS}, lost: {len(lost)}, doubled: {len(doubled)}")
    assert lost == [] and doubled == []
    assert len(items) == TRIALS and len(per_batch) == TRIALS
    # each handle holds exactly the item the server made for it
    by_batch = {item.batch_id: item.item_id for item in items}
    assert all(h.item_ids == [by_batch[h.batch_id]] for h in handles)
    assert all(h.origin and h.origin.startswith("invokeai-sdk:") for h in handles)


async def test_a_recovered_batch_runs_and_is_awaited_like_any_other(clean: ServerInfo) -> None:
    faults = _LoseEnqueueReplies("after")
    async with (
        httpx.AsyncClient(transport=faults, timeout=60) as http,
        AsyncInvokeAI(clean.base_url, http_client=http) as ivk,
    ):
        batch = await ivk.queue.enqueue(math(a=40, b=2), runs=3)
        assert len(batch) == 3
        assert await batch.wait(wait_timeout=60) == ["completed"] * 3
        assert [o["sum"][0]["value"] for o in await batch.outputs()] == [42] * 3


async def test_an_enqueue_that_never_arrived_raises_with_its_batch_id(clean: ServerInfo) -> None:
    async with (
        httpx.AsyncClient(transport=_LoseEnqueueReplies("before"), timeout=60) as http,
        AsyncInvokeAI(clean.base_url, http_client=http) as ivk,
    ):
        with pytest.raises(EnqueueError) as caught:
            await ivk.queue.enqueue(math())
        error = caught.value
        assert error.enqueued is False
        assert error.batch_id and error.batch_id in str(error)
        assert (await ivk.queue.batch_status(error.batch_id)).total == 0
        assert await ivk.queue.list_all() == []  # nothing on the server


async def test_a_lost_reply_with_the_server_gone_says_it_cannot_tell(clean: ServerInfo) -> None:
    faults = _LoseEnqueueReplies("after-then-down")
    async with (
        httpx.AsyncClient(transport=faults, timeout=60) as http,
        AsyncInvokeAI(clean.base_url, http_client=http, max_retries=0) as ivk,
    ):
        await ivk.queue.pause()
        with pytest.raises(EnqueueError) as caught:
            await ivk.queue.enqueue(math())
    error = caught.value
    assert error.enqueued is None  # the server could not be asked
    assert error.batch_id in str(error)
    # the marker finds the batch once the server is back: the caller can tell it did arrive
    async with AsyncInvokeAI(clean.base_url) as ivk:
        assert (await ivk.queue.batch_status(error.batch_id)).total == 1


async def test_a_500_after_the_batch_was_written_returns_its_handle(clean: ServerInfo) -> None:
    faults = _LoseEnqueueReplies("500-after")
    async with (
        httpx.AsyncClient(transport=faults, timeout=60) as http,
        AsyncInvokeAI(clean.base_url, http_client=http) as ivk,
    ):
        handles = [await ivk.queue.enqueue(math(a=n, b=2), runs=2) for n in range(3)]
        assert faults.dropped == 3  # every reply was really a 500
        assert [await h.wait(wait_timeout=60) for h in handles] == [["completed"] * 2] * 3
        assert [[o["sum"][0]["value"] for o in await h.outputs()] for h in handles] == [
            [2, 2],
            [3, 3],
            [4, 4],
        ]
        items = await ivk.queue.list_all()
    assert sorted(i.item_id for i in items) == sorted(i for h in handles for i in h.item_ids)
    assert all(len(h.item_ids) == 2 for h in handles)  # nothing doubled, nothing lost


async def test_a_500_for_a_batch_never_written_raises_and_says_so(clean: ServerInfo) -> None:
    async with (
        httpx.AsyncClient(transport=_LoseEnqueueReplies("500-before"), timeout=60) as http,
        AsyncInvokeAI(clean.base_url, http_client=http) as ivk,
    ):
        with pytest.raises(InternalServerError) as caught:
            await ivk.queue.enqueue(math())
        message = str(caught.value)
        assert caught.value.status_code == 500 and "Internal Server Error" in message
        assert "holds no item of it, so it was not enqueued" in message
        assert await ivk.queue.list_all() == []  # nothing on the server, nothing sent twice
