"""Public methods no other test ran, each on the real server (issue 13).

Where the server here (CPU-only, offline, no model weights) cannot do the whole thing, the test
proves everything up to that point on the real server and says why; the rest is covered by respx
tests in ``tests/unit``.
"""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from invokeai_sdk import (
    AsyncInvokeAI,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    JobCanceledError,
    NotFoundError,
)
from invokeai_sdk.events import Event, QueueItemsCanceledEvent, QueueItemStatusChangedEvent
from invokeai_sdk.resources.model_install import InstallJob
from invokeai_sdk.types.models import BaseModelType, HFTokenStatus, InstallStatus, ModelType

from ..conftest import ServerInfo
from ._graphs import math
from .test_models import blocked_installer, write_safetensors

SHIPPED = Path(__file__).resolve().parents[2] / "workflows"


def _statuses(events: list[Event], item_id: int) -> list[str]:
    return [
        str(e.status) for e in events if isinstance(e, QueueItemStatusChangedEvent) and e.item_id == item_id
    ]


async def test_batch_events_follow_every_item_to_its_end_and_cancel_stops_the_rest(
    ivk: AsyncInvokeAI,
) -> None:
    await ivk.queue.pause()
    batch = await ivk.queue.enqueue(math(), runs=3)
    seen: list[Event] = []

    async def follow() -> None:
        async for event in batch.events():
            seen.append(event)

    with anyio.fail_after(60):
        async with anyio.create_task_group() as tg:
            tg.start_soon(follow)
            await anyio.sleep(0.5)  # subscribed
            await ivk.queue.resume()
    # the stream ended by itself once every item was terminal
    for item_id in batch.item_ids:
        assert _statuses(seen, item_id)[-1] == "completed"
    assert {e.batch_id for e in seen if isinstance(e, QueueItemStatusChangedEvent)} == {batch.batch_id}

    await ivk.queue.pause()
    second = await ivk.queue.enqueue(math(), runs=2)
    assert await second.cancel() == 2
    with pytest.raises(JobCanceledError):
        await second.wait(wait_timeout=30)
    assert [item.status for item in await second.results()] == ["canceled", "canceled"]
    with anyio.fail_after(10):
        assert [e async for e in second.events()] == []  # already over: ends at once
    assert await second.cancel() == 0  # nothing left to cancel


async def test_workflow_job_events_and_cancel_and_run_cancel(ivk: AsyncInvokeAI) -> None:
    await ivk.queue.pause()
    run = await ivk.workflows.run(str(SHIPPED / "blur-to-board.json"), board="none", runs=3)
    first, second, third = run
    seen: list[Event] = []

    async def follow() -> None:
        async for event in first.events():
            seen.append(event)

    with anyio.fail_after(60):
        async with anyio.create_task_group() as tg:
            tg.start_soon(follow)
            await anyio.sleep(0.5)  # subscribed
            await second.cancel()  # one job of the run
            assert (await second.result()).status == "canceled"
            assert await run.cancel() == 2  # the rest of the run: the first and the third
    # the job's stream ended on the batch cancel's bulk event, which names it
    assert isinstance(seen[-1], QueueItemsCanceledEvent), seen
    assert first.item_id in seen[-1].canceled_item_ids
    assert all(getattr(e, "item_id", None) in (None, first.item_id) for e in seen)
    with pytest.raises(JobCanceledError):
        await run.wait(wait_timeout=30)
    assert [item.status for item in await run.results()] == ["canceled"] * 3
    assert (await third.result()).status == "canceled"


