"""Upload sources (PIL modes, file objects) and percent-encoded path segments (respx)."""

from __future__ import annotations

import io
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from PIL import Image

from invokeai_sdk import AsyncInvokeAI, NotFoundError, ValidationError
from invokeai_sdk.resources import _uploads
from invokeai_sdk.resources._uploads import read_upload

BASE = "http://invoke.test"


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize(
    ("mode", "sent_as"),
    [
        ("CMYK", "RGB"),
        ("YCbCr", "RGB"),
        ("LAB", "RGB"),
        ("HSV", "RGB"),
        ("I", "RGB"),
        ("F", "RGB"),
        ("RGBX", "RGB"),
        ("RGBa", "RGBA"),
        ("PA", "RGBA"),
        ("La", "LA"),
        ("RGB", "RGB"),
        ("RGBA", "RGBA"),
        ("L", "L"),
    ],
)
async def test_pil_images_of_every_mode_become_png(mode: str, sent_as: str) -> None:
    data, name = await read_upload(Image.new(mode, (3, 2)), default_name="image.png")
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and name == "image.png"
    image = decoded(data)
    assert image.format == "PNG" and image.mode == sent_as and image.size == (3, 2)


async def test_cmyk_colours_survive_the_conversion() -> None:
    cmyk = Image.new("CMYK", (2, 2), (0, 255, 255, 0))  # pure red in CMYK
    data, _ = await read_upload(cmyk, default_name="image.png")
    assert decoded(data).getpixel((0, 0)) == (255, 0, 0)


async def test_an_image_that_cannot_be_encoded_is_a_validation_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(image: Any) -> Any:
        raise ValueError("conversion from CMYK to RGB not supported")

    monkeypatch.setattr(_uploads, "_png_compatible", refuse)
    with pytest.raises(ValidationError, match=r"mode 'CMYK'.*cannot write mode CMYK.*not supported"):
        await read_upload(Image.new("CMYK", (2, 2)), default_name="image.png")


async def test_text_mode_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n")
    with (
        path.open("r", encoding="latin-1") as handle,
        pytest.raises(ValidationError, match=r"text mode.*'rb'"),
    ):
        await read_upload(handle, default_name="image.png")
    with pytest.raises(ValidationError, match="text mode"):
        await read_upload(io.StringIO("text"), default_name="image.png")

    class StrReader:
        def read(self) -> str:
            return "text"

    with pytest.raises(ValidationError, match=r"text mode \(read\(\) gave str\)"):
        await read_upload(StrReader(), default_name="image.png")


async def test_file_objects_are_read_off_the_event_loop(tmp_path: Path) -> None:
    readers: list[threading.Thread] = []

    class Recording(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            readers.append(threading.current_thread())
            return super().read(size)

    source = Recording(b"\x89PNG data")
    source.name = str(tmp_path / "picked.png")  # type: ignore[attr-defined]
    data, name = await read_upload(source, default_name="image.png")
    assert data == b"\x89PNG data" and name == "picked.png"
    assert readers and all(thread is not threading.current_thread() for thread in readers)

    class Broken(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            raise OSError(5, "Input/output error")

    with pytest.raises(ValidationError, match="Input/output error"):
        await read_upload(Broken(), default_name="image.png")


@pytest.fixture
async def client() -> AsyncIterator[AsyncInvokeAI]:
    async with AsyncInvokeAI(BASE, max_retries=0) as ivk:
        yield ivk


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("a b.png", b"/api/v1/images/i/a%20b.png"),
        ("Fotos ä.png", b"/api/v1/images/i/Fotos%20%C3%A4.png"),
        ("50%?#.png", b"/api/v1/images/i/50%25%3F%23.png"),
    ],
)
async def test_names_are_one_percent_encoded_path_segment(
    client: AsyncInvokeAI, name: str, raw: bytes
) -> None:
    seen: list[bytes] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path)
        return httpx.Response(404, json={"detail": "Not Found"})

    with respx.mock(base_url=BASE) as mock:
        mock.route().mock(side_effect=record)
        for call in (
            client.images.get(name),
            client.images.download(name, size="thumbnail"),
            client.images.metadata(name),
            client.boards.get(name),
            client.boards.image_names(name),
        ):
            with pytest.raises(NotFoundError):
                await call
    encoded = raw.rsplit(b"/", 1)[1]
    assert seen == [
        raw,
        raw + b"/thumbnail",
        raw + b"/metadata",
        b"/api/v1/boards/" + encoded,
        b"/api/v1/boards/" + encoded + b"/image_names",
    ]


async def test_names_with_a_slash_are_refused_before_sending(client: AsyncInvokeAI) -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        route = mock.route().mock(return_value=httpx.Response(200, json={}))
        for call in (
            client.images.get("a/b.png"),
            client.images.delete("../b.png"),
            client.boards.get("x/y"),
            client.boards.delete("x/y"),
        ):
            with pytest.raises(ValidationError, match="'/'"):
                await call
    assert route.call_count == 0
