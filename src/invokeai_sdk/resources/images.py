"""``ivk.images``: upload, list, fetch, download, star, move and delete gallery images; bulk zips."""

from __future__ import annotations

import builtins
import io
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._download import ProgressCallback
from .._errors import ValidationError
from .._media_files import IMAGES_PREFIX, sniff_image
from .._pagination import AsyncPaginator
from .._types import NOT_GIVEN, TimeoutArg
from ..types.boards import UNCATEGORIZED
from ..types.images import (
    BulkDownloadResult,
    DeleteImagesResult,
    ImageCategory,
    ImageDTO,
    ImageNames,
    ImageOrigin,
    ImageSize,
    ImageUrls,
    ImageWorkflow,
    SortOrder,
    StarredImagesResult,
    UnstarredImagesResult,
)
from ._categories import check_categories
from ._media import DEFAULT_PAGE_SIZE, MediaResource, gallery_filters, metadata_form
from ._uploads import UploadSource, name_list, read_upload
from .boards import BATCH_LIMIT, BoardRef, BoardsResource, board_id_of

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

__all__ = ["DEFAULT_PAGE_SIZE", "ImagesResource", "check_categories", "gallery_filters"]

MAX_RESIZE_PIXELS = 4096 * 4096


def _resize_field(resize_to: tuple[int, int] | dict[str, int] | None) -> str | None:
    if resize_to is None:
        return None
    if isinstance(resize_to, dict):
        width, height = resize_to.get("width"), resize_to.get("height")
    else:
        width, height = tuple(resize_to) if len(resize_to) == 2 else (None, None)
    if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
        raise ValidationError(f"resize_to must be (width, height) with positive integers, got {resize_to!r}.")
    if width * height > MAX_RESIZE_PIXELS:
        raise ValidationError(f"resize_to may have at most {MAX_RESIZE_PIXELS} pixels, got {width}x{height}.")
    return json.dumps({"width": width, "height": height})


