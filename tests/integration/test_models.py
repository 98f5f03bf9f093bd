"""``ivk.models`` against the real server: install a tiny local model and manage it."""

from __future__ import annotations

import errno
import json
import os
import struct
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest

from invokeai_sdk import (
    AsyncInvokeAI,
    ConflictError,
    InstallCanceledError,
    InstallFailedError,
    InvalidModelSourceError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from invokeai_sdk.events import ModelInstallCompleteEvent
from invokeai_sdk.types.models import (
    BaseModelType,
    HFTokenStatus,
    InstallProgress,
    InstallStatus,
    ModelCacheStats,
    ModelFormat,
    ModelType,
)

from ..conftest import ServerInfo


def write_safetensors(path: Path, tensor_name: str = "weight") -> Path:
    """A valid, tiny .safetensors file: 8-byte little-endian header length, JSON header, tensor bytes."""
    data = struct.pack("<4f", 1.0, 2.0, 3.0, 4.0)
    header = json.dumps({tensor_name: {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, len(data)]}})
    raw = header.encode() + b" " * (-len(header) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return path


async def test_install_in_place_then_find_update_and_delete(ivk: AsyncInvokeAI, tmp_path: Path) -> None:
    source = write_safetensors(tmp_path / "tiny-model.safetensors")

    job = await ivk.models.install(str(source), inplace=True)
    assert job.id >= 0 and job.source == str(source)
    snapshots: list[InstallProgress] = []
    result = await job.wait(wait_timeout=60, on_progress=snapshots.append)
    assert snapshots and str(snapshots[-1].status) == "completed" and snapshots[-1].fraction == 1.0
    assert result.already_installed is False
    assert job.status == InstallStatus.COMPLETED
    model = result.model
    assert model is not None and model.name == "tiny-model"
    # A tiny tensor is not a model the server recognises: recorded as "unknown", an enum member here.
    assert model.base == BaseModelType.UNKNOWN and model.type is ModelType.UNKNOWN
    assert model.format == ModelFormat.UNKNOWN and model.path == str(source)
    assert (await job.progress()).fraction == 1.0

    listed = await ivk.models.list()
    assert [m.key for m in listed] == [model.key] and listed.total == 1
    assert [m.key async for m in ivk.models.list(type=ModelType.UNKNOWN, base=[BaseModelType.UNKNOWN])] == [
        model.key
    ]
    assert (await ivk.models.list(type="main")).items == []
    assert (await ivk.models.list(base=["sdxl", "flux"])).items == []
    assert [m.key for m in await ivk.models.list(name="tiny-model")] == [model.key]

    assert (await ivk.models.get(model.key)).hash == model.hash
    by_attrs = await ivk.models.get_by_attrs("tiny-model", base=BaseModelType.UNKNOWN, type="unknown")
    assert by_attrs.key == model.key
    assert (
        await ivk.models.get_by_attrs("tiny-model", BaseModelType.UNKNOWN, ModelType.UNKNOWN)
    ).key == model.key
    assert model.hash and (await ivk.models.get_by_hash(model.hash)).key == model.key

    found = await ivk.models.scan_folder(str(tmp_path))
    assert [(f.path, f.is_installed) for f in found] == [(str(source), True)]

    updated = await ivk.models.update(model.key, name="renamed-tiny", description="a test model")
    assert updated.name == "renamed-tiny" and updated.description == "a test model"
    assert (await ivk.models.get(model.key)).name == "renamed-tiny"
    with pytest.raises(NotFoundError):
        await ivk.models.get_by_attrs("tiny-model", base="unknown", type="unknown")

    jobs = await ivk.models.install_jobs()
    assert job.id in [j.id for j in jobs]
    assert (await ivk.models.get_install_job(job.id)).status == InstallStatus.COMPLETED

    await ivk.models.delete(model.key)
    with pytest.raises(NotFoundError):
        await ivk.models.get(model.key)
    assert (await ivk.models.list()).items == []
    assert source.exists()  # in-place models keep their files

    await ivk.models.prune_install_jobs()
    assert await ivk.models.install_jobs() == []
    with pytest.raises(NotFoundError):
        await ivk.models.get_install_job(job.id)


async def test_installing_again_reports_already_installed(ivk: AsyncInvokeAI, tmp_path: Path) -> None:
    source = write_safetensors(tmp_path / "twice.safetensors")
    first = await (await ivk.models.install(str(source), inplace=True)).wait(wait_timeout=60)
    assert first.model is not None

    again = await ivk.models.install(str(source), inplace=True)
    result = await again.wait(wait_timeout=60)
    assert result.already_installed is True and again.already_installed is True
    assert result.job.error_reason == "DuplicateModelException"
    assert result.model is not None and result.model.key == first.model.key
    assert len((await ivk.models.list()).items) == 1


async def test_missing_source_is_a_typed_error(ivk: AsyncInvokeAI, tmp_path: Path) -> None:
    with pytest.raises(InvalidModelSourceError) as info:
        await ivk.models.install(str(tmp_path / "no-such-model.safetensors"), inplace=True)
    assert isinstance(info.value, ConflictError) and info.value.status_code == 409
    assert "Unsupported model source" in str(info.value.detail)


async def test_failed_install_raises_with_the_server_reason(ivk: AsyncInvokeAI, tmp_path: Path) -> None:
    not_a_model = tmp_path / "notes.txt"
    not_a_model.write_text("not a model")
    job = await ivk.models.install(str(not_a_model), inplace=True)
    with pytest.raises(InstallFailedError) as info:
        await job.wait(wait_timeout=60)
    assert info.value.job_id == job.id and info.value.source == str(not_a_model)
    assert info.value.error_reason == "ValueError"
    assert info.value.error and "not a recognized model format" in info.value.error
    assert job.status == InstallStatus.ERROR and not job.already_installed
    assert (await ivk.models.list()).items == []


async def test_bulk_delete_missing_files_and_bad_updates(ivk: AsyncInvokeAI, tmp_path: Path) -> None:
    keys = []
    for name in ("one", "two"):
        result = await (
            await ivk.models.install(str(write_safetensors(tmp_path / f"{name}.safetensors")), inplace=True)
        ).wait(wait_timeout=60)
        assert result.model is not None
        keys.append(result.model.key)
    assert {m.name for m in await ivk.models.list(order_by="name")} == {"one", "two"}

    (tmp_path / "two.safetensors").unlink()
    assert [m.key for m in await ivk.models.missing()] == [keys[1]]

    with pytest.raises(NotFoundError):
        await ivk.models.update("no-such-key", name="x")
    with pytest.raises(ValidationError, match="at least one field"):
        await ivk.models.update(keys[0])
    with pytest.raises(ValidationError, match="not_a_field"):
        await ivk.models.update(keys[0], changes={"not_a_field": 1})

    outcome = await ivk.models.delete_many([*keys, "no-such-key"])
    assert sorted(outcome.deleted) == sorted(keys)
    assert [f.key for f in outcome.failed] == ["no-such-key"] and outcome.failed[0].error
    assert (await ivk.models.list()).items == []


async def test_cache_starter_models_and_hf_token_status(ivk: AsyncInvokeAI) -> None:
    stats = await ivk.models.stats()
    assert stats is None or isinstance(stats, ModelCacheStats)  # None until a model was loaded
    await ivk.models.empty_cache()
    starters = await ivk.models.starter_models()
    assert starters.starter_models and all(s.source and s.name for s in starters.starter_models)
    assert any(s.base == BaseModelType.FLUX for s in starters.starter_models)
    assert not any(s.is_installed for s in starters.starter_models)
    assert starters.starter_bundles
    # The test server has no Hugging Face token, so it answers without asking Hugging Face (this
    # works offline): "invalid". Only a stored token is checked online ("unknown" when offline).
    assert await ivk.models.hf.status() is HFTokenStatus.INVALID


class BlockedInstaller:
    """Holds the server's one install thread on a model folder whose ``config.json`` is a FIFO.

    The server installs jobs one at a time; while it reads the FIFO, every later job waits. Feeding
    the FIFO lets it go on (that folder itself then fails: it holds no model).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.fifo = folder / "config.json"
        self._stop = threading.Event()
        self._feeder: threading.Thread | None = None

    def release(self) -> None:
        """Answer every read of the FIFO from now on (until :meth:`close`)."""
        if self._feeder is None:
            self._feeder = threading.Thread(target=self._feed, daemon=True)
            self._feeder.start()

    def _feed(self) -> None:
        while not self._stop.is_set():
            try:
                fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:  # ENXIO: nobody reads it right now; anything else: it is gone
                if exc.errno != errno.ENXIO:
                    return
                time.sleep(0.01)
                continue
            try:
                os.write(fd, b"{}")
            except OSError:  # the reader went away first (EPIPE) or the pipe is full (EAGAIN)
                pass
            finally:
                os.close(fd)

    def close(self) -> None:
        self.release()
        self._stop.set()
        assert self._feeder is not None
        self._feeder.join(5)


@asynccontextmanager
async def blocked_installer(ivk: AsyncInvokeAI, tmp_path: Path) -> AsyncIterator[BlockedInstaller]:
    """The server's installer, held busy until ``release()`` (always released on the way out)."""
    folder = tmp_path / "blocker"
    folder.mkdir()
    os.mkfifo(folder / "config.json")
    blocker = BlockedInstaller(folder)
    job = await ivk.models.install(str(folder), inplace=True)
    try:
        for _ in range(1000):  # the installer picks it up within milliseconds
            if str((await job.refresh()).status) == "running":
                break
            await anyio.sleep(0.02)
        assert job.status == InstallStatus.RUNNING, f"the blocker job never started: {job.info}"
        yield blocker
        blocker.release()
        with pytest.raises(InstallFailedError, match="No model files"):
            await job.wait(wait_timeout=30)
    finally:
        blocker.close()


async def test_wait_settles_through_the_install_event(ivk: AsyncInvokeAI, tmp_path: Path) -> None:
    source = write_safetensors(tmp_path / "queued.safetensors")
    seen: list[ModelInstallCompleteEvent] = []
    job_ids: list[int] = []
    finished, our_event = anyio.Event(), anyio.Event()
    async with (
        blocked_installer(ivk, tmp_path) as blocker,
        ivk.events.subscribe(queue_id=None, types=[ModelInstallCompleteEvent]) as events,
        anyio.create_task_group() as group,
    ):

        async def record() -> None:
            async for event in events:
                assert isinstance(event, ModelInstallCompleteEvent)
                seen.append(event)
                if event.id in job_ids:
                    our_event.set()

        group.start_soon(record)
        job = await ivk.models.install(str(source), inplace=True)
        job_ids.append(job.id)
        assert job.status == InstallStatus.WAITING  # queued behind the blocked installer
        results = []

        async def wait() -> None:
            # poll_interval 60 s: a REST poll after the first one cannot end this within the test
            results.append(await job.wait(wait_timeout=45, poll_interval=60))
            finished.set()

        group.start_soon(wait)
        await anyio.sleep(0.5)  # wait() has subscribed and done its first (non-terminal) refresh
        assert not results and job.status == InstallStatus.WAITING
        started = time.monotonic()
        blocker.release()
        with anyio.fail_after(30):
            await finished.wait()
        assert time.monotonic() - started < 30
        assert job.settled_by == "event"
        assert results[0].model is not None and results[0].model.path == str(source)
        with anyio.fail_after(10):
            await our_event.wait()
        event = next(e for e in seen if e.id == job.id)
        assert event.key == results[0].model.key
        group.cancel_scope.cancel()
    await ivk.models.delete(results[0].model.key)


async def test_cancel_a_waiting_install_on_the_real_server(ivk: AsyncInvokeAI, tmp_path: Path) -> None:
    source = write_safetensors(tmp_path / "never.safetensors")
    async with blocked_installer(ivk, tmp_path):
        job = await ivk.models.install(str(source), inplace=True)
        assert job.status == InstallStatus.WAITING
        await job.cancel()
        with pytest.raises(InstallCanceledError, match="was cancelled") as info:
            await job.wait(wait_timeout=30)
        assert info.value.job_id == job.id and info.value.source == str(source)
        assert job.status == InstallStatus.CANCELLED
        assert (await ivk.models.get_install_job(job.id)).status == InstallStatus.CANCELLED
    assert [m.path for m in await ivk.models.list()] == []  # nothing was installed


@pytest.mark.multiuser
async def test_non_admin_cannot_install(multiuser_server: ServerInfo, tmp_path: Path) -> None:
    url, email, password = (
        multiuser_server.base_url,
        multiuser_server.admin_email,
        multiuser_server.admin_password,
    )
    assert email and password
    user_email = f"models-{uuid.uuid4().hex[:8]}@example.com"
    user_password = "Sup3r-Secret-Pa55!"
    source = write_safetensors(tmp_path / "guarded.safetensors")
    async with AsyncInvokeAI(url, email=email, password=password) as admin:
        created = await admin.models._json(
            "POST",
            "/api/v1/auth/users",
            json={"email": user_email, "password": user_password, "display_name": "Models Test"},
        )
        assert created["is_admin"] is False
        async with AsyncInvokeAI(url, email=user_email, password=user_password) as user:
            assert (await user.auth.me()).is_admin is False
            with pytest.raises(PermissionDeniedError) as info:
                await user.models.install(str(source), inplace=True)
            assert info.value.status_code == 403
            assert isinstance(await user.models.list().to_list(), list)  # reading stays open
        assert [m.path for m in await admin.models.list()].count(str(source)) == 0
        await admin.models._request("DELETE", f"/api/v1/auth/users/{created['user_id']}")
