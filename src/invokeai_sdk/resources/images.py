"""``ivk.images``: upload, list, fetch, download, star, move and delete gallery images; bulk zips."""

from __future__ import annotations

import builtins
import io
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import httpx

from .._download import (
    ProgressCallback,
    content_disposition_filename,
    precheck_target,
    resolve_target,
    stream_to_file,
)
from .._errors import APIResponseValidationError, NotFoundError, ValidationError
from .._pagination import AsyncPage, AsyncPaginator, page_sizes
from .._transport import segment
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
from ._base import AsyncAPIResource
from ._categories import check_categories
from ._uploads import UploadSource, name_list, read_upload, sniff_image
from .boards import BATCH_LIMIT, BoardRef, BoardsResource, board_id_of

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

__all__ = ["DEFAULT_PAGE_SIZE", "ImagesResource", "check_categories", "gallery_filters"]

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_RESIZE_PIXELS = 4096 * 4096


def gallery_filters(
    board: BoardRef | None,
    categories: str | Iterable[str] | None,
    is_intermediate: bool | None,
    origin: ImageOrigin | None,
    starred_first: bool,
    order: SortOrder,
    search: str | None,
    *,
    origin_param: str = "image_origin",
) -> dict[str, Any]:
    """Query parameters of the gallery listings (images and videos share every filter)."""
    if order not in ("asc", "desc"):
        raise ValidationError(f"order must be 'asc' or 'desc', got {order!r}.")
    if origin is not None and origin not in ("internal", "external"):
        raise ValidationError(f"origin must be 'internal' or 'external', got {origin!r}.")
    return {
        "board_id": None if board is None else board_id_of(board),
        "categories": check_categories(categories),
        "is_intermediate": is_intermediate,
        origin_param: origin,
        "starred_first": starred_first,
        "order_dir": order.upper(),
        "search_term": search or None,
    }


def _check_category(category: str) -> str:
    check_categories([category])
    return category


def _image_path(name: str, suffix: str = "") -> str:
    if not isinstance(name, str) or not name or "/" in name:
        raise ValidationError(f"An image name must be a non-empty string without '/', got {name!r}.")
    return f"/api/v1/images/i/{segment(name)}{suffix}"


def _check_image(
    content_type: str | None, head: bytes | None, *, response: httpx.Response, what: str
) -> None:
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


def _size_suffix(size: str) -> str:
    if size not in ("full", "thumbnail"):
        raise ValidationError(f"size must be 'full' or 'thumbnail', got {size!r}.")
    return f"/{size}"


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


def _parse_json_field(value: Any, what: str, kind: str = "image") -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"The {kind}'s embedded {what} is not valid JSON: {exc}") from exc
    return parsed if isinstance(parsed, dict) else None


def parse_workflow_reply(response: httpx.Response, kind: str) -> ImageWorkflow:
    """The ``{workflow, graph}`` reply of an image's or a video's ``/workflow``, both parsed from JSON."""
    name = response.request.url.path.rsplit("/", 2)[-2]
    try:
        raw = response.json()
        return ImageWorkflow(
            workflow=_parse_json_field(raw.get("workflow"), "workflow", kind),
            graph=_parse_json_field(raw.get("graph"), "graph", kind),
        )
    except (ValueError, AttributeError) as exc:
        raise APIResponseValidationError(
            f"Unexpected workflow response for {unquote(name)!r}: {exc}", response=response
        ) from exc


