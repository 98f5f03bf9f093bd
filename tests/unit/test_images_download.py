"""``download_to`` and bulk zips: atomic writes, no temp files left, no path traversal (respx)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx
import pytest
import respx

from invokeai_sdk import APIConnectionError, AsyncInvokeAI, ValidationError
from invokeai_sdk._download import content_disposition_filename, safe_file_name

BASE = "http://invoke.test"
FULL = f"{BASE}/api/v1/images/i/a.png/full"


def listdir(path: Path) -> list[Path]:
    """The entries of a directory (a sync helper: async tests must not block on pathlib)."""
    return list(path.iterdir())


class BrokenBody(httpx.AsyncByteStream):
    """Sends some bytes, then fails like a dropped connection."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"\x89PNG\r\n\x1a\n" + b"x" * 300_000
        raise httpx.ReadError("connection reset by peer")


class SlowBody(httpx.AsyncByteStream):
    """Sends a first chunk, then stalls until cancelled."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"first chunk"
        await anyio.sleep(60)
        yield b"never"


@pytest.fixture
async def client() -> AsyncIterator[AsyncInvokeAI]:
    async with AsyncInvokeAI(BASE, max_retries=0) as ivk:
        yield ivk


@respx.mock
async def test_stream_failing_midway_leaves_nothing(client: AsyncInvokeAI, tmp_path: Path) -> None:
    respx.get(FULL).mock(return_value=httpx.Response(200, stream=BrokenBody()))
    (tmp_path / "a.png").write_bytes(b"old content")  # an existing file stays as it was
    with pytest.raises(APIConnectionError, match="cut off"):
        await client.images.download_to("a.png", tmp_path)
    assert [p.name for p in listdir(tmp_path)] == ["a.png"]
    assert (tmp_path / "a.png").read_bytes() == b"old content"
    with pytest.raises(APIConnectionError):
        await client.images.download_to("a.png", tmp_path / "chosen.png")
    assert [p.name for p in listdir(tmp_path)] == ["a.png"]


@respx.mock
async def test_cancelled_download_leaves_nothing(client: AsyncInvokeAI, tmp_path: Path) -> None:
    respx.get(FULL).mock(return_value=httpx.Response(200, stream=SlowBody()))
    with anyio.move_on_after(0.3) as scope:
        await client.images.download_to("a.png", tmp_path)
    assert scope.cancelled_caught
    assert listdir(tmp_path) == []


@respx.mock
async def test_complete_download_is_renamed_into_place(client: AsyncInvokeAI, tmp_path: Path) -> None:
    body = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4000
    respx.get(FULL).mock(return_value=httpx.Response(200, content=body))
    written = await client.images.download_to("a.png", tmp_path)
    assert written == (tmp_path / "a.png").resolve() and written.read_bytes() == body
    assert [p.name for p in listdir(tmp_path)] == ["a.png"]


@pytest.mark.parametrize("name", ["../../x.png", "/etc/x.png", "sub/x.png", "..", "C:x.png", "a\\b.png"])
async def test_traversal_names_are_refused_before_sending(
    client: AsyncInvokeAI, tmp_path: Path, name: str
) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.get(url__regex=r".*").mock(return_value=httpx.Response(200, content=b"x"))
        with pytest.raises(ValidationError):
            await client.images.download_to(name, tmp_path)
        assert route.call_count == 0
    assert listdir(tmp_path) == []
    assert not (tmp_path.parent.parent / "x.png").exists()


@pytest.mark.parametrize("served", ["../../evil.png", "/tmp/evil.png", "dir/evil.png"])
@respx.mock
async def test_traversal_names_from_the_server_are_refused(
    client: AsyncInvokeAI, tmp_path: Path, served: str
) -> None:
    respx.get(FULL).mock(
        return_value=httpx.Response(
            200,
            content=b"\x89PNG\r\n\x1a\n data",
            headers={"content-disposition": f'inline; filename="{served}"'},
        )
    )
    target = tmp_path / "inner"
    target.mkdir()
    with pytest.raises(ValidationError, match=r"evil\.png"):
        await client.images.download_to("a.png", target)
    assert listdir(target) == [] and sorted(p.name for p in listdir(tmp_path)) == ["inner"]


@respx.mock
async def test_bulk_zip_that_is_cut_short_is_refused(client: AsyncInvokeAI, tmp_path: Path) -> None:
    respx.post(f"{BASE}/api/v1/images/download").mock(
        return_value=httpx.Response(202, json={"bulk_download_item_name": "z.zip"})
    )
    respx.get(f"{BASE}/api/v1/images/download/z.zip").mock(
        side_effect=[
            httpx.Response(404, json={"detail": "Not Found"}),
            httpx.Response(200, content=b"PK\x03\x04"),
        ]
    )
    with pytest.raises(APIConnectionError, match="incomplete"):
        await client.images.bulk_download(["a.png"], to=tmp_path, poll_interval=0.01)
    assert listdir(tmp_path) == []


@respx.mock
async def test_bulk_zip_name_from_server_cannot_escape(client: AsyncInvokeAI, tmp_path: Path) -> None:
    respx.post(f"{BASE}/api/v1/images/download").mock(
        return_value=httpx.Response(202, json={"bulk_download_item_name": "../../z.zip"})
    )
    with pytest.raises(ValidationError):
        await client.images.bulk_download(["a.png"], to=tmp_path)
    assert listdir(tmp_path) == []


def test_name_helpers() -> None:
    assert safe_file_name("abc.png") == "abc.png"
    with pytest.raises(ValidationError):
        safe_file_name("bad\x00.png")
    assert content_disposition_filename('inline; filename="a b.png"') == "a b.png"
    assert content_disposition_filename("inline") is None
    assert content_disposition_filename(None) is None


@respx.mock
@pytest.mark.parametrize("suffix", ["/", "/nested/deeper/"])
async def test_trailing_separator_names_a_folder_created_when_missing(
    client: AsyncInvokeAI, tmp_path: Path, suffix: str
) -> None:
    respx.get(FULL).mock(return_value=httpx.Response(200, content=b"\x89PNG\r\n\x1a\n body"))
    folder = f"{tmp_path / 'out'}{suffix}"
    written = await client.images.download_to("a.png", folder)
    assert written == (Path(folder) / "a.png").resolve()
    assert written.read_bytes() == b"\x89PNG\r\n\x1a\n body"
    assert not (tmp_path / "out").is_file()


@respx.mock
async def test_existing_folder_without_separator_gets_the_file_inside(
    client: AsyncInvokeAI, tmp_path: Path
) -> None:
    respx.get(FULL).mock(return_value=httpx.Response(200, content=b"\x89PNG\r\n\x1a\n body"))
    (tmp_path / "out").mkdir()
    written = await client.images.download_to("a.png", tmp_path / "out")
    assert written == (tmp_path / "out" / "a.png").resolve()


async def test_a_file_where_a_folder_is_meant_is_refused_before_sending(
    client: AsyncInvokeAI, tmp_path: Path
) -> None:
    (tmp_path / "out").write_bytes(b"a file")
    with respx.mock(assert_all_called=False) as router:
        route = router.get(FULL)
        with pytest.raises(ValidationError, match="not a directory"):
            await client.images.download_to("a.png", f"{tmp_path / 'out'}/")
        with pytest.raises(ValidationError, match="does not exist"):
            await client.images.download_to("a.png", tmp_path / "missing" / "a.png")
        assert not route.called
    assert (tmp_path / "out").read_bytes() == b"a file"


@respx.mock
async def test_on_progress_sees_every_chunk_and_the_announced_total(
    client: AsyncInvokeAI, tmp_path: Path
) -> None:
    body = b"\x89PNG\r\n\x1a\n" + b"x" * 600_000  # more than two chunks
    respx.get(FULL).mock(return_value=httpx.Response(200, content=body))
    seen: list[tuple[int, int | None]] = []
    await client.images.download_to("a.png", tmp_path, on_progress=lambda d, t: seen.append((d, t)))
    assert len(seen) >= 3
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert seen[-1] == (len(body), len(body))
