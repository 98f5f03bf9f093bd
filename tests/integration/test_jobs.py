"""Job handles against the real server: wait, outputs, images, failures, cancels, many waiters."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from invokeai_sdk import AsyncInvokeAI, JobCanceledError, JobFailedError, ValidationError, WaitTimeoutError
from invokeai_sdk._job_watcher import get_watcher
from invokeai_sdk.events import InvocationCompleteEvent, QueueItemStatusChangedEvent
from invokeai_sdk.events._connection import EventConnection

from ._graphs import batch_runs3_data, fail_missing_image, image_to_board, math, slow_chain


async def test_image_to_board_output_found_and_downloadable(ivk: AsyncInvokeAI, tmp_path: Path) -> None:
    board = await ivk.boards.create("jobs-board")
    batch = await ivk.queue.enqueue(image_to_board(board.board_id))
    job = batch.jobs[0]
    assert await job.wait(wait_timeout=60) == "completed"
    names = await job.images()
    assert len(names) == 1
    dto = await ivk.images.get(names[0])
    assert dto.board_id == board.board_id
    assert dto.width == 64
    outputs = await job.outputs()
    assert outputs["save"][0]["image"]["image_name"] == names[0]
    paths = await job.download_images(tmp_path / "out")
    assert [p.name for p in paths] == names
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(await job.images(include_intermediate=True)) == 3


async def test_missing_image_raises_job_failed(ivk: AsyncInvokeAI) -> None:
    batch = await ivk.queue.enqueue(fail_missing_image())
    with pytest.raises(JobFailedError) as info:
        await batch.jobs[0].wait(wait_timeout=60)
    assert info.value.error_type == "ImageRecordNotFoundException"
    assert info.value.error_message
    assert "Traceback" in (info.value.error_traceback or "")
    assert info.value.item_id == batch.item_ids[0]
    with pytest.raises(JobFailedError):
        await batch.wait(wait_timeout=10)


async def test_batch_with_data_and_runs_3_gives_12_items_with_outputs(ivk: AsyncInvokeAI) -> None:
    batch = await ivk.queue.enqueue(batch_runs3_data())
    assert len(batch) == 12
    assert batch.origin == "sdk-batch"
    assert await batch.wait(wait_timeout=120) == ["completed"] * 12
    outputs = await batch.outputs()
    assert len(outputs) == 12
    sizes = sorted((o["save"][0]["width"], o["save"][0]["height"]) for o in outputs)
    assert sizes == sorted([(32, 16)] * 6 + [(48, 24)] * 6)
    labels = sorted(o["label"][0]["value"] for o in outputs)
    assert labels == ["x"] * 6 + ["y"] * 6
    status = await batch.status()
    assert status.completed == 12 and status.is_done


async def test_slow_chain_canceled_mid_run(ivk: AsyncInvokeAI) -> None:
    async with ivk.events.subscribe(types=[InvocationCompleteEvent]) as stream:
        batch = await ivk.queue.enqueue(slow_chain())
        job = batch.jobs[0]
        with anyio.fail_after(60):
            first = await anext(stream)  # the first node finished: the job is mid-run
        assert isinstance(first, InvocationCompleteEvent) and first.item_id == job.item_id
    current = await ivk.queue.current()
    assert current is not None and current.item_id == job.item_id and current.status == "in_progress"
    await job.cancel()
    with pytest.raises(JobCanceledError):
        await job.wait(wait_timeout=60)
    assert (await job.result()).status == "canceled"


async def test_wait_timeout_cancels_when_asked(ivk: AsyncInvokeAI) -> None:
    batch = await ivk.queue.enqueue(slow_chain(20))
    with pytest.raises(WaitTimeoutError):
        await batch.jobs[0].wait(wait_timeout=0.5, cancel_on_timeout=True)
    with pytest.raises(JobCanceledError):
        await batch.jobs[0].wait(wait_timeout=60)


async def test_finished_job_returns_immediately(ivk: AsyncInvokeAI) -> None:
    batch = await ivk.queue.enqueue(math())
    job = batch.jobs[0]
    for _ in range(100):
        if (await ivk.queue.get(job.item_id)).status == "completed":
            break
        await anyio.sleep(0.1)
    # a fresh session never saw this job's events: wait() must reconcile through REST at once
    async with AsyncInvokeAI(str(ivk.base_url)) as other:
        from invokeai_sdk.jobs import JobHandle

        with anyio.fail_after(2):
            assert await JobHandle(other, job.item_id).wait() == "completed"
    with anyio.fail_after(1):
        assert await job.wait() == "completed"
    assert (await job.outputs())["sum"][0]["value"] == 42


async def test_fifty_jobs_awaited_concurrently_share_one_socket(ivk: AsyncInvokeAI) -> None:
    batches = [await ivk.queue.enqueue(math(a=n, b=1000)) for n in range(50)]
    results: dict[int, str] = {}

    async def wait_one(n: int) -> None:
        results[n] = await batches[n].jobs[0].wait(wait_timeout=180)

    async with anyio.create_task_group() as tg:
        for n in range(50):
            tg.start_soon(wait_one, n)
    assert results == dict.fromkeys(range(50), "completed")
    for n in range(50):
        assert (await batches[n].jobs[0].outputs())["sum"][0]["value"] == n + 1000
    connections = [kind for kind, _ in ivk.session._services if kind is EventConnection]
    assert connections == [EventConnection]  # one socket for the 50 waits
    watcher = get_watcher(ivk, "default")
    assert watcher.listening
    # one shared poll per second at most, never one poller per job
    assert watcher.polls < 50 + 60


async def test_job_events_stream_ends_on_terminal_status(ivk: AsyncInvokeAI) -> None:
    await ivk.queue.pause()
    batch = await ivk.queue.enqueue(math())
    job = batch.jobs[0]
    seen: list[str] = []

    async def follow() -> None:
        async for event in job.events():
            seen.append(event.event_name)

    async with anyio.create_task_group() as tg:
        tg.start_soon(follow)
        await anyio.sleep(0.3)
        await ivk.queue.resume()
    assert seen[-1] == QueueItemStatusChangedEvent.event_name
    assert "invocation_complete" in seen
    with anyio.fail_after(2):
        assert [e async for e in job.events()] == []  # already finished: ends at once


async def test_run_returns_outputs(ivk: AsyncInvokeAI) -> None:
    outputs = await ivk.queue.run(math(a=5, b=6), wait_timeout=60)
    assert outputs["sum"][0]["value"] == 11
    assert outputs["s"][0]["value"] == "hello"


async def test_run_cancels_its_item_when_the_wait_times_out(ivk: AsyncInvokeAI) -> None:
    with pytest.raises(WaitTimeoutError):
        await ivk.queue.run(slow_chain(20), wait_timeout=0.5)
    (item,) = await ivk.queue.list_all()
    assert item.status in ("canceled", "completed")  # canceled, unless it beat the cancel
    assert (await ivk.queue.status()).queue.in_progress == 0
    with pytest.raises(ValidationError):
        await ivk.queue.run(batch_runs3_data())  # several items: that is enqueue()'s job
    assert len(await ivk.queue.list_all()) == 1  # nothing more was sent


async def test_batch_images_and_download_images_cover_every_item(ivk: AsyncInvokeAI, tmp_path: Path) -> None:
    board = await ivk.boards.create("batch images")
    batch = await ivk.queue.enqueue(image_to_board(board.board_id), runs=3)
    assert await batch.wait(wait_timeout=60) == ["completed"] * 3
    names = await batch.images()
    assert len(names) == 3 and len(set(names)) == 3
    assert sorted(names) == sorted(await ivk.boards.image_names(board))
    paths = await batch.download_images(tmp_path / "out")
    assert [p.name for p in paths] == names
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in paths)
    assert [job.item_id for job in batch] == batch.item_ids
