"""``ivk.videos``: upload, list, fetch, download, star and delete gallery videos (servers with videos)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .._download import (
    ProgressCallback,
    content_disposition_filename,
    precheck_target,
    resolve_target,
    stream_to_file,
)
from .._errors import NotFoundError, ValidationError
from .._pagination import AsyncPage, AsyncPaginator, page_sizes
from .._transport import segment
from .._types import NOT_GIVEN, TimeoutArg
from ..types.boards import UNCATEGORIZED
from ..types.images import ImageCategory, ImageOrigin, ImageSize, ImageWorkflow, SortOrder
from ..types.videos import (
    AddVideosToBoardResult,
    DeleteVideosResult,
    RemoveVideosFromBoardResult,
    StarredVideosResult,
    UnstarredVideosResult,
    VideoDTO,
    VideoNames,
    VideoUrls,
)
from ._base import AsyncAPIResource
from ._uploads import UploadSource, name_list, read_upload, sniff_mp4
from .boards import BoardRef, board_id_of
from .images import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, check_categories, gallery_filters, parse_workflow_reply

__all__ = ["VideosResource"]


def _video_path(name: str, suffix: str = "") -> str:
    if not isinstance(name, str) or not name or "/" in name:
        raise ValidationError(f"A video name must be a non-empty string without '/', got {name!r}.")
    return f"/api/v1/videos/i/{segment(name)}{suffix}"


def _size_suffix(size: str) -> str:
    if size not in ("full", "thumbnail"):
        raise ValidationError(f"size must be 'full' or 'thumbnail', got {size!r}.")
    return f"/{size}"


class VideosResource(AsyncAPIResource):
    """Gallery videos (MP4, H.264). On a server without the videos API every call raises
    :class:`FeatureNotSupportedError`."""

    async def upload(
        self,
        source: UploadSource,
        *,
        board: BoardRef | None = None,
        category: ImageCategory = "general",
        is_intermediate: bool = False,
        metadata: dict[str, Any] | None = None,
        session_id: str | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> VideoDTO:
        """Upload an MP4 video (H.264) from a path, bytes or a binary file object.

        A file that is not MP4 raises :class:`ValidationError` before sending; one the server cannot
        decode (another codec, a broken file) raises :class:`UnsupportedMediaTypeError`.
        """
        await self._require("videos")
        data, file_name = await read_upload(source, default_name="video.mp4")
        if not sniff_mp4(data):
            raise ValidationError(f"{file_name!r} is not an MP4 video (the only container the server takes).")
        if not file_name.lower().endswith(".mp4"):
            file_name += ".mp4"
        form: dict[str, str] = {}
        if metadata is not None:
            if not isinstance(metadata, dict):
                raise ValidationError("metadata must be a dict (it is sent as a JSON object).")
            form["metadata"] = json.dumps(metadata)
        check_categories([category])
        board_id = None if board is None else board_id_of(board)
        params = {
            "video_category": category,
            "is_intermediate": is_intermediate,
            "board_id": None if board_id == UNCATEGORIZED else board_id,
            "session_id": session_id,
        }
        return await self._parsed(
            VideoDTO,
            "POST",
            "/api/v1/videos/upload",
            params=params,
            files={"file": (file_name, data, "video/mp4")},
            data=form or None,
            timeout=timeout,
        )

    async def get(self, video_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> VideoDTO:
        """One video's record; :class:`NotFoundError` when there is no such video."""
        await self._require("videos")
        return await self._parsed(VideoDTO, "GET", _video_path(video_name), timeout=timeout)

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
    ) -> AsyncPaginator[VideoDTO]:
        """Videos matching every filter given. ``await`` it for one page, ``async for`` for all of them."""
        if offset < 0:
            raise ValidationError(f"offset must be 0 or more, got {offset}")
        page_limit, walk_limit = page_sizes(limit, default=DEFAULT_PAGE_SIZE, largest=MAX_PAGE_SIZE)
        params = gallery_filters(
            board,
            categories,
            is_intermediate,
            origin,
            starred_first,
            order,
            search,
            origin_param="video_origin",
        )

        async def fetch(offset: int, limit: int) -> AsyncPage[VideoDTO]:
            await self._require("videos")
            data = await self._json(
                "GET", "/api/v1/videos/", params={**params, "offset": offset, "limit": limit}, timeout=timeout
            )
            items = [VideoDTO.model_validate(item) for item in data["items"]]
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
    ) -> VideoNames:
        """Every matching video name in gallery order (one request), with starred and total counts."""
        await self._require("videos")
        params = gallery_filters(
            board,
            categories,
            is_intermediate,
            origin,
            starred_first,
            order,
            search,
            origin_param="video_origin",
        )
        return await self._parsed(VideoNames, "GET", "/api/v1/videos/names", params=params, timeout=timeout)

    async def download(
        self, video_name: str, *, size: ImageSize = "full", timeout: TimeoutArg = NOT_GIVEN
    ) -> bytes:
        """The MP4 file in memory, or its WebP thumbnail with ``size="thumbnail"``."""
        await self._require("videos")
        response = await self._request("GET", _video_path(video_name, _size_suffix(size)), timeout=timeout)
        return response.content

    async def download_to(
        self,
        video_name: str,
        path_or_dir: str | os.PathLike[str],
        *,
        size: ImageSize = "full",
        on_progress: ProgressCallback | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> Path:
        """Stream the video to disk in constant memory, atomically; return the path written.

        As :meth:`ImagesResource.download_to`: a directory gets the file under its (checked) name.
        """
        await self._require("videos")
        path = _video_path(video_name, _size_suffix(size))
        default = video_name if size == "full" else f"{video_name.rsplit('.', 1)[0]}.webp"
        precheck_target(path_or_dir, default)  # refuse a bad name before sending anything
        async with self._stream("GET", path, timeout=timeout) as response:
            served = content_disposition_filename(response.headers.get("content-disposition"))
            target = resolve_target(path_or_dir, served or default)
            await stream_to_file(response, target, on_progress=on_progress)
        return target

    async def star(
        self, names: str | Iterable[str], *, timeout: TimeoutArg = NOT_GIVEN
    ) -> StarredVideosResult:
        """Star videos (one name or many)."""
        await self._require("videos")
        return await self._post_in_batches(
            StarredVideosResult,
            "/api/v1/videos/star",
            name_list(names, what="video"),
            names_key="video_names",
            timeout=timeout,
        )

    async def unstar(
        self, names: str | Iterable[str], *, timeout: TimeoutArg = NOT_GIVEN
    ) -> UnstarredVideosResult:
        """Unstar videos (one name or many)."""
        await self._require("videos")
        return await self._post_in_batches(
            UnstarredVideosResult,
            "/api/v1/videos/unstar",
            name_list(names, what="video"),
            names_key="video_names",
            timeout=timeout,
        )

    async def delete(self, video_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> DeleteVideosResult:
        """Delete one video; :class:`NotFoundError` when there is no such video."""
        await self._require("videos")
        return await self._parsed(DeleteVideosResult, "DELETE", _video_path(video_name), timeout=timeout)

    async def delete_many(
        self, names: str | Iterable[str], *, timeout: TimeoutArg = NOT_GIVEN
    ) -> DeleteVideosResult:
        """Delete several videos; names that do not exist are skipped."""
        await self._require("videos")
        return await self._post_in_batches(
            DeleteVideosResult,
            "/api/v1/videos/delete",
            name_list(names, what="video"),
            names_key="video_names",
            timeout=timeout,
        )

    async def delete_uncategorized(self, *, timeout: TimeoutArg = NOT_GIVEN) -> DeleteVideosResult:
        """Delete every video that is on no board."""
        await self._require("videos")
        return await self._parsed(
            DeleteVideosResult, "DELETE", "/api/v1/videos/uncategorized", timeout=timeout
        )

    async def update(
        self,
        video_name: str,
        *,
        starred: bool | None = None,
        category: ImageCategory | None = None,
        is_intermediate: bool | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> VideoDTO:
        """Star or unstar a video, change its category, or its intermediate flag."""
        await self._require("videos")
        changes: dict[str, Any] = {}
        if starred is not None:
            changes["starred"] = bool(starred)
        if category is not None:
            changes["video_category"] = check_categories([category])[0]  # type: ignore[index]
        if is_intermediate is not None:
            changes["is_intermediate"] = bool(is_intermediate)
        if not changes:
            raise ValidationError("Nothing to update: give starred, category or is_intermediate.")
        return await self._parsed(VideoDTO, "PATCH", _video_path(video_name), json=changes, timeout=timeout)

    async def exists(self, video_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> bool:
        """Whether the server has the video's file (a ``HEAD`` request: nothing is downloaded)."""
        await self._require("videos")
        try:
            await self._request("HEAD", _video_path(video_name, "/full"), timeout=timeout)
        except NotFoundError:
            return False
        return True

    async def urls(self, video_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> VideoUrls:
        """The relative URLs of the video and of its thumbnail."""
        await self._require("videos")
        return await self._parsed(VideoUrls, "GET", _video_path(video_name, "/urls"), timeout=timeout)

    async def metadata(self, video_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> dict[str, Any] | None:
        """The InvokeAI metadata stored with the video, or ``None`` when it has none."""
        await self._require("videos")
        data = await self._json("GET", _video_path(video_name, "/metadata"), timeout=timeout)
        return data if isinstance(data, dict) else None

    async def workflow(self, video_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> ImageWorkflow:
        """The workflow and graph that made the video (each ``None`` when unknown), parsed from JSON."""
        await self._require("videos")
        response = await self._request("GET", _video_path(video_name, "/workflow"), timeout=timeout)
        return parse_workflow_reply(response, "video")

    async def add_to_board(
        self, board: BoardRef, names: str | Iterable[str], *, timeout: TimeoutArg = NOT_GIVEN
    ) -> AddVideosToBoardResult:
        """Move videos onto a board (off any other); :data:`UNCATEGORIZED` takes them off theirs."""
        await self._require("videos")
        await self._require("video_boards")
        board_id = board_id_of(board)
        added: list[str] = []
        affected: list[str] = []
        for name in name_list(names, what="video"):
            if board_id == UNCATEGORIZED:
                removed = await self._parsed(
                    RemoveVideosFromBoardResult,
                    "DELETE",
                    "/api/v1/videos/board",
                    json={"video_name": name},
                    timeout=timeout,
                )
                added += removed.removed_videos
                affected += removed.affected_boards
                continue
            result = await self._parsed(
                AddVideosToBoardResult,
                "POST",
                "/api/v1/videos/board",
                json={"board_id": board_id, "video_name": name},
                timeout=timeout,
            )
            added += result.added_videos
            affected += result.affected_boards
        return AddVideosToBoardResult(added_videos=added, affected_boards=list(dict.fromkeys(affected)))

    async def remove_from_board(
        self, names: str | Iterable[str], *, timeout: TimeoutArg = NOT_GIVEN
    ) -> RemoveVideosFromBoardResult:
        """Take videos off whatever board they are on (they become uncategorized)."""
        result = await self.add_to_board(UNCATEGORIZED, names, timeout=timeout)
        return RemoveVideosFromBoardResult(
            removed_videos=result.added_videos, affected_boards=result.affected_boards
        )
