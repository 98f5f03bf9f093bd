"""``ivk.events`` against the real server: typed events, filters, rooms, reconnects."""

from __future__ import annotations

import anyio

from invokeai_sdk import AsyncInvokeAI
from invokeai_sdk.events import (
    BatchEnqueuedEvent,
    BulkDownloadCompleteEvent,
    InvocationCompleteEvent,
    InvocationProgressEvent,
    InvocationStartedEvent,
    QueueClearedEvent,
    QueueItemStatusChangedEvent,
    ReconnectedEvent,
)
from invokeai_sdk.events._connection import get_connection

from ._graphs import image_to_board, math, slow_chain


async def test_typed_events_of_one_job_in_order(ivk: AsyncInvokeAI) -> None:
    async with ivk.events.subscribe() as stream:
        batch = await ivk.queue.enqueue(math())
        seen = []
        with anyio.fail_after(30):
            async for event in stream:
                if getattr(event, "item_id", None) not in (None, batch.item_ids[0]):
                    continue
                seen.append(event)
                if isinstance(event, QueueItemStatusChangedEvent) and event.status == "completed":
                    break
    kinds = [type(e) for e in seen]
    assert BatchEnqueuedEvent in kinds
    assert kinds.count(InvocationStartedEvent) == 4
    completes = [e for e in seen if isinstance(e, InvocationCompleteEvent)]
    assert {e.invocation_source_id: (e.result or {}).get("value") for e in completes}["sum"] == 42
    statuses = [e.status for e in seen if isinstance(e, QueueItemStatusChangedEvent)]
    assert statuses == ["in_progress", "completed"]


async def test_filters_by_type_item_and_origin(ivk: AsyncInvokeAI) -> None:
    await ivk.queue.pause()
    async with (
        ivk.events.subscribe(types=[QueueItemStatusChangedEvent], origin="mine") as mine,
        ivk.events.subscribe(types=["queue_item_status_changed"]) as everything,
    ):
        other = await ivk.queue.enqueue(math(), origin="theirs")
        own = await ivk.queue.enqueue(math(), origin="mine")
        await ivk.queue.resume()
        await own.wait(wait_timeout=30)
        await other.wait(wait_timeout=30)
        with anyio.fail_after(10):
            got = [await anext(mine), await anext(mine)]
            all_events = [await anext(everything) for _ in range(4)]
    assert {e.item_id for e in got} == set(own.item_ids)  # type: ignore[attr-defined]
    assert {e.item_id for e in all_events} == set(own.item_ids + other.item_ids)  # type: ignore[attr-defined]


async def test_queue_room_joined_before_subscribe_returns(ivk: AsyncInvokeAI) -> None:
    # queue_cleared goes to the queue room only: it arrives only if the room was joined in time
    async with ivk.events.subscribe(types=[QueueClearedEvent]) as stream:
        await ivk.queue.clear()
        with anyio.fail_after(10):
            event = await anext(stream)
    assert isinstance(event, QueueClearedEvent) and event.queue_id == "default"


async def test_reconnect_mid_job_marker_rooms_rejoined_and_wait_settles(ivk: AsyncInvokeAI) -> None:
    conn = get_connection(ivk)
    kinds = [ReconnectedEvent, InvocationCompleteEvent, QueueItemStatusChangedEvent, QueueClearedEvent]
    async with ivk.events.subscribe(types=kinds) as stream:
        batch = await ivk.queue.enqueue(slow_chain(blurs=24))  # ~10 s of model-free work
        (item_id,) = batch.item_ids
        with anyio.fail_after(60):
            async for event in stream:  # until the job is really running
                if isinstance(event, InvocationCompleteEvent) and event.item_id == item_id:
                    break
        await conn.drop_transport()  # the network drops under the client, mid-job
        with anyio.fail_after(20):
            async for event in stream:
                if isinstance(event, ReconnectedEvent):
                    break
        assert ivk.events.reconnects == 1 and ivk.events.connected
        after = []
        with anyio.fail_after(60):
            async for event in stream:  # the job's events keep coming after the reconnect
                after.append(event)
                if (
                    isinstance(event, QueueItemStatusChangedEvent)
                    and event.item_id == item_id
                    and (event.status in ("completed", "failed", "canceled"))
                ):
                    break
        assert any(isinstance(e, InvocationCompleteEvent) and e.item_id == item_id for e in after)
        assert after[-1].status == "completed"  # type: ignore[attr-defined]
        assert await batch.wait(wait_timeout=30) == ["completed"]
        # queue_cleared goes to the queue room only: it arrives only because the re-join (sent with
        # an acknowledgement, before the marker) really happened
        await ivk.queue.clear()
        with anyio.fail_after(10):
            assert isinstance(await anext(stream), QueueClearedEvent)


async def test_one_socket_shared_by_with_options_copies(ivk: AsyncInvokeAI) -> None:
    copy = ivk.with_options(timeout=5)
    async with ivk.events.subscribe() as _, copy.events.subscribe() as _:
        assert get_connection(copy) is get_connection(ivk)
        assert ivk.events.connected
    await ivk.aclose()
    assert not get_connection(ivk).connected


async def test_bulk_download_room_and_progress_events(ivk: AsyncInvokeAI) -> None:
    batch = await ivk.queue.enqueue(image_to_board())
    job = batch.jobs[0]
    progress = [event async for event in job.progress()]
    assert progress and all(isinstance(e, InvocationProgressEvent) for e in progress)
    assert progress[0].message == "Saving image" and progress[0].item_id == job.item_id
    names = await job.images()
    async with ivk.events.subscribe(
        queue_id=None, types=[BulkDownloadCompleteEvent], bulk_downloads=True
    ) as s:
        # sent only to the bulk-download room: it arrives only because the room was joined
        response = await ivk.app._request("POST", "/api/v1/images/download", json={"image_names": names})
        assert response.status_code == 202
        with anyio.fail_after(20):
            event = await anext(s)
    assert isinstance(event, BulkDownloadCompleteEvent)
    assert event.bulk_download_item_name == response.json()["bulk_download_item_name"]
