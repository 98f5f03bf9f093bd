"""The methods added to ``ivk.images``, ``ivk.boards``, ``ivk.videos``, ``ivk.app``, ``ivk.models`` and
``ivk.workflows`` to cover every operation of InvokeAI 6.14, against the real server."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from invokeai_sdk import (
    UNCATEGORIZED,
    AsyncInvokeAI,
    InstallFailedError,
    InternalServerError,
    NotFoundError,
    ValidationError,
)

from .test_models import write_safetensors
from .test_videos import TINY_MP4


def png(color: tuple[int, int, int] = (9, 9, 9)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, format="PNG")
    return buffer.getvalue()


async def test_images_exists_urls_get_many_and_single_board_moves(ivk: AsyncInvokeAI) -> None:
    first = await ivk.images.upload(png())
    second = await ivk.images.upload(png((1, 2, 3)))
    assert await ivk.images.exists(first.image_name)
    assert not await ivk.images.exists("no-such-image.png")
    urls = await ivk.images.urls(first.image_name)
    assert urls.image_name == first.image_name and urls.thumbnail_url.endswith("/thumbnail")
    many = await ivk.images.get_many([second.image_name, "no-such-image.png", first.image_name])
    assert {i.image_name for i in many} == {first.image_name, second.image_name}

    board = await ivk.boards.create("single")
    added = await ivk.boards.add_image(board, first.image_name)
    assert added.added_images == [first.image_name] and board.board_id in added.affected_boards
    assert await ivk.boards.image_names(board) == [first.image_name]
    removed = await ivk.boards.remove_image(first.image_name)
    assert removed.removed_images == [first.image_name]
    assert await ivk.boards.image_names(board) == []
    with pytest.raises(NotFoundError, match="Board not found"):
        await ivk.boards.add_image("no-such-board", first.image_name)
    with pytest.raises(ValidationError, match="UNCATEGORIZED"):
        await ivk.boards.add_image(UNCATEGORIZED, first.image_name)


async def test_videos_update_urls_metadata_workflow_boards_and_uncategorized(ivk: AsyncInvokeAI) -> None:
    video = await ivk.videos.upload(TINY_MP4, metadata={"take": 3})
    assert await ivk.videos.exists(video.video_name) and not await ivk.videos.exists("nope.mp4")
    starred = await ivk.videos.update(video.video_name, starred=True, category="user")
    assert starred.starred and starred.video_category == "user"
    urls = await ivk.videos.urls(video.video_name)
    assert urls.video_name == video.video_name and urls.video_url.endswith("/full")
    assert await ivk.videos.metadata(video.video_name) == {"take": 3}
    workflow = await ivk.videos.workflow(video.video_name)
    assert workflow.workflow is None and workflow.graph is None

    board = await ivk.boards.create("clips")
    moved = await ivk.videos.add_to_board(board, [video.video_name])
    assert moved.added_videos == [video.video_name] and board.board_id in moved.affected_boards
    assert (await ivk.videos.get(video.video_name)).board_id == board.board_id
    taken_off = await ivk.videos.remove_from_board(video.video_name)
    assert taken_off.removed_videos == [video.video_name]
    assert (await ivk.videos.get(video.video_name)).board_id is None

    on_board = await ivk.videos.upload(TINY_MP4, board=board)
    deleted = await ivk.videos.delete_uncategorized()
    assert deleted.deleted_videos == [video.video_name]
    assert (await ivk.videos.names()).video_names == [on_board.video_name]
    with pytest.raises(ValidationError, match="Nothing to update"):
        await ivk.videos.update(on_board.video_name)


async def test_app_runtime_config_devices_patchmatch_and_providers(ivk: AsyncInvokeAI) -> None:
    before = (await ivk.app.config()).config["max_queue_history"]
    try:
        changed = await ivk.app.update_config(max_queue_history=123)
        assert changed.config["max_queue_history"] == 123
        assert (await ivk.app.config()).config["max_queue_history"] == 123
    finally:
        await ivk.app.update_config(max_queue_history=before if before is not None else 0)
    with pytest.raises(ValidationError, match="at least one"):
        await ivk.app.update_config()

    assert await ivk.app.patchmatch_available() is True
    assert [d.device for d in await ivk.app.generation_devices()] == ["cpu"]
    statuses = await ivk.app.external_providers()
    assert "openai" in {s.provider_id for s in statuses} and not any(s.configured for s in statuses)
    try:
        configured = await ivk.app.set_external_provider(
            "openai", api_key="sk-test", base_url="http://127.0.0.1:9"
        )
        assert configured.api_key_configured and configured.base_url == "http://127.0.0.1:9"
        configs = {c.provider_id: c for c in await ivk.app.external_provider_configs()}
        assert configs["openai"].api_key_configured
    finally:
        reset = await ivk.app.reset_external_provider("openai")
    assert not reset.api_key_configured and reset.base_url is None


async def test_models_orphans_bulk_reidentify_cover_pictures_and_relationships(
    ivk: AsyncInvokeAI, tmp_path: Path
) -> None:
    assert await ivk.models.orphaned() == []
    gone = await ivk.models.delete_orphaned(["no-such-folder"])
    assert gone.deleted == [] and "no-such-folder" in gone.errors
    # A model folder the database does not know (the test server runs on this machine; its root is the
    # parent of its nodes folder): found, then deleted.
    root = Path((await ivk.custom_nodes.list()).custom_nodes_path).parent
    (root / "models" / "sdk-orphan").mkdir(parents=True)
    write_safetensors(root / "models" / "sdk-orphan" / "weights.safetensors")
    orphans = await ivk.models.orphaned()
    assert [o.path for o in orphans] == ["sdk-orphan"] and orphans[0].size_bytes > 0
    assert [Path(f).name for f in orphans[0].files] == ["weights.safetensors"]
    deleted = await ivk.models.delete_orphaned(orphans)
    assert deleted.deleted == ["sdk-orphan"] and deleted.errors == {}
    assert not (root / "models" / "sdk-orphan").exists()

    results = [
        await (
            await ivk.models.install(str(write_safetensors(tmp_path / f"m{i}.safetensors")), inplace=True)
        ).wait(wait_timeout=60)
        for i in range(2)
    ]
    first, second = (r.model for r in results)
    assert first is not None and second is not None

    again = await ivk.models.reidentify_many([first.key, "no-such-key"])
    assert again.succeeded == [first.key] and [f.key for f in again.failed] == ["no-such-key"]

    with pytest.raises(NotFoundError, match="cover picture"):
        await ivk.models.image(first.key)
    await ivk.models.set_image(first.key, png((250, 0, 0)))
    assert Image.open(io.BytesIO(await ivk.models.image(first.key))).size[0] > 0
    await ivk.models.delete_image(first.key)
    with pytest.raises(NotFoundError):
        await ivk.models.image(first.key)

    assert await ivk.models.relationships.list(first.key) == []
    await ivk.models.relationships.add(first.key, second.key)
    assert await ivk.models.relationships.list(first.key) == [second.key]
    assert await ivk.models.relationships.list(second.key) == [first.key]  # links go both ways
    assert set(await ivk.models.relationships.list_many([first.key])) == {second.key}
    await ivk.models.relationships.remove(first.key, second.key)
    assert await ivk.models.relationships.list(first.key) == []
    with pytest.raises(ValidationError, match="itself"):
        await ivk.models.relationships.add(first.key, first.key)
    with pytest.raises(InternalServerError):  # the server fails on keys that name no model
        await ivk.models.relationships.add("no-such-key", "other-key")


async def test_restart_a_failed_download(ivk: AsyncInvokeAI) -> None:
    # Nothing listens on port 9: the download fails, then is restarted (and fails again).
    url = "http://127.0.0.1:9/missing.safetensors"
    job = await ivk.models.install(url)
    with pytest.raises(InstallFailedError):
        await job.wait(wait_timeout=60)
    restarted = await job.restart_failed()
    assert restarted.id == job.id and restarted.source_text == url
    again = await job.restart_file(url)
    assert again.id == job.id
    with pytest.raises(ValidationError, match="http"):
        await job.restart_file("ftp://x")


async def test_hf_repo_files_needs_the_network(ivk: AsyncInvokeAI) -> None:
    # The test server is offline (HF_HUB_OFFLINE): the lookup reaches the server and fails there.
    with pytest.raises(InternalServerError):
        await ivk.models.hf.files("InvokeAI/no-such-repo")


async def test_workflow_sharing_opened_at_and_thumbnails(ivk: AsyncInvokeAI) -> None:
    builtin = (await ivk.workflows.list(categories="default", per_page=1)).items[0]
    created = await ivk.workflows.create((await ivk.workflows.get(builtin.workflow_id)).document())
    wid = created.workflow_id
    assert (await ivk.workflows.set_public(wid, False)).is_public is False
    await ivk.workflows.mark_opened(wid)
    assert (await ivk.workflows.get(wid)).opened_at is not None
    with pytest.raises(NotFoundError, match="thumbnail"):
        await ivk.workflows.thumbnail(wid)
    await ivk.workflows.set_thumbnail(wid, png((0, 200, 0)))
    assert (await ivk.workflows.get(wid)).thumbnail_url
    assert Image.open(io.BytesIO(await ivk.workflows.thumbnail(wid))).size[0] > 0
    await ivk.workflows.delete_thumbnail(wid)
    with pytest.raises(NotFoundError):
        await ivk.workflows.thumbnail(wid)