class ImagesResource(AsyncAPIResource):
    """Gallery images. Names (``"<uuid>.png"``) identify images; boards are ids or :class:`BoardDTO`."""

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
        form: dict[str, str] = {}
        if metadata is not None:
            if not isinstance(metadata, dict):
                raise ValidationError("metadata must be a dict (it is sent as a JSON object).")
            form["metadata"] = json.dumps(metadata)
        resize = _resize_field(resize_to)
        if resize is not None:
            form["resize_to"] = resize
        board_id = None if board is None else board_id_of(board)
        params = {
            "image_category": _check_category(category),
            "is_intermediate": is_intermediate,
            "board_id": None if board_id == UNCATEGORIZED else board_id,
            "session_id": session_id,
        }
        return await self._parsed(
            ImageDTO,
            "POST",
            "/api/v1/images/upload",
            params=params,
            files={"file": (file_name, data, content_type)},
            data=form or None,
            timeout=timeout,
        )

    async def get(self, image_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> ImageDTO:
        """One image's record; :class:`NotFoundError` when there is no such image."""
        return await self._parsed(ImageDTO, "GET", _image_path(image_name), timeout=timeout)

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
        if offset < 0:
            raise ValidationError(f"offset must be 0 or more, got {offset}")
        page_limit, walk_limit = page_sizes(limit, default=DEFAULT_PAGE_SIZE, largest=MAX_PAGE_SIZE)
        params = gallery_filters(board, categories, is_intermediate, origin, starred_first, order, search)

        async def fetch(offset: int, limit: int) -> AsyncPage[ImageDTO]:
            data = await self._json(
                "GET", "/api/v1/images/", params={**params, "offset": offset, "limit": limit}, timeout=timeout
            )
            items = [ImageDTO.model_validate(item) for item in data["items"]]
            return AsyncPage(items, offset=offset, limit=limit, total=data.get("total"), fetch=fetch)

        return AsyncPaginator(fetch, offset=offset, limit=page_limit, walk_limit=walk_limit)

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
        params = gallery_filters(board, categories, is_intermediate, origin, starred_first, order, search)
        return await self._parsed(ImageNames, "GET", "/api/v1/images/names", params=params, timeout=timeout)

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
        params = gallery_filters(board, None, is_intermediate, None, False, "desc", None)
        data = await self._json(
            "GET", "/api/v1/images/", params={**params, "offset": 0, "limit": 1}, timeout=timeout
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
        response = await self._request("GET", _image_path(image_name, _size_suffix(size)), timeout=timeout)
        _check_image(
            response.headers.get("content-type"), response.content[:16], response=response, what=image_name
        )
        return response.content

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
        path = _image_path(image_name, _size_suffix(size))
        default = image_name if size == "full" else f"{image_name.rsplit('.', 1)[0]}.webp"
        precheck_target(path_or_dir, default)  # refuse a bad name before sending anything
        async with self._stream("GET", path, timeout=timeout) as response:
            raw = response.http_response
            _check_image(response.headers.get("content-type"), None, response=raw, what=image_name)
            served = content_disposition_filename(response.headers.get("content-disposition"))
            target = resolve_target(path_or_dir, served or default)

            def verify(written: Path) -> None:
                with written.open("rb") as handle:
                    _check_image(None, handle.read(16), response=raw, what=image_name)

            await stream_to_file(response, target, verify=verify, on_progress=on_progress)
        return target

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
        try:
            await self._request("HEAD", _image_path(image_name, "/full"), timeout=timeout)
        except NotFoundError:
            return False
        return True

    async def urls(self, image_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> ImageUrls:
        """The relative URLs of the image and of its thumbnail."""
        return await self._parsed(ImageUrls, "GET", _image_path(image_name, "/urls"), timeout=timeout)

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
            )
        return out

    # -- embedded data -----------------------------------------------------------------------

    async def metadata(self, image_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> dict[str, Any] | None:
        """The InvokeAI metadata stored with the image, or ``None`` when it has none."""
        data = await self._json("GET", _image_path(image_name, "/metadata"), timeout=timeout)
        return data if isinstance(data, dict) else None

    async def workflow(self, image_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> ImageWorkflow:
        """The workflow and graph embedded in the image, both parsed from their JSON strings."""
        response = await self._request("GET", _image_path(image_name, "/workflow"), timeout=timeout)
        return parse_workflow_reply(response, "image")

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
        changes: dict[str, Any] = {}
        if starred is not None:
            changes["starred"] = bool(starred)
        if category is not None:
            changes["image_category"] = _check_category(category)
        if is_intermediate is not None:
            changes["is_intermediate"] = bool(is_intermediate)
        if not changes:
            raise ValidationError("Nothing to update: give starred, category or is_intermediate.")
        return await self._parsed(ImageDTO, "PATCH", _image_path(image_name), json=changes, timeout=timeout)

    async def star(
        self, names: str | Iterable[str], *, timeout: TimeoutArg = NOT_GIVEN
    ) -> StarredImagesResult:
        """Star images (one name or many)."""
        return await self._post_in_batches(
            StarredImagesResult,
            "/api/v1/images/star",
            name_list(names),
            names_key="image_names",
            timeout=timeout,
        )

    async def unstar(
        self, names: str | Iterable[str], *, timeout: TimeoutArg = NOT_GIVEN
    ) -> UnstarredImagesResult:
        """Unstar images (one name or many)."""
        return await self._post_in_batches(
            UnstarredImagesResult,
            "/api/v1/images/unstar",
            name_list(names),
            names_key="image_names",
            timeout=timeout,
        )

    async def delete(self, image_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> DeleteImagesResult:
        """Delete one image; :class:`NotFoundError` when there is no such image.

        Servers before 6.3 answer ``null``: the result then lists the image, without ``affected_boards``.
        """
        result = await self._parsed(
            DeleteImagesResult | None, "DELETE", _image_path(image_name), timeout=timeout
        )
        return result if result is not None else DeleteImagesResult(deleted_images=[image_name])

    async def delete_many(
        self, names: str | Iterable[str], *, timeout: TimeoutArg = NOT_GIVEN
    ) -> DeleteImagesResult:
        """Delete several images; names that do not exist are skipped (not in ``deleted_images``)."""
        return await self._post_in_batches(
            DeleteImagesResult,
            "/api/v1/images/delete",
            name_list(names),
            names_key="image_names",
            timeout=timeout,
        )

    async def delete_intermediates(self, *, timeout: TimeoutArg = NOT_GIVEN) -> int:
        """Delete every intermediate image; returns how many were deleted."""
        return int(await self._json("DELETE", "/api/v1/images/intermediates", timeout=timeout))

    async def delete_uncategorized(self, *, timeout: TimeoutArg = NOT_GIVEN) -> DeleteImagesResult:
        """Delete every image that is on no board."""
        return await self._parsed(
            DeleteImagesResult, "DELETE", "/api/v1/images/uncategorized", timeout=timeout
        )

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
