"""Types of the ``ivk.boards`` namespace."""

from __future__ import annotations

from pydantic import Field

from .._models import ResponseModel
from .._types import UNCATEGORIZED

__all__ = [
    "UNCATEGORIZED",
    "AddImagesToBoardResult",
    "BoardDTO",
    "DeleteBoardResult",
    "RemoveImagesFromBoardResult",
]


class BoardDTO(ResponseModel):
    """A board: its id and name, cover image, counts of what is on it, and whether it is archived.

    ``board_visibility`` (private, shared, public) matters on multi-user servers; it is a plain string
    so that values added by newer servers do not break parsing.
    """

    board_id: str
    board_name: str
    user_id: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    deleted_at: str | None = None
    cover_image_name: str | None = None
    cover_video_name: str | None = None
    archived: bool = False
    board_visibility: str | None = None
    image_count: int = 0
    video_count: int = 0
    asset_count: int = 0
    owner_username: str | None = None


class DeleteBoardResult(ResponseModel):
    """What deleting a board did: the images (and videos) deleted, or only taken off the board."""

    board_id: str
    deleted_board_images: list[str] = Field(default_factory=list)
    """Images taken off the board and kept (they are uncategorized now)."""
    deleted_images: list[str] = Field(default_factory=list)
    """Images deleted with the board (``include_images=True``)."""
    deleted_board_videos: list[str] = Field(default_factory=list)
    deleted_videos: list[str] = Field(default_factory=list)
    failed_images: list[str] = Field(default_factory=list)
    failed_videos: list[str] = Field(default_factory=list)


class AddImagesToBoardResult(ResponseModel):
    """Which images were put on the board, which failed, and which boards changed."""

    added_images: list[str] = Field(default_factory=list)
    failed_images: list[str] = Field(default_factory=list)
    affected_boards: list[str] = Field(default_factory=list)


class RemoveImagesFromBoardResult(ResponseModel):
    """Which images were taken off their board, which failed, and which boards changed."""

    removed_images: list[str] = Field(default_factory=list)
    failed_images: list[str] = Field(default_factory=list)
    affected_boards: list[str] = Field(default_factory=list)
