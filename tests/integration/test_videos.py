"""``ivk.videos`` against the real server."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import anyio
import anyio.to_thread
import pytest

from invokeai_sdk import (
    AsyncInvokeAI,
    FeatureNotSupportedError,
    NotFoundError,
    UnsupportedMediaTypeError,
    ValidationError,
)
from invokeai_sdk._features import ServerFeatures
from tests.conftest import ServerInfo, clean_server

# A 32x32, 0.5 s, 4 fps H.264 MP4 (1.7 kB), made once with ffmpeg (libx264, -crf 40). The server
# decodes and probes uploads with its own ffmpeg; the SDK test environment has no video encoder.
TINY_MP4 = base64.b64decode(
    "AAAAIGZ0eXBpc29tAAACAGlzb21pc28yYXZjMW1wNDEAAAMGbW9vdgAAAGxtdmhkAAAAAAAAAAAAAAAAAAAD6AAAAfQAAQAAAQAAAAAAAAAAAAAAAAEAAAAAAAAAAAAAAAAAAAABAAAAAAAAAAAAAAAAAABAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAlV0cmFrAAAAXHRraGQAAAADAAAAAAAAAAAAAAABAAAAAAAAAfQAAAAAAAAAAAAAAAAAAAAAAAEAAAAAAAAAAAAAAAAAAAABAAAAAAAAAAAAAAAAAABAAAAAACAAAAAgAAAAAAAkZWR0cwAAABxlbHN0AAAAAAAAAAEAAAH0AAAAAAABAAAAAAHNbWRpYQAAACBtZGhkAAAAAAAAAAAAAAAAAABAAAAAIABVxAAAAAAALWhkbHIAAAAAAAAAAHZpZGUAAAAAAAAAAAAAAABWaWRlb0hhbmRsZXIAAAABeG1pbmYAAAAUdm1oZAAAAAEAAAAAAAAAAAAAACRkaW5mAAAAHGRyZWYAAAAAAAAAAQAAAAx1cmwgAAAAAQAAAThzdGJsAAAAuHN0c2QAAAAAAAAAAQAAAKhhdmMxAAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAAACAAIABIAAAASAAAAAAAAAABDExhdmMgbGlieDI2NAAAAAAAAAAAAAAAAAAAAAAAAAAAGP//AAAALmF2Y0MBQsAK/+EAFmdCwAraJbARAAADAAEAAAMACA8SJqABAAVozgOcgAAAABBwYXNwAAAAAQAAAAEAAAAUYnRydAAAAAAAADaQAAAAAAAAABhzdHRzAAAAAAAAAAEAAAACAAAQAAAAABRzdHNzAAAAAAAAAAEAAAABAAAAHHN0c2MAAAAAAAAAAQAAAAEAAAACAAAAAQAAABxzdHN6AAAAAAAAAAAAAAACAAADWwAAAA4AAAAUc3RjbwAAAAAAAAABAAADNgAAAD11ZHRhAAAANW1ldGEAAAAAAAAAIWhkbHIAAAAAAAAAAG1kaXJhcHBsAAAAAAAAAAAAAAAACGlsc3QAAAAIZnJlZQAAA3FtZGF0AAACRQYF//9B3EXpvebZSLeWLNgg2SPu73gyNjQgLSBjb3JlIDE2NSAtIEguMjY0L01QRUctNCBBVkMgY29kZWMgLSBDb3B5bGVmdCAyMDAzLTIwMjUgLSBodHRwOi8vd3d3LnZpZGVvbGFuLm9yZy94MjY0Lmh0bWwgLSBvcHRpb25zOiBjYWJhYz0wIHJlZj0xIGRlYmxvY2s9MDowOjAgYW5hbHlzZT0wOjAgbWU9ZGlhIHN1Ym1lPTAgcHN5PTEgcHN5X3JkPTEuMDA6MC4wMCBtaXhlZF9yZWY9MCBtZV9yYW5nZT0xNiBjaHJvbWFfbWU9MSB0cmVsbGlzPTAgOHg4ZGN0PTAgY3FtPTAgZGVhZHpvbmU9MjEsMTEgZmFzdF9wc2tpcD0xIGNocm9tYV9xcF9vZmZzZXQ9MCB0aHJlYWRzPTEgbG9va2FoZWFkX3RocmVhZHM9MSBzbGljZWRfdGhyZWFkcz0wIG5yPTAgZGVjaW1hdGU9MSBpbnRlcmxhY2VkPTAgYmx1cmF5X2NvbXBhdD0wIGNvbnN0cmFpbmVkX2ludHJhPTAgYmZyYW1lcz0wIHdlaWdodHA9MCBrZXlpbnQ9MjUwIGtleWludF9taW49NCBzY2VuZWN1dD0wIGludHJhX3JlZnJlc2g9MCByYz1jcmYgbWJ0cmVlPTAgY3JmPTQwLjAgcWNvbXA9MC42MCBxcG1pbj0wIHFwbWF4PTY5IHFwc3RlcD00IGlwX3JhdGlvPTEuNDAgYXE9MACAAAABDmWIhDoMYAHw0e9Q5MNUWf1GACNv+V4X+TA8RJfsh4jAY+ePIEM9z8MQDBIYHHYK2RkW5hrg8sPLAAaskwdM/5+8r3j6pgRAmC0CYDGAGg+XciDGuKAZf+Doyy6+Ev59MAM3sVZ/zfBdPrRkGfu+GEKAJhBUVB3ELswzQxXlg5YmmcaQgw/0DPL1xaBMFoEwFnAFZBQSE+UkmX+vuAGg7JSby9/kQkuUgMIVyEpGosb4WXsBkpYHAAJQFCAAL0EjgsIlAh6BqHzgNSEdygBF3UNz/As4AFzygN3YERYmnt/AGG9EzqvC6IWXTlVy38gp9gOmOWEIA0DC1bW5gKu5WhJsMm4co57A515RgQdT6AAAAApBmiDJ9Uq9TCZQ"
)


async def test_upload_get_list_download_star_delete(ivk: AsyncInvokeAI, tmp_path: Path) -> None:
    board = await ivk.boards.create("videos")
    first = await ivk.videos.upload(TINY_MP4, metadata={"take": 1})
    path = tmp_path / "clip.mp4"
    path.write_bytes(TINY_MP4)
    second = await ivk.videos.upload(path, board=board, category="user")
    assert (first.width, first.height) == (32, 32) and first.duration > 0 and first.fps == 4.0
    assert second.board_id == board.board_id and second.video_category == "user"

    assert (await ivk.videos.get(first.video_name)).video_name == first.video_name
    page = await ivk.videos.list(limit=1)
    assert len(page) == 1 and page.total == 2 and page[0].video_name == second.video_name
    walked = [v.video_name async for v in ivk.videos.list(limit=1)]
    assert walked == [second.video_name, first.video_name]
    assert [v.video_name for v in await ivk.videos.list(board=board)] == [second.video_name]
    names = await ivk.videos.names()
    assert names.total_count == 2 and set(names.video_names) == {first.video_name, second.video_name}

    assert await ivk.videos.download(first.video_name) == TINY_MP4
    thumb = await ivk.videos.download(first.video_name, size="thumbnail")
    assert thumb[:4] == b"RIFF"
    written = await ivk.videos.download_to(first.video_name, tmp_path)
    assert written.name == first.video_name and written.read_bytes() == TINY_MP4

    assert (await ivk.videos.star(first.video_name)).starred_videos == [first.video_name]
    assert (await ivk.videos.get(first.video_name)).starred
    assert (await ivk.videos.unstar([first.video_name])).unstarred_videos == [first.video_name]
    assert not (await ivk.videos.get(first.video_name)).starred

    assert (await ivk.videos.delete(first.video_name)).deleted_videos == [first.video_name]
    with pytest.raises(NotFoundError):
        await ivk.videos.get(first.video_name)
    assert (await ivk.videos.delete_many([second.video_name])).deleted_videos == [second.video_name]
    assert (await ivk.videos.names()).total_count == 0


async def test_bad_videos_get_typed_errors(ivk: AsyncInvokeAI) -> None:
    with pytest.raises(ValidationError, match="MP4"):
        await ivk.videos.upload(b"definitely not a video")
    broken = TINY_MP4[:40] + b"\x00" * 64  # an MP4 header with nothing decodable behind it
    with pytest.raises(UnsupportedMediaTypeError):
        await ivk.videos.upload(broken)
    with pytest.raises(NotFoundError):
        await ivk.videos.download("nope.mp4")
    assert (await ivk.videos.names()).total_count == 0


async def test_servers_without_videos_refuse_every_call(ivk: AsyncInvokeAI) -> None:
    real = await ivk.app.features()
    paths = {p: v for p, v in real.openapi["paths"].items() if not p.startswith("/api/v1/videos/")}
    ivk.session.features = ServerFeatures({**real.openapi, "paths": paths}, version="6.3.0")
    with pytest.raises(FeatureNotSupportedError, match="videos"):
        await ivk.videos.upload(TINY_MP4)
    with pytest.raises(FeatureNotSupportedError):
        await ivk.videos.list()
    with pytest.raises(FeatureNotSupportedError):
        await ivk.videos.names()
    with pytest.raises(FeatureNotSupportedError):
        await ivk.videos.download("x.mp4")


async def test_upload_from_a_file_object(ivk: AsyncInvokeAI, tmp_path: Path) -> None:
    path = tmp_path / "from-handle.mp4"
    path.write_bytes(TINY_MP4)
    with path.open("rb") as handle:
        video = await ivk.videos.upload(handle)
    assert (video.width, video.height) == (32, 32)
    assert await ivk.videos.download(video.video_name) == TINY_MP4
    buffer = io.BytesIO(TINY_MP4)  # a nameless file object gets the default name
    from_buffer = await ivk.videos.upload(buffer)
    assert from_buffer.video_name != video.video_name
    with path.open("r", encoding="latin-1") as text, pytest.raises(ValidationError, match="text mode"):
        await ivk.videos.upload(text)
    assert (await ivk.videos.names()).total_count == 2


async def test_clean_server_deletes_every_video(ivk: AsyncInvokeAI, clean: ServerInfo) -> None:
    board = await ivk.boards.create("clips")
    await ivk.videos.upload(TINY_MP4)
    await ivk.videos.upload(TINY_MP4, board=board, is_intermediate=True)
    assert (await ivk.videos.names(is_intermediate=None)).total_count == 2
    await anyio.to_thread.run_sync(clean_server, clean.base_url)
    assert (await ivk.videos.names()).total_count == 0
    assert (await ivk.videos.names(is_intermediate=True)).total_count == 0
