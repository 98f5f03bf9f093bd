"""``ivk.boards`` against the real server."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from invokeai_sdk import UNCATEGORIZED, AsyncInvokeAI, NotFoundError, ValidationError


def png(color: tuple[int, int, int] = (10, 20, 30), size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


async def test_create_get_update_archive_and_list(ivk: AsyncInvokeAI) -> None:
    first = await ivk.boards.create("first")
    second = await ivk.boards.create("second")
    assert first.board_name == "first" and first.image_count == 0 and not first.archived
    assert (await ivk.boards.get(first.board_id)).board_id == first.board_id
    assert (await ivk.boards.get(first)).board_name == "first"  # a board object works too

    renamed = await ivk.boards.update(first, name="renamed")
    assert renamed.board_name == "renamed"
    archived = await ivk.boards.update(second, archived=True)
    assert archived.archived is True

    every = await ivk.boards.list()
    assert [b.board_id for b in every] == [first.board_id]  # archived left out, one request
    with_archived = [b.board_id async for b in ivk.boards.list(include_archived=True)]
    assert set(with_archived) == {first.board_id, second.board_id}
    by_name = await ivk.boards.list(include_archived=True, order_by="board_name", direction="asc")
    assert [b.board_name for b in by_name] == ["renamed", "second"]

    third = await ivk.boards.create("third")
    paged = ivk.boards.list(include_archived=True, limit=2)
    page = await paged
    assert len(page) == 2 and page.has_next_page()
    assert page.total is None  # the server reports the page length as "total": not trusted
    walked = [b.board_id async for b in ivk.boards.list(include_archived=True, limit=2)]
    assert sorted(walked) == sorted([first.board_id, second.board_id, third.board_id])


async def test_images_on_and_off_boards(ivk: AsyncInvokeAI) -> None:
    board = await ivk.boards.create("holder")
    a = await ivk.images.upload(png((1, 1, 1)))
    b = await ivk.images.upload(png((2, 2, 2)))
    added = await ivk.boards.add_images(board, [a.image_name, b.image_name])
    assert sorted(added.added_images) == sorted([a.image_name, b.image_name])
    assert sorted(await ivk.boards.image_names(board)) == sorted([a.image_name, b.image_name])
    assert (await ivk.boards.get(board)).image_count == 2
    assert await ivk.boards.image_names(UNCATEGORIZED) == []

    removed = await ivk.boards.remove_images(a.image_name)
    assert removed.removed_images == [a.image_name]
    assert await ivk.boards.image_names(UNCATEGORIZED) == [a.image_name]
    assert (await ivk.images.get(a.image_name)).board_id is None

    back = await ivk.boards.add_images(UNCATEGORIZED, [b.image_name])  # "add to uncategorized"
    assert back.added_images == [b.image_name]
    assert await ivk.boards.image_names(board) == []

    await ivk.boards.add_images(board, [a.image_name, b.image_name])
    cover = await ivk.boards.update(board, cover_image_name=a.image_name)
    # 6.14.2 stores the cover but always shows the newest image on the board as the cover.
    assert cover.board_id == board.board_id and cover.cover_image_name == b.image_name


async def test_delete_board_keeps_or_deletes_its_images(ivk: AsyncInvokeAI) -> None:
    keep = await ivk.boards.create("keep")
    kept = await ivk.images.upload(png(), board=keep)
    result = await ivk.boards.delete(keep)
    assert result.deleted_board_images == [kept.image_name] and result.deleted_images == []
    assert (await ivk.images.get(kept.image_name)).board_id is None  # now uncategorized

    drop = await ivk.boards.create("drop")
    dropped = await ivk.images.upload(png(), board=drop)
    result = await ivk.boards.delete(drop, include_images=True)
    assert result.deleted_images == [dropped.image_name]
    with pytest.raises(NotFoundError):
        await ivk.images.get(dropped.image_name)
    with pytest.raises(NotFoundError):
        await ivk.boards.get(drop)


async def test_unknown_board_and_uncategorized_are_refused(ivk: AsyncInvokeAI) -> None:
    with pytest.raises(NotFoundError, match="Board not found"):
        await ivk.boards.get("no-such-board")
    with pytest.raises(NotFoundError):
        await ivk.boards.image_names("no-such-board")
    with pytest.raises(NotFoundError):
        await ivk.boards.delete("no-such-board")
    with pytest.raises(NotFoundError):
        await ivk.boards.add_images("no-such-board", ["x.png"])
    with pytest.raises(ValidationError, match="UNCATEGORIZED"):
        await ivk.boards.get(UNCATEGORIZED)  # there is no GET /boards/none
    with pytest.raises(ValidationError):
        await ivk.boards.update("some-board")
    with pytest.raises(ValidationError):
        await ivk.boards.create("")
