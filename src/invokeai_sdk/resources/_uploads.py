"""Turning what a user hands to ``upload`` (path, bytes, file object, PIL image) into checked bytes."""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any, TypeAlias

import anyio

from .._errors import ValidationError

__all__ = ["UploadSource", "name_list", "read_upload", "sniff_image", "sniff_mp4"]

UploadSource: TypeAlias = "str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes] | Any"
"""A path, raw bytes, a binary file object, or (for images) a ``PIL.Image.Image``."""

_IMAGE_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
    (b"BM", "image/bmp", "bmp"),
    (b"II*\x00", "image/tiff", "tiff"),
    (b"MM\x00*", "image/tiff", "tiff"),
)


def sniff_image(data: bytes) -> tuple[str, str] | None:
    """``(content type, extension)`` of an image format recognised by its first bytes, else ``None``."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    for signature, mime, ext in _IMAGE_SIGNATURES:
        if data.startswith(signature):
            return mime, ext
    return None


def sniff_mp4(data: bytes) -> bool:
    """True when ``data`` starts like an MP4 container (an ``ftyp`` box that is not QuickTime's)."""
    return len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] != b"qt  "


def _is_pil_image(source: Any) -> bool:
    return type(source).__module__.startswith("PIL.") and hasattr(source, "save") and hasattr(source, "mode")


def _encode_pil(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


async def read_upload(source: UploadSource, *, default_name: str) -> tuple[bytes, str]:
    """The bytes of ``source`` and a file name for the multipart part."""
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), default_name
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            data = await anyio.Path(path).read_bytes()
        except OSError as exc:
            raise ValidationError(f"Cannot read {str(path)!r}: {exc.strerror or exc}") from exc
        return data, path.name or default_name
    if _is_pil_image(source):
        data = await anyio.to_thread.run_sync(_encode_pil, source)
        return data, default_name.rsplit(".", 1)[0] + ".png"
    read = getattr(source, "read", None)
    if callable(read):
        data = read()
        if not isinstance(data, bytes | bytearray):
            raise ValidationError("The file object must be opened in binary mode ('rb').")
        name = getattr(source, "name", None)
        return bytes(data), Path(name).name if isinstance(name, str) and name else default_name
    raise ValidationError(
        f"Cannot upload a {type(source).__name__}: give a path, bytes, a binary file object or a PIL image."
    )


def name_list(names: str | Iterable[str], *, what: str = "image") -> list[str]:
    """A list of non-empty names from one name or an iterable of names (duplicates dropped, order kept)."""
    items = [names] if isinstance(names, str) else list(names)
    for item in items:
        if not isinstance(item, str) or not item:
            raise ValidationError(f"Every {what} name must be a non-empty string, got {item!r}.")
    return list(dict.fromkeys(items))
