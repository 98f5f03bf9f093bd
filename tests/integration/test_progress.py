"""Progress of long work, as documented: job, batch and workflow-run progress events (real server)."""

from __future__ import annotations

from pathlib import Path

import anyio
from PIL import Image

from invokeai_sdk import AsyncInvokeAI
from invokeai_sdk.events import InvocationProgressEvent
from invokeai_sdk.workflows import bundled_workflow


async def test_run_batch_and_job_progress_cover_every_item(ivk: AsyncInvokeAI) -> None:
    await ivk.queue.pause()
    try:
        wf = await ivk.workflows.load(bundled_workflow("blur-to-board"))
        run = await ivk.workflows.run(wf, sweep={"Blur Radius": [1, 2]})
        by_run: list[InvocationProgressEvent] = []
        by_job: list[InvocationProgressEvent] = []

        async def follow_run() -> None:
            by_run.extend([event async for event in run.progress()])

        async def follow_job() -> None:
            by_job.extend([event async for event in run[1].progress()])

        # The event socket is open before the streams start, so their rooms are joined within a moment.
        async with ivk.events.subscribe(queue_id="default"), anyio.create_task_group() as group:
            group.start_soon(follow_run)
            group.start_soon(follow_job)
            await anyio.sleep(2.0)  # both streams subscribed while the queue is paused
            await ivk.queue.resume()
    finally:
        await ivk.queue.resume()
    assert await run.wait(wait_timeout=120) == ["completed", "completed"]
    assert by_run and all(isinstance(event, InvocationProgressEvent) for event in by_run)
    assert {event.item_id for event in by_run} == set(run.item_ids)
    assert {event.item_id for event in by_job} == {run.item_ids[1]}
    assert "save" in {event.invocation_source_id for event in by_run}  # save_image reports progress
    assert all(event.message for event in by_run)


async def test_download_progress_reports_bytes_up_to_the_file_size(
    ivk: AsyncInvokeAI, tmp_path: Path
) -> None:
    picture = Image.effect_noise((512, 512), 64).convert("RGB")  # noise: does not compress to a few bytes
    image = await ivk.images.upload(picture)
    seen: list[tuple[int, int | None]] = []
    path = await ivk.images.download_to(
        image.image_name, f"{tmp_path}/out/", on_progress=lambda done, total: seen.append((done, total))
    )
    size = path.stat().st_size
    assert seen and seen[-1] == (size, size)  # the server announces the length
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
