"""Types of the ``ivk.videos`` namespace."""

from __future__ import annotations

from pydantic import Field

from .._models import ResponseModel

__all__ = [
    "AddVideosToBoardResult",
    "DeleteVideosResult",
    "RemoveVideosFromBoardResult",
    "StarredVideosResult",
    "UnstarredVideosResult",
    "VideoDTO",
    "VideoNames",
    "VideoUrls",
]


class VideoDTO(ResponseModel):
    """A video in the gallery: size, duration, frame rate, and where to fetch it (relative URLs)."""

    video_name: str
    video_url: str | None = None
    thumbnail_url: str | None = None
    video_origin: str | None = None
    video_category: str | None = None
    width: int
    height: int
    duration: float
    fps: float | None = None
    created_at: str | None = None
    updated_at: str | None = None
    deleted_at: str | None = None
    is_intermediate: bool = False
    session_id: str | None = None
    node_id: str | None = None
    starred: bool = False
    has_workflow: bool = False
    video_subfolder: str | None = None
    board_id: str | None = None
    """The video's board, ``None`` when it is uncategorized."""


class VideoNames(ResponseModel):
    """Video names in gallery order, with the number of starred videos and of all matches."""

    video_names: list[str] = Field(default_factory=list)
    starred_count: int = 0
    total_count: int = 0


class DeleteVideosResult(ResponseModel):
    """Which videos were deleted, which failed, and which boards changed."""

    deleted_videos: list[str] = Field(default_factory=list)
    failed_videos: list[str] = Field(default_factory=list)
    affected_boards: list[str] = Field(default_factory=list)


class StarredVideosResult(ResponseModel):
    """Which videos were starred, which failed, and which boards changed."""

    starred_videos: list[str] = Field(default_factory=list)
    failed_videos: list[str] = Field(default_factory=list)
    affected_boards: list[str] = Field(default_factory=list)


class UnstarredVideosResult(ResponseModel):
    """Which videos were unstarred, which failed, and which boards changed."""

    unstarred_videos: list[str] = Field(default_factory=list)
    failed_videos: list[str] = Field(default_factory=list)
    affected_boards: list[str] = Field(default_factory=list)


class VideoUrls(ResponseModel):
    """The relative URLs of a video and of its thumbnail."""

    video_name: str
    video_url: str
    thumbnail_url: str


class AddVideosToBoardResult(ResponseModel):
    """Which videos were moved onto the board, and which boards changed."""

    added_videos: list[str] = Field(default_factory=list)
    affected_boards: list[str] = Field(default_factory=list)


class RemoveVideosFromBoardResult(ResponseModel):
    """Which videos were taken off their board, and which boards changed."""

    removed_videos: list[str] = Field(default_factory=list)
    affected_boards: list[str] = Field(default_factory=list)
