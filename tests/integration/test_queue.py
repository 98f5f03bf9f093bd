"""Every ``ivk.queue`` verb against the real server."""

from __future__ import annotations

import anyio
import pytest

from invokeai_sdk import AsyncInvokeAI, BatchDataError, JobCanceledError, JobFailedError, ValidationError
from invokeai_sdk.events import QueueItemsCanceledEvent

from ._graphs import batch_runs3_data, fail_missing_image, math


async def test_status_get_list_current_next_batch_status(ivk: AsyncInvokeAI) -> None:
    await ivk.queue.pause()
    assert (await ivk.queue.status()).processor.is_started is False
    first = await ivk.queue.enqueue(math(), destination="dest-a")
    second = await ivk.queue.enqueue(math(a=1), destination="dest-b", prepend=True)
    status = await ivk.queue.status()
    assert status.queue.pending == 2
    assert (await ivk.queue.current()) is None
    nxt = await ivk.queue.next()
    assert nxt is not None and nxt.item_id == second.item_ids[0]  # prepended
    item = await ivk.queue.get(first.item_ids[0])
    assert item.status == "pending" and item.destination == "dest-a"
    assert item.origin is not None and item.origin.startswith("invokeai-sdk:")
    assert item.origin != (await ivk.queue.get(second.item_ids[0])).origin
    page = await ivk.queue.list(limit=1)
    assert len(page) == 1 and page.total == 2 and page.has_next_page()
    every = await ivk.queue.list(limit=1).to_list()
    assert [i.item_id for i in every] == sorted(first.item_ids + second.item_ids, reverse=True)
    only_a = await ivk.queue.list(destination="dest-a").to_list()
    assert [i.item_id for i in only_a] == first.item_ids
    assert [i.item_id for i in await ivk.queue.list(status="pending", order="asc").to_list()] == sorted(
        first.item_ids + second.item_ids
    )
    counts = await ivk.queue.counts_by_destination("dest-b")
    assert counts.pending == 1 and counts.total == 1
    bstatus = await ivk.queue.batch_status(first.batch_id)
    assert bstatus.pending == 1 and bstatus.destination == "dest-a"
    assert len(await ivk.queue.list_all(destination="dest-a")) == 1
    assert (await ivk.queue.resume()).is_started is True
    await first.wait(wait_timeout=60)
    await second.wait(wait_timeout=60)
    assert (await ivk.queue.batch_status(first.batch_id)).completed == 1


async def test_batch_item_ids_reads_a_batch_back_from_the_queue(ivk: AsyncInvokeAI) -> None:
    await ivk.queue.pause()
    other = await ivk.queue.enqueue(math(a=2))
    batch = await ivk.queue.enqueue(math(), runs=3)
    assert len(batch.item_ids) == 3
    assert await ivk.queue.batch_item_ids(batch.batch_id) == batch.item_ids
    assert await ivk.queue.batch_item_ids(other.batch_id) == other.item_ids
    assert await ivk.queue.batch_item_ids("no-such-batch") == []


async def test_cancel_and_delete_verbs(ivk: AsyncInvokeAI) -> None:
    await ivk.queue.pause()
    a = await ivk.queue.enqueue(math(), destination="d1")
    b = await ivk.queue.enqueue(math(), destination="d2")
    c = await ivk.queue.enqueue(math(), destination="d3")
    d = await ivk.queue.enqueue(math(), destination="d4")
    e = await ivk.queue.enqueue(math(), destination="d5")
    assert (await ivk.queue.cancel(a.item_ids[0])).status == "canceled"
    with pytest.raises(JobCanceledError):
        await a.wait(wait_timeout=10)
    async with ivk.events.subscribe(types=[QueueItemsCanceledEvent]) as stream:
        assert await ivk.queue.cancel_batches([b.batch_id]) == 1
        with anyio.fail_after(30):  # servers before 6.14 send no such event: fail, never hang
            event = await anext(stream)
        assert isinstance(event, QueueItemsCanceledEvent) and event.canceled_item_ids == b.item_ids
    with pytest.raises(JobCanceledError):
        await b.wait(wait_timeout=10)  # bulk cancels send no status event: the bulk event settles it
    assert await ivk.queue.cancel_destination("d3") == 1
    assert (await ivk.queue.get(c.item_ids[0])).status == "canceled"
    assert await ivk.queue.delete_destination("d4") == 1
    assert await ivk.queue.items_by_ids(d.item_ids) == []
    await ivk.queue.delete(e.item_ids[0])
    assert await ivk.queue.items_by_ids(e.item_ids) == []
    assert await ivk.queue.prune() == 3  # a, b, c
    assert (await ivk.queue.status()).queue.total == 0
    f = await ivk.queue.enqueue(math())
    g = await ivk.queue.enqueue(math())
    assert await ivk.queue.cancel_all_except_current() == 2
    assert {i.status for i in await ivk.queue.items_by_ids(f.item_ids + g.item_ids)} == {"canceled"}
    h = await ivk.queue.enqueue(math())
    assert await ivk.queue.delete_all_except_current() >= 1
    assert await ivk.queue.items_by_ids(h.item_ids) == []
    await ivk.queue.enqueue(math())
    assert await ivk.queue.clear() >= 1
    assert (await ivk.queue.status()).queue.total == 0


async def test_retry_failed_item(ivk: AsyncInvokeAI) -> None:
    batch = await ivk.queue.enqueue(fail_missing_image())
    with pytest.raises(JobFailedError, match="ImageRecordNotFound"):
        await batch.wait(wait_timeout=60)
    result = await ivk.queue.retry(batch.item_ids)
    assert result.retried_item_ids == batch.item_ids
    items = await ivk.queue.list(batch_id=batch.batch_id).to_list()
    assert len(items) == 2  # the original and its retry


async def test_wrong_batch_data_type_is_refused_and_queue_stays_empty(ivk: AsyncInvokeAI) -> None:
    bad = batch_runs3_data()
    bad["data"][0][0]["items"] = [32, "forty-eight"]  # a string into blank_image.width (an integer)
    with pytest.raises(BatchDataError) as info:
        await ivk.queue.enqueue(bad)
    message = str(info.value)
    assert "'blank'" in message and "'width'" in message and "item 1" in message
    unknown = batch_runs3_data()
    unknown["data"][1][0]["field_name"] = "nope"
    with pytest.raises(BatchDataError, match="no such input field"):
        await ivk.queue.enqueue(unknown)
    with pytest.raises(ValidationError):
        await ivk.queue.enqueue(math(), runs=0)
    status = await ivk.queue.status()
    assert status.queue.total == 0
