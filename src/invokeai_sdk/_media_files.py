"""Gallery files by name: their routes, the check that a file is an image, and the download to disk.

``ivk.images`` and ``ivk.videos`` download through :func:`download_media_to`; job handles, which stand
below the namespaces, download their output images through :func:`download_image_to` (the same steps
as ``ivk.images.download_to``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from ._download import (
    ProgressCallback,
    content_disposition_filename,
    precheck_target,
    resolve_target,
    stream_to_file,
)
from ._errors import APIResponseValidationError, ValidationError
from ._transport import segment
from ._types import NOT_GIVEN, TimeoutArg

if TYPE_CHECKING:
    from ._base_client import BaseClient

__all__ = [
    "IMAGES_PREFIX",
    "check_image",
    "download_image_to",
    "download_media_to",
    "media_path",
    "sniff_image",
]

IMAGES_PREFIX = "/api/v1/images"
"""The prefix of the image routes."""

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


def check_image(content_type: str | None, head: bytes | None, *, response: httpx.Response, what: str) -> None:
    """Raise :class:`APIResponseValidationError` unless the response is an image.

    ``content_type`` (when the server sent one) must be ``image/*``; ``head`` (the first bytes of the
    body, when known) must start like an image file. Catches an HTML page (a web UI's ``index.html``,
    a proxy's error page) served where an image was expected.
    """
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media and not media.startswith("image/"):
        raise APIResponseValidationError(
            f"{what!r} is not an image: the server sent {media!r}.", response=response
        )
    if head is not None and sniff_image(head) is None:
        raise APIResponseValidationError(
            f"{what!r} is not an image: its bytes start with {head[:16]!r}.", response=response
        )


def media_path(prefix: str, kind: str, name: str, suffix: str = "") -> str:
    """``<prefix>/i/<name><suffix>``; ``name`` (of a ``kind``: image, video) must be a non-empty string
    without ``/``."""
    if not isinstance(name, str) or not name or "/" in name:
        article = "An" if kind[0] in "aeiou" else "A"
        raise ValidationError(f"{article} {kind} name must be a non-empty string without '/', got {name!r}.")
    return f"{prefix}/i/{segment(name)}{suffix}"


async def download_media_to(
    client: BaseClient,
    path: str,
    name: str,
    path_or_dir: str | os.PathLike[str],
    *,
    default: str,
    image_files: bool,
    on_progress: ProgressCallback | None,
    timeout: TimeoutArg,
) -> Path:
    """Stream the file at ``path`` (the file of ``name``) into ``path_or_dir``, atomically.

    ``default`` is the file name when the server names none; ``image_files`` checks that the file is
    an image (its content type, then its first bytes once written). A bad target is refused before
    anything is sent.
    """
    precheck_target(path_or_dir, default)
    async with client.stream("GET", path, timeout=timeout) as response:
        raw = response.http_response
        if image_files:
            check_image(response.headers.get("content-type"), None, response=raw, what=name)
        served = content_disposition_filename(response.headers.get("content-disposition"))
        target = resolve_target(path_or_dir, served or default)

        def verify(written: Path) -> None:
            with written.open("rb") as handle:
                check_image(None, handle.read(16), response=raw, what=name)

        await stream_to_file(
            response, target, verify=verify if image_files else None, on_progress=on_progress
        )
    return target


async def download_image_to(
    client: BaseClient, name: str, path_or_dir: str | os.PathLike[str], *, timeout: TimeoutArg = NOT_GIVEN
) -> Path:
    """The full image ``name`` into ``path_or_dir``, as ``ivk.images.download_to(name, path_or_dir)``."""
    path = media_path(IMAGES_PREFIX, "image", name, "/full")
    return await download_media_to(
        client, path, name, path_or_dir, default=name, image_files=True, on_progress=None, timeout=timeout
    )