class ImagesResource(MediaResource[ImageDTO]):
    """Gallery images. Names (``"<uuid>.png"``) identify images; boards are ids or :class:`BoardDTO`."""

    _item = ImageDTO
    _kind = "image"
    _prefix = IMAGES_PREFIX
    _image_files = True

    async def upload(
        self,
        source: UploadSource,
        *,
        board: BoardRef | None = None,
        category: ImageCategory = "general",
        is_intermediate: bool = False,
        metadata: dict[str, Any] | None = None,
        resize_to: tuple[int, int] | dict[str, int] | None = None,
        session_id: str | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> ImageDTO:
        """Upload an image from a path, bytes, a binary file object or a ``PIL.Image``.

        The bytes must be an image (PNG, JPEG, WebP, GIF, BMP, TIFF): anything else raises
        :class:`ValidationError` before sending; bytes the server cannot decode raise
        :class:`UnsupportedMediaTypeError`. A ``PIL.Image`` is sent as PNG; modes PNG cannot store
        (CMYK, YCbCr, LAB, HSV, ...) are converted to RGB, or RGBA when there is alpha. Files are read
        in a worker thread; a text-mode file raises :class:`ValidationError`. ``metadata`` is stored
        as the image's InvokeAI metadata; ``resize_to=(w, h)`` has the server resize it. An upload is
        never retried once sent.
        """
        data, file_name = await read_upload(source, default_name="image.png")
        sniffed = sniff_image(data)
        if sniffed is None:
            raise ValidationError(
                f"{file_name!r} is not an image the server reads (PNG, JPEG, WebP, GIF, BMP or TIFF)."
            )
        content_type, _ext = sniffed
        form = metadata_form(metadata)
        resize = _resize_field(resize_to)
        if resize is not None:
            form["resize_to"] = resize
        return await self._upload(
            (file_name, data, content_type),
            form,
            board=board,
            category=category,
            is_intermediate=is_intermediate,
            session_id=session_id,
            timeout=timeout,
        )

    async def get(self, image_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> ImageDTO:
        """One image's record; :class:`NotFoundError` when there is no such image."""
        return await self._get(image_name, timeout)

    def list(
        self,
        *,
        board: BoardRef | None = None,
        categories: str | Iterable[str] | None = None,
        is_intermediate: bool | None = None,
        origin: ImageOrigin | None = None,
        starred_first: bool = True,
        order: SortOrder = "desc",
        search: str | None = None,
        offset: int = 0,
        limit: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> AsyncPaginator[ImageDTO]:
        """Images matching every filter given. ``await`` it for one page, ``async for`` for all of them.

        ``board=UNCATEGORIZED`` lists images on no board. ``limit`` is the page size (1-1000); unset,
        one page holds 100 images and a full walk pages by 1,000.
        """
        filters = (board, categories, is_intermediate, origin, starred_first, order, search)
        return self._list(filters, offset, limit, timeout)

    async def names(
        self,
        *,
        board: BoardRef | None = None,
        categories: str | Iterable[str] | None = None,
        is_intermediate: bool | None = None,
        origin: ImageOrigin | None = None,
        starred_first: bool = True,
        order: SortOrder = "desc",
        search: str | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> ImageNames:
        """Every matching image name in gallery order (one request), with starred and total counts."""
        filters = (board, categories, is_intermediate, origin, starred_first, order, search)
        return await self._names(ImageNames, filters, timeout)

    async def latest(
        self,
        *,
        board: BoardRef | None = None,
        is_intermediate: bool | None = False,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> ImageDTO | None:
        """The newest gallery image (on ``board`` when given), or ``None``; one request.

        Starred images are not put first. Intermediates (the scratch images a graph leaves behind
        mid-run) are left out by default, as the gallery does: ``is_intermediate=True`` asks for
        the newest intermediate instead, ``is_intermediate=None`` for the newest of either kind.
        """
        params = self._filters((board, None, is_intermediate, None, False, "desc", None))
        data = await self._json(
            "GET", f"{self._prefix}/", params={**params, "offset": 0, "limit": 1}, timeout=timeout
        )
        items = data["items"]
        return ImageDTO.model_validate(items[0]) if items else None

    async def count_intermediates(self, *, timeout: TimeoutArg = NOT_GIVEN) -> int:
        """How many intermediate images the server holds."""
        return int(await self._json("GET", "/api/v1/images/intermediates", timeout=timeout))

    # -- files -------------------------------------------------------------------------------

    async def download(
        self, image_name: str, *, size: ImageSize = "full", timeout: TimeoutArg = NOT_GIVEN
    ) -> bytes:
        """The image file in memory: the full PNG, or the WebP thumbnail with ``size="thumbnail"``."""
        return await self._download(image_name, size, timeout)

    async def download_to(
        self,
        image_name: str,
        path_or_dir: str | os.PathLike[str],
        *,
        size: ImageSize = "full",
        on_progress: ProgressCallback | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> Path:
        """Stream the image to disk in constant memory; return the path written.

        ``path_or_dir`` is a file path, or a directory to write the file into under the server's
        name for it: an existing directory, or any path ending in ``/`` (``"out/"``), created when
        missing. That name is checked: a name that is a path (``../x.png``, ``/etc/x``) raises
        :class:`ValidationError` and nothing is written. The file appears atomically: after an
        error or a cancellation there is neither a partial file nor a temporary one.
        ``on_progress(bytes_written, total_bytes)`` is called after each chunk (``total_bytes`` is
        ``None`` when the server announced no length), e.g. to draw a progress bar.
        """
        return await self._download_to(image_name, path_or_dir, size, on_progress, timeout)

    async def open_image(
        self, image_name: str, *, size: ImageSize = "full", timeout: TimeoutArg = NOT_GIVEN
    ) -> PILImage:
        """The image as a loaded ``PIL.Image.Image`` (needs Pillow: ``pip install invokeai-sdk[pillow]``)."""
        try:
            from PIL import Image
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("open_image() needs Pillow: pip install 'invokeai-sdk[pillow]'") from exc
        data = await self.download(image_name, size=size, timeout=timeout)
        image = Image.open(io.BytesIO(data))
        image.load()
        return image

    async def exists(self, image_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> bool:
        """Whether the server has the image's file (a ``HEAD`` request: nothing is downloaded)."""
        return await self._exists(image_name, timeout)

    async def urls(self, image_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> ImageUrls:
        """The relative URLs of the image and of its thumbnail."""
        return await self._urls(ImageUrls, image_name, timeout)

    async def get_many(
        self, names: str | Iterable[str], *, timeout: TimeoutArg = NOT_GIVEN
    ) -> builtins.list[ImageDTO]:
        """The records of several images (one request per 1000 names); missing names are skipped."""
        await self._require("images_by_names")
        image_names = name_list(names)
        out: builtins.list[ImageDTO] = []
        for start in range(0, len(image_names), BATCH_LIMIT):
            out += await self._parsed(
                builtins.list[ImageDTO],
                "POST",
                "/api/v1/images/images_by_names",
                json={"image_names": image_names[start : start + BATCH_LIMIT]},
                timeout=timeout,
                idempotent=True,  # a read: safe to send again after a reset
            )
        return out

    # -- embedded data -----------------------------------------------------------------------

    async def metadata(self, image_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> dict[str, Any] | None:
        """The InvokeAI metadata stored with the image, or ``None`` when it has none."""
        return await self._metadata(image_name, timeout)

    async def workflow(self, image_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> ImageWorkflow:
        """The workflow and graph embedded in the image, both parsed from their JSON strings."""
        return await self._workflow(image_name, timeout)

    # -- changes -----------------------------------------------------------------------------

    async def update(
        self,
        image_name: str,
        *,
        starred: bool | None = None,
        category: ImageCategory | None = None,
        is_intermediate: bool | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> ImageDTO:
        """Star or unstar an image, change its category, or its intermediate flag."""
        return await self._update(image_name, starred, category, is_intermediate, timeout)

    async def star(
        self, names: str | Iterable[str], *, timeout: TimeoutArg = NOT_GIVEN
    ) -> StarredImagesResult:
        """Star images (one name or many)."""
        return await self._post_names(StarredImagesResult, "star", names, timeout)

    async def unstar(
        self, names: str | Iterable[str], *, timeout: TimeoutArg = NOT_GIVEN
    ) -> UnstarredImagesResult:
        """Unstar images (one name or many)."""
        return await self._post_names(UnstarredImagesResult, "unstar", names, timeout)

    async def delete(self, image_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> DeleteImagesResult:
        """Delete one image; :class:`NotFoundError` when there is no such image.

        Servers before 6.3 answer ``null``: the result then lists the image, without ``affected_boards``.
        """
        result = await self._parsed(
            DeleteImagesResult | None, "DELETE", self._path(image_name), timeout=timeout
        )
        return result if result is not None else DeleteImagesResult(deleted_images=[image_name])

    async def delete_many(
        self, names: str | Iterable[str], *, timeout: TimeoutArg = NOT_GIVEN
    ) -> DeleteImagesResult:
        """Delete several images; names that do not exist are skipped (not in ``deleted_images``)."""
        return await self._post_names(DeleteImagesResult, "delete", names, timeout)

    async def delete_intermediates(self, *, timeout: TimeoutArg = NOT_GIVEN) -> int:
        """Delete every intermediate image; returns how many were deleted."""
        return int(await self._json("DELETE", "/api/v1/images/intermediates", timeout=timeout))

    async def delete_uncategorized(self, *, timeout: TimeoutArg = NOT_GIVEN) -> DeleteImagesResult:
        """Delete every image that is on no board."""
        return await self._delete_uncategorized(DeleteImagesResult, timeout)

    # -- bulk zip ----------------------------------------------------------------------------

    async def bulk_download(
        self,
        names: str | Iterable[str] | None = None,
        *,
        board: BoardRef | None = None,
        to: str | os.PathLike[str],
        wait_timeout: float = 300.0,
        poll_interval: float = 1.0,
        on_progress: ProgressCallback | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> BulkDownloadResult:
        """Have the server zip images (by name, or a whole board) and stream the zip to ``to``.

        ``to`` is a file path or a directory (the server's zip name is used then). An unknown
        ``board`` raises :class:`NotFoundError` before anything is zipped.

        The server writes the zip in place and deletes it after its first successful GET, so a GET
        sent too early could fetch a half-written zip and destroy the real one. While the event
        stream is live the zip is therefore fetched only once ``bulk_download_complete`` for it has
        arrived (``bulk_download_error`` raises :class:`BulkDownloadError`); the URL is polled every
        ``poll_interval`` seconds only when events cannot be used (no asyncio loop, socket refused),
        or probed once after a long silence. The zip is fetched once, written atomically, and
        checked to be a complete archive with every requested image
        (:class:`APIConnectionError` otherwise). :class:`WaitTimeoutError` after ``wait_timeout``.
        ``on_progress(bytes_written, total_bytes)`` follows the zip's download (the server reports
        nothing while it builds the zip).
        """
        from ._bulk_download import run_bulk_download

        image_names = None if names is None else name_list(names)
        if not image_names and board is None:
            raise ValidationError("Give image names or a board to download.")
        if image_names and len(image_names) > BATCH_LIMIT:
            raise ValidationError(f"A bulk download takes at most {BATCH_LIMIT} image names.")
        body: dict[str, Any] = {}
        if image_names:
            body["image_names"] = image_names
        if board is not None:
            board_id = board_id_of(board)
            if board_id != UNCATEGORIZED:
                # The server answers an unknown board with a 500 (it looks the board's name up for
                # the zip's name): check it first so the caller gets a NotFoundError.
                await BoardsResource(self._client).get(board_id, timeout=timeout)
            body["board_id"] = board_id
        return await run_bulk_download(
            self,
            body,
            to=to,
            expected=image_names,
            wait_timeout=wait_timeout,
            poll_interval=poll_interval,
            timeout=timeout,
            on_progress=on_progress,
        )
