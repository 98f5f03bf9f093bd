"""Turning what a user hands to ``upload`` (path, bytes, file object, PIL image) into checked bytes."""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any, TypeAlias

import anyio
import anyio.to_thread

from .._errors import ValidationError
from .._media_files import sniff_image

__all__ = ["UploadSource", "image_part", "name_list", "read_upload", "sniff_mp4"]

UploadSource: TypeAlias = "str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes] | Any"
"""A path, raw bytes, a binary file object, or (for images) a ``PIL.Image.Image``."""


def sniff_mp4(data: bytes) -> bool:
    """True when ``data`` starts like an MP4 container (an ``ftyp`` box that is not QuickTime's)."""
    return len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] != b"qt  "


def _is_pil_image(source: Any) -> bool:
    return type(source).__module__.startswith("PIL.") and hasattr(source, "save") and hasattr(source, "mode")


def _png_compatible(image: Any) -> Any:
    """``image`` converted to a mode PNG stores: RGBA when it has an alpha band, else RGB."""
    mode = str(image.mode)
    with_alpha = mode.endswith(("A", "a")) or "transparency" in getattr(image, "info", {})
    if mode == "La":  # premultiplied grey + alpha: Pillow converts it to LA only
        return image.convert("LA")
    return image.convert("RGBA" if with_alpha else "RGB")


def _encode_pil(image: Any) -> bytes:
    """``image`` as PNG bytes; modes PNG cannot store (CMYK, YCbCr, LAB, HSV, I, F...) are converted.

    Raises :class:`ValidationError` naming the mode and the reason when the image cannot be encoded.
    """
    buffer = io.BytesIO()
    try:
        image.save(buffer, format="PNG")
        return buffer.getvalue()
    except (OSError, ValueError, KeyError, TypeError) as first:
        reason: Exception = first
    try:
        converted = _png_compatible(image)
        buffer = io.BytesIO()
        converted.save(buffer, format="PNG")
        return buffer.getvalue()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValidationError(
            f"Cannot encode the PIL image (mode {image.mode!r}, size {getattr(image, 'size', '?')}) as PNG:"
            f" {reason}; converting it to RGB/RGBA failed too: {exc}"
        ) from exc


def _read_file_object(source: Any) -> Any:
    return source.read()


async def read_upload(source: UploadSource, *, default_name: str) -> tuple[bytes, str]:
    """The bytes of ``source`` and a file name for the multipart part.

    Paths and file objects are read in a worker thread, so a large or slow file does not block the
    event loop. A text-mode file object raises :class:`ValidationError`.
    """
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
        name = getattr(source, "name", None)
        label = repr(name) if isinstance(name, str) and name else f"the {type(source).__name__}"
        mode = getattr(source, "mode", None)
        if isinstance(source, io.TextIOBase) or (isinstance(mode, str) and "b" not in mode):
            raise ValidationError(
                f"{label} is opened in text mode: open it in binary mode ('rb') to upload it."
            )
        try:
            content: object = await anyio.to_thread.run_sync(_read_file_object, source)
        except UnicodeDecodeError as exc:
            raise ValidationError(
                f"{label} is opened in text mode: open it in binary mode ('rb') to upload it."
            ) from exc
        except OSError as exc:
            raise ValidationError(f"Cannot read {label}: {exc.strerror or exc}") from exc
        if isinstance(content, str):
            raise ValidationError(
                f"{label} is opened in text mode (read() gave str): open it in binary mode ('rb')."
            )
        if not isinstance(content, bytes | bytearray | memoryview):
            raise ValidationError(f"{label}.read() gave a {type(content).__name__}, not bytes.")
        return bytes(content), Path(name).name if isinstance(name, str) and name else default_name
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


async def image_part(source: UploadSource, *, default_name: str) -> tuple[str, bytes, str]:
    """``(file name, bytes, content type)`` of an image to send as a multipart part; not an image: error."""
    data, file_name = await read_upload(source, default_name=default_name)
    sniffed = sniff_image(data)
    if sniffed is None:
        raise ValidationError(f"{file_name!r} is not an image (PNG, JPEG, WebP, GIF, BMP or TIFF).")
    return file_name, data, sniffed[0]
