"""``ivk.gallery`` against the real server: images and videos in one feed, and the boards by date."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from invokeai_sdk import AsyncInvokeAI, ValidationError

from .test_videos import TINY_MP4


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (5, 6, 7)).save(buffer, format="PNG")
    return buffer.getvalue()


async def test_one_feed_of_images_and_videos(ivk: AsyncInvokeAI) -> None:
    board = await ivk.boards.create("feed")
    image = await ivk.images.upload(png(), board=board)
    other = await ivk.images.upload(png())
    video = await ivk.videos.upload(TINY_MP4)
    await ivk.images.star(other.image_name)

    page = await ivk.gallery.list(limit=2)
    assert page.total == 3 and len(page.items) == 2
    items = [item async for item in ivk.gallery.list(limit=2)]
    assert {(i.kind, i.name) for i in items} == {
        ("image", image.image_name),
        ("image", other.image_name),
        ("video", video.video_name),
    }
    assert items[0].name == other.image_name and items[0].starred  # starred first, as in the GUI
    by_name = {i.name: i for i in items}
    assert by_name[video.video_name].duration and by_name[video.video_name].fps
    assert by_name[image.image_name].board_id == board.board_id

    on_board = await ivk.gallery.list(board=board)
    assert [i.name for i in on_board.items] == [image.image_name]

    names = await ivk.gallery.names()
    assert names.total_count == 3 and names.starred_count == 1 and names.item_names[0] == other.image_name
    refs = await ivk.gallery.refs(order="asc", starred_first=False)
    assert [(r.kind, r.name) for r in refs.items] == [
        ("image", image.image_name),
        ("image", other.image_name),
        ("video", video.video_name),
    ]

    today = dt.date.fromisoformat(image.created_at[:10]) if image.created_at else dt.date.today()
    assert (await ivk.gallery.names(created_date=today)).total_count == 3
    assert (await ivk.gallery.names(created_date="2001-01-01")).item_names == []


async def test_boards_by_date(ivk: AsyncInvokeAI) -> None:
    image = await ivk.images.upload(png())
    video = await ivk.videos.upload(TINY_MP4)
    days = await ivk.gallery.dates()
    assert len(days) == 1
    day = days[0]
    assert (
        day.image_count == 1 and day.video_count == 1 and day.cover_video_name == video.video_name
    )  # the newest item
    assert (await ivk.gallery.date_image_names(day.date)).image_names == [image.image_name]
    items = await ivk.gallery.date_items(dt.date.fromisoformat(day.date))
    assert {(r.kind, r.name) for r in items.items} == {
        ("image", image.image_name),
        ("video", video.video_name),
    }
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        await ivk.gallery.date_items("yesterday")
