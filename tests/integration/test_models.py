"""``ivk.models`` against the real server: install a tiny local model and manage it."""

from __future__ import annotations

import json
import struct
import uuid
from pathlib import Path

import pytest

from invokeai_sdk import (
    AsyncInvokeAI,
    ConflictError,
    InstallFailedError,
    InvalidModelSourceError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from invokeai_sdk.types.models import (
    BaseModelType,
    HFTokenStatus,
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
    result = await job.wait(timeout=60)
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
    first = await (await ivk.models.install(str(source), inplace=True)).wait(timeout=60)
    assert first.model is not None

    again = await ivk.models.install(str(source), inplace=True)
    result = await again.wait(timeout=60)
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
        await job.wait(timeout=60)
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
        ).wait(timeout=60)
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


async def test_cache_starter_models_and_hf_status(ivk: AsyncInvokeAI) -> None:
    stats = await ivk.models.stats()
    assert stats is None or isinstance(stats, ModelCacheStats)  # None until a model was loaded
    await ivk.models.empty_cache()
    starters = await ivk.models.starter_models()
    assert starters.starter_models and all(s.source and s.name for s in starters.starter_models)
    assert any(s.base == BaseModelType.FLUX for s in starters.starter_models)
    assert not any(s.is_installed for s in starters.starter_models)
    assert starters.starter_bundles
    assert await ivk.models.hf_status() in set(HFTokenStatus)


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
