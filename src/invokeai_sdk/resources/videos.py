"""``ivk.videos``: upload, list, fetch, download, star and delete gallery videos (servers with videos)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .._download import ProgressCallback
from .._errors import ValidationError
from .._pagination import AsyncPaginator
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
from ._media import MediaResource, metadata_form
from ._uploads import UploadSource, name_list, read_upload, sniff_mp4
from .boards import BoardRef, board_id_of

__all__ = ["VideosResource"]


class VideosResource(MediaResource[VideoDTO]):
    """Gallery videos (MP4, H.264). On a server without the videos API every call raises
    :class:`FeatureNotSupportedError`."""

    _item = VideoDTO
    _kind = "video"
    _prefix = "/api/v1/videos"
    _feature = "videos"

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
        await self._ready()
        data, file_name = await read_upload(source, default_name="video.mp4")
        if not sniff_mp4(data):
            raise ValidationError(f"{file_name!r} is not an MP4 video (the only container the server takes).")
        if not file_name.lower().endswith(".mp4"):
            file_name += ".mp4"
        return await self._upload(
            (file_name, data, "video/mp4"),
            metadata_form(metadata),
            board=board,
            category=category,
            is_intermediate=is_intermediate,
            session_id=session_id,
            timeout=timeout,
        )

    async def get(self, video_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> VideoDTO:
        """One video's record; :class:`NotFoundError` when there is no such video."""
        return await self._get(video_name, timeout)

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
    ) -> VideoNames:
        """Every matching video name in gallery order (one request), with starred and total counts."""
        filters = (board, categories, is_intermediate, origin, starred_first, order, search)
        return await self._names(VideoNames, filters, timeout)

    async def download(
        self, video_name: str, *, size: ImageSize = "full", timeout: TimeoutArg = NOT_GIVEN
    ) -> bytes:
        """The MP4 file in memory, or its WebP thumbnail with ``size="thumbnail"``."""
        return await self._download(video_name, size, timeout)

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
        return await self._download_to(video_name, path_or_dir, size, on_progress, timeout)

    async def star(
        self, names: str | Iterable[str], *, timeout: TimeoutArg = NOT_GIVEN
    ) -> StarredVideosResult:
        """Star videos (one name or many)."""
        return await self._post_names(StarredVideosResult, "star", names, timeout)

    async def unstar(
        self, names: str | Iterable[str], *, timeout: TimeoutArg = NOT_GIVEN
    ) -> UnstarredVideosResult:
        """Unstar videos (one name or many)."""
        return await self._post_names(UnstarredVideosResult, "unstar", names, timeout)

    async def delete(self, video_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> DeleteVideosResult:
        """Delete one video; :class:`NotFoundError` when there is no such video."""
        await self._ready()
        return await self._parsed(DeleteVideosResult, "DELETE", self._path(video_name), timeout=timeout)

    async def delete_many(
        self, names: str | Iterable[str], *, timeout: TimeoutArg = NOT_GIVEN
    ) -> DeleteVideosResult:
        """Delete several videos; names that do not exist are skipped."""
        return await self._post_names(DeleteVideosResult, "delete", names, timeout)

    async def delete_uncategorized(self, *, timeout: TimeoutArg = NOT_GIVEN) -> DeleteVideosResult:
        """Delete every video that is on no board."""
        return await self._delete_uncategorized(DeleteVideosResult, timeout)

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
        return await self._update(video_name, starred, category, is_intermediate, timeout)

    async def exists(self, video_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> bool:
        """Whether the server has the video's file (a ``HEAD`` request: nothing is downloaded)."""
        return await self._exists(video_name, timeout)

    async def urls(self, video_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> VideoUrls:
        """The relative URLs of the video and of its thumbnail."""
        return await self._urls(VideoUrls, video_name, timeout)

    async def metadata(self, video_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> dict[str, Any] | None:
        """The InvokeAI metadata stored with the video, or ``None`` when it has none."""
        return await self._metadata(video_name, timeout)

    async def workflow(self, video_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> ImageWorkflow:
        """The workflow and graph that made the video (each ``None`` when unknown), parsed from JSON."""
        return await self._workflow(video_name, timeout)

    async def add_to_board(
        self, board: BoardRef, names: str | Iterable[str], *, timeout: TimeoutArg = NOT_GIVEN
    ) -> AddVideosToBoardResult:
        """Move videos onto a board (off any other); :data:`UNCATEGORIZED` takes them off theirs."""
        await self._ready()
        await self._require("video_boards")
        board_id = board_id_of(board)
        added: list[str] = []
        affected: list[str] = []
        for name in name_list(names, what="video"):
            if board_id == UNCATEGORIZED:
                removed = await self._parsed(
                    RemoveVideosFromBoardResult,
                    "DELETE",
                    f"{self._prefix}/board",
                    json={"video_name": name},
                    timeout=timeout,
                )
                added += removed.removed_videos
                affected += removed.affected_boards
                continue
            result = await self._parsed(
                AddVideosToBoardResult,
                "POST",
                f"{self._prefix}/board",
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