async def test_install_job_pause_and_resume(ivk: AsyncInvokeAI, tmp_path: Path) -> None:
    # Pausing and resuming are for downloads (URL / Hugging Face sources). This offline test server
    # refuses loopback URLs (its SSRF guard) and has no network, so no download can be paused here:
    # the pause is proven on a local install waiting behind a busy installer; the resume of a real
    # download is covered by respx (tests/unit/test_hardening.py).
    source = write_safetensors(tmp_path / "paused.safetensors")
    async with blocked_installer(ivk, tmp_path) as _blocker:
        job = await ivk.models.install(str(source), inplace=True)
        assert job.status == InstallStatus.WAITING
        await job.pause()
        assert (await job.refresh()).status == InstallStatus.PAUSED
        # The server's resume only knows downloads: for a local source it fails with its own 500,
        # which arrives typed, with the server's text.
        with pytest.raises(InternalServerError):
            await job.resume()
        await job.cancel()
    unknown = InstallJob(ivk.models, job.info.model_copy(update={"id": 987_654}))
    with pytest.raises(NotFoundError):  # the server's 415 "no such job", mapped
        await unknown.pause()
    with pytest.raises(NotFoundError):
        await unknown.resume()


async def test_reidentify_convert_and_hf_login_on_the_real_server(ivk: AsyncInvokeAI, tmp_path: Path) -> None:
    source = write_safetensors(tmp_path / "probe-model.safetensors")
    model = (await (await ivk.models.install(str(source), inplace=True)).wait(wait_timeout=60)).model
    assert model is not None

    again = await ivk.models.reidentify(model.key)  # the server probes the files again
    assert again.key == model.key and again.name == model.name and again.path == model.path
    assert again.base == BaseModelType.UNKNOWN and again.type == ModelType.UNKNOWN
    with pytest.raises(NotFoundError):
        await ivk.models.reidentify("no-such-model-key")

    # A real conversion needs an SD1/SD2/SDXL checkpoint (gigabytes, not available here): the server
    # refuses anything else with a typed 400 that names the model, and leaves the model as it was.
    # The success path (the new model's config) and the never-resent rule are covered by respx.
    with pytest.raises(BadRequestError, match="not a main SD"):
        await ivk.models.convert(model.key)
    assert (await ivk.models.get(model.key)).path == model.path

    # The server is offline (HF_HUB_OFFLINE): a token cannot be checked with Hugging Face, so the
    # server answers "invalid" (a status, not an error); a token it accepts needs the network and
    # is covered by respx. Logging out then leaves no token.
    assert await ivk.models.hf.login("hf_not_a_real_token") is HFTokenStatus.INVALID
    assert await ivk.models.hf.status() is HFTokenStatus.INVALID
    assert await ivk.models.hf.logout() is HFTokenStatus.INVALID
    assert await ivk.models.hf.status() is HFTokenStatus.INVALID
    await ivk.models.delete(model.key)


async def test_logout_on_a_single_user_server_is_the_servers_answer(ivk: AsyncInvokeAI) -> None:
    # A single-user server has no session to end: it answers 401, typed; the session still works.
    with pytest.raises(AuthenticationError):
        await ivk.auth.logout()
    assert ivk._transport.credentials.token is None
    assert (await ivk.queue.status()).queue.total == 0


@pytest.mark.multiuser
async def test_logout_on_a_multi_user_server_forgets_the_session(multiuser_server: ServerInfo) -> None:
    assert multiuser_server.admin_email and multiuser_server.admin_password
    async with AsyncInvokeAI(multiuser_server.base_url) as ivk:
        await ivk.auth.login(multiuser_server.admin_email, multiuser_server.admin_password)
        assert (await ivk.auth.me()).email == multiuser_server.admin_email
        await ivk.auth.logout()
        creds = ivk._transport.credentials
        assert creds.token is None and creds.password is None
        with pytest.raises(AuthenticationError):  # no token, and no password to log in again
            await ivk.auth.me()


async def test_openapi_prepare_and_bind_models_called_directly(ivk: AsyncInvokeAI) -> None:
    document = await ivk.app.openapi()
    assert "/api/v1/queue/{queue_id}/enqueue_batch" in document["paths"]
    doc = await ivk.workflows.prepare(str(SHIPPED / "blur-to-board.json"))
    assert doc.pending == {} and doc.schemas is not None
    assert await ivk.workflows.bind_models(doc) == []  # a model-free workflow: nothing to re-point
