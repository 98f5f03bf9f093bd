"""``ivk.images`` against the real server."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from invokeai_sdk import (
    UNCATEGORIZED,
    AsyncInvokeAI,
    NotFoundError,
    UnsupportedMediaTypeError,
    ValidationError,
)


def resolved(path: Path) -> Path:
    """``path`` made absolute (sync helper)."""
    return path.resolve()


def listdir(path: Path) -> list[Path]:
    """The entries of a directory (a sync helper: async tests must not block on pathlib)."""
    return list(path.iterdir())


def png(color: tuple[int, int, int] = (10, 20, 30), size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB").tobytes()


async def test_upload_from_every_source_kind(ivk: AsyncInvokeAI, tmp_path: Path) -> None:
    path = tmp_path / "from-path.png"
    path.write_bytes(png((200, 0, 0)))
    by_path = await ivk.images.upload(path)
    by_str = await ivk.images.upload(str(path), category="user")
    by_bytes = await ivk.images.upload(png((0, 200, 0), (5, 3)))
    with path.open("rb") as handle:
        by_file = await ivk.images.upload(handle, is_intermediate=True)
    by_pil = await ivk.images.upload(Image.new("RGB", (7, 9), (0, 0, 200)), metadata={"note": "pil"})
    jpeg = io.BytesIO()
    Image.new("RGB", (6, 6), (9, 9, 9)).save(jpeg, format="JPEG")
    by_jpeg = await ivk.images.upload(jpeg.getvalue())

    assert (by_bytes.width, by_bytes.height) == (5, 3)
    assert (by_pil.width, by_pil.height) == (7, 9)
    assert by_str.image_category == "user" and by_path.image_category == "general"
    assert by_file.is_intermediate is True and by_path.is_intermediate is False
    assert by_jpeg.width == 6
    assert await ivk.images.metadata(by_pil.image_name) == {"note": "pil"}
    assert await ivk.images.metadata(by_path.image_name) is None
    assert pixels(await ivk.images.download(by_path.image_name)) == pixels(path.read_bytes())
    assert pixels(await ivk.images.download(by_pil.image_name))[:3] == bytes([0, 0, 200])


async def test_upload_options_board_and_resize(ivk: AsyncInvokeAI) -> None:
    board = await ivk.boards.create("uploads")
    resized = await ivk.images.upload(png(size=(64, 64)), board=board, resize_to=(16, 12))
    assert (resized.width, resized.height) == (16, 12)
    assert resized.board_id == board.board_id
    loose = await ivk.images.upload(png(), board=UNCATEGORIZED)
    assert loose.board_id is None
    with pytest.raises(NotFoundError, match="Board not found"):
        await ivk.images.upload(png(), board="no-such-board")


async def test_non_images_get_typed_errors(ivk: AsyncInvokeAI, tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    with pytest.raises(ValidationError, match="not an image"):
        await ivk.images.upload(text)
    with pytest.raises(ValidationError):
        await ivk.images.upload(b"")
    with pytest.raises(ValidationError):
        await ivk.images.upload(png(), resize_to=(0, 5))
    with pytest.raises(ValidationError):
        await ivk.images.upload(png(), category="bogus")  # type: ignore[arg-type]
    # Looks like a PNG from its first bytes, but is not one: the server refuses it with 415.
    with pytest.raises(UnsupportedMediaTypeError, match="Failed to read image"):
        await ivk.images.upload(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    assert (await ivk.images.names()).total_count == 0  # nothing slipped through


async def test_list_filters_pages_and_latest(ivk: AsyncInvokeAI) -> None:
    board = await ivk.boards.create("list")
    uploaded = [await ivk.images.upload(png((i, i, i)), board=board if i % 2 else None) for i in range(7)]
    newest_first = [u.image_name for u in reversed(uploaded)]

    page = await ivk.images.list(limit=3)
    assert [i.image_name for i in page] == newest_first[:3] and page.total == 7 and page.has_next_page()
    second = await page.next_page()
    assert [i.image_name for i in second] == newest_first[3:6]
    walked = [i.image_name async for i in ivk.images.list(limit=3)]
    assert walked == newest_first  # every page, in order

    oldest = await ivk.images.list(order="asc", limit=2)
    assert oldest[0].image_name == uploaded[0].image_name
    on_board = [i.image_name async for i in ivk.images.list(board=board, limit=2)]
    assert sorted(on_board) == sorted(u.image_name for u in uploaded[1::2])
    loose = await ivk.images.list(board=UNCATEGORIZED)
    assert {i.image_name for i in loose} == {u.image_name for u in uploaded[0::2]}
    assert (await ivk.images.list(categories=["mask"])).total == 0
    assert (await ivk.images.list(origin="external")).total == 7
    assert (await ivk.images.list(is_intermediate=True)).total == 0

    latest = await ivk.images.latest()
    assert latest is not None and latest.image_name == uploaded[-1].image_name
    await ivk.images.star(uploaded[0].image_name)  # starring must not change what "latest" is
    latest = await ivk.images.latest()
    assert latest is not None and latest.image_name == uploaded[-1].image_name
    on_board_latest = await ivk.images.latest(board=board)
    assert on_board_latest is not None and on_board_latest.image_name == uploaded[5].image_name

    names = await ivk.images.names()
    assert names.total_count == 7 and names.starred_count == 1
    assert names.image_names[0] == uploaded[0].image_name  # starred first by default
    assert (await ivk.images.names(starred_first=False)).image_names == newest_first
    assert (await ivk.images.names(board=board)).total_count == 3


async def test_latest_on_an_empty_gallery_is_none(ivk: AsyncInvokeAI) -> None:
    assert await ivk.images.latest() is None


async def test_downloads_match_the_upload(ivk: AsyncInvokeAI, tmp_path: Path) -> None:
    original = png((12, 34, 56), (20, 10))
    image = await ivk.images.upload(original)
    full = await ivk.images.download(image.image_name)
    assert pixels(full) == pixels(original)
    thumb = await ivk.images.download(image.image_name, size="thumbnail")
    assert thumb[:4] == b"RIFF" and thumb[8:12] == b"WEBP"

    written = await ivk.images.download_to(image.image_name, tmp_path)
    assert written == (tmp_path / image.image_name).resolve() and written.read_bytes() == full
    chosen = await ivk.images.download_to(image.image_name, tmp_path / "chosen.png")
    assert chosen.read_bytes() == full
    thumb_file = await ivk.images.download_to(image.image_name, tmp_path, size="thumbnail")
    assert thumb_file.read_bytes() == thumb
    assert sorted(p.name for p in listdir(tmp_path)) == sorted(
        [image.image_name, "chosen.png", thumb_file.name]
    )  # no temporary files left behind

    opened = await ivk.images.open_image(image.image_name)
    assert opened.size == (20, 10) and opened.getpixel((0, 0)) == (12, 34, 56)


async def test_missing_image_is_not_found(ivk: AsyncInvokeAI, tmp_path: Path) -> None:
    for call in (
        ivk.images.get("nope.png"),
        ivk.images.download("nope.png"),
        ivk.images.delete("nope.png"),
        ivk.images.metadata("nope.png"),
        ivk.images.download_to("nope.png", tmp_path),
    ):
        with pytest.raises(NotFoundError):
            await call
    assert listdir(tmp_path) == []


async def test_workflow_of_an_upload_and_of_a_generated_image(ivk: AsyncInvokeAI) -> None:
    image = await ivk.images.upload(png())
    empty = await ivk.images.workflow(image.image_name)
    assert empty.workflow is None and empty.graph is None
    # An image whose PNG carries an embedded graph: the server extracts it on upload.
    graph = {"id": "g", "nodes": {"n": {"id": "n", "type": "integer", "value": 3}}, "edges": []}
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("invokeai_graph", json.dumps(graph))
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="PNG", pnginfo=info)
    tagged = await ivk.images.upload(buffer.getvalue())
    parsed = await ivk.images.workflow(tagged.image_name)
    assert parsed.graph == graph and parsed.workflow is None


async def test_update_star_unstar_and_deletes(ivk: AsyncInvokeAI) -> None:
    a, b, c = [await ivk.images.upload(png((i, 0, 0))) for i in range(3)]
    updated = await ivk.images.update(a.image_name, starred=True, category="control", is_intermediate=True)
    assert updated.starred and updated.image_category == "control" and updated.is_intermediate
    with pytest.raises(ValidationError):
        await ivk.images.update(a.image_name)

    starred = await ivk.images.star([b.image_name, c.image_name])
    assert sorted(starred.starred_images) == sorted([b.image_name, c.image_name])
    assert (await ivk.images.get(b.image_name)).starred
    unstarred = await ivk.images.unstar([b.image_name])
    assert unstarred.unstarred_images == [b.image_name]
    assert not (await ivk.images.get(b.image_name)).starred

    assert await ivk.images.count_intermediates() == 1
    assert await ivk.images.delete_intermediates() == 1
    with pytest.raises(NotFoundError):
        await ivk.images.get(a.image_name)

    deleted = await ivk.images.delete(b.image_name)
    assert deleted.deleted_images == [b.image_name]
    board = await ivk.boards.create("safe")
    on_board = await ivk.images.upload(png(), board=board)
    loose = await ivk.images.upload(png())
    swept = await ivk.images.delete_uncategorized()
    assert sorted(swept.deleted_images) == sorted([c.image_name, loose.image_name])
    assert (await ivk.images.get(on_board.image_name)).board_id == board.board_id
    many = await ivk.images.delete_many([on_board.image_name, "nope.png"])
    assert many.deleted_images == [on_board.image_name]
    assert (await ivk.images.names()).total_count == 0


async def test_bulk_download_by_names_and_by_board(ivk: AsyncInvokeAI, tmp_path: Path) -> None:
    images = [await ivk.images.upload(png((i, 2, 3))) for i in range(3)]
    names = [i.image_name for i in images[:2]]
    result = await ivk.images.bulk_download(names, to=tmp_path)
    assert result.path == resolved(tmp_path) / result.item_name
    with zipfile.ZipFile(result.path) as archive:
        assert sorted(Path(n).name for n in archive.namelist()) == sorted(names)
        member = next(n for n in archive.namelist() if n.endswith(names[0]))
        assert archive.read(member) == await ivk.images.download(names[0])
    assert result.size == result.path.stat().st_size

    board = await ivk.boards.create("zip me")
    await ivk.boards.add_images(board, [images[2].image_name])
    target = tmp_path / "board.zip"
    seen: list[tuple[int, int | None]] = []
    by_board = await ivk.images.bulk_download(board=board, to=target, on_progress=lambda *p: seen.append(p))
    assert by_board.path == target
    assert seen and seen[-1][0] == by_board.size  # the zip's download, chunk by chunk
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    with zipfile.ZipFile(target) as archive:
        assert [Path(n).name for n in archive.namelist()] == [images[2].image_name]
    assert sorted(p.name for p in listdir(tmp_path)) == sorted([result.item_name, "board.zip"])

    # The server deletes a zip after one GET: a second fetch is an honest NotFoundError.
    with pytest.raises(NotFoundError):
        await ivk.images._request("GET", f"/api/v1/images/download/{result.item_name}")
    with pytest.raises(ValidationError):
        await ivk.images.bulk_download(to=tmp_path)


async def test_search_term_matches_metadata(ivk: AsyncInvokeAI) -> None:
    fox = await ivk.images.upload(png((1, 0, 0)), metadata={"positive_prompt": "a red fox in snow"})
    await ivk.images.upload(png((2, 0, 0)), metadata={"positive_prompt": "a blue whale"})
    await ivk.images.upload(png((3, 0, 0)))
    found = await ivk.images.list(search="Red Fox")  # the server searches case-insensitively
    assert [i.image_name for i in found] == [fox.image_name] and found.total == 1
    assert (await ivk.images.names(search="red fox")).image_names == [fox.image_name]
    assert (await ivk.images.list(search="no such words")).total == 0
    assert (await ivk.images.list(search="")).total == 3  # an empty term is no filter


async def test_starred_first_ordering(ivk: AsyncInvokeAI) -> None:
    oldest, middle, newest = [await ivk.images.upload(png((i, 5, 5))) for i in range(3)]
    await ivk.images.star([oldest.image_name, middle.image_name])
    starred_first = [i.image_name for i in await ivk.images.list()]
    assert starred_first == [middle.image_name, oldest.image_name, newest.image_name]
    by_date = [i.image_name for i in await ivk.images.list(starred_first=False)]
    assert by_date == [newest.image_name, middle.image_name, oldest.image_name]
    ascending = [i.image_name for i in await ivk.images.list(starred_first=True, order="asc")]
    assert ascending == [oldest.image_name, middle.image_name, newest.image_name]
    paged = [i.image_name async for i in ivk.images.list(limit=1)]
    assert paged == starred_first  # the order holds across pages


async def test_latest_leaves_intermediates_out_unless_asked(ivk: AsyncInvokeAI) -> None:
    board = await ivk.boards.create("latest")
    gallery = await ivk.images.upload(png((1, 1, 1)), board=board)
    scratch = await ivk.images.upload(png((2, 2, 2)), board=board, is_intermediate=True)
    newest = await ivk.images.latest(board=board)
    assert newest is not None and newest.image_name == gallery.image_name
    overall = await ivk.images.latest()
    assert overall is not None and overall.image_name == gallery.image_name
    only_scratch = await ivk.images.latest(board=board, is_intermediate=True)
    assert only_scratch is not None and only_scratch.image_name == scratch.image_name
    either = await ivk.images.latest(board=board, is_intermediate=None)
    assert either is not None and either.image_name == scratch.image_name
    await ivk.images.delete(gallery.image_name)
    assert await ivk.images.latest(board=board) is None  # only an intermediate is left


async def test_workflow_and_graph_embedded_in_a_png(ivk: AsyncInvokeAI) -> None:
    from PIL.PngImagePlugin import PngInfo

    workflow = {
        "name": "embedded",
        "author": "sdk tests",
        "description": "a workflow carried in a PNG",
        "version": "1.0.0",
        "contact": "",
        "tags": "",
        "notes": "",
        "exposedFields": [],
        "meta": {"version": "3.0.0", "category": "user"},
        "nodes": [],
        "edges": [],
    }
    graph = {"id": "g", "nodes": {"n": {"id": "n", "type": "integer", "value": 7}}, "edges": []}
    info = PngInfo()
    info.add_text("invokeai_workflow", json.dumps(workflow))
    info.add_text("invokeai_graph", json.dumps(graph))
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (1, 2, 3)).save(buffer, format="PNG", pnginfo=info)
    image = await ivk.images.upload(buffer.getvalue())
    assert image.has_workflow is True
    parsed = await ivk.images.workflow(image.image_name)
    assert parsed.workflow == workflow and parsed.graph == graph


async def test_pil_modes_png_cannot_store_are_converted(ivk: AsyncInvokeAI) -> None:
    cmyk = await ivk.images.upload(Image.new("CMYK", (5, 4), (0, 255, 255, 0)))
    assert (cmyk.width, cmyk.height) == (5, 4)
    assert pixels(await ivk.images.download(cmyk.image_name))[:3] == bytes([255, 0, 0])
    lab = await ivk.images.upload(Image.new("LAB", (3, 3)))
    assert (lab.width, lab.height) == (3, 3)


async def test_bulk_download_of_a_board_with_umlauts_and_of_an_unknown_board(
    ivk: AsyncInvokeAI, tmp_path: Path
) -> None:
    board = await ivk.boards.create("Fotos ä")
    image = await ivk.images.upload(png((9, 9, 9)), board=board)
    result = await ivk.images.bulk_download(board=board, to=tmp_path)
    assert result.item_name.startswith("Fotos ä_") and result.item_name.endswith(".zip")
    assert result.path == resolved(tmp_path) / result.item_name
    with zipfile.ZipFile(result.path) as archive:
        assert [Path(n).name for n in archive.namelist()] == [image.image_name]
    with pytest.raises(NotFoundError, match="Board not found"):
        await ivk.images.bulk_download(board="no-such-board", to=tmp_path)
    assert [p.name for p in listdir(tmp_path)] == [result.item_name]
