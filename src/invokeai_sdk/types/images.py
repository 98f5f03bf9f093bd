"""Types of the ``ivk.images`` namespace."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, TypeAlias

from pydantic import Field

from .._models import ResponseModel

__all__ = [
    "IMAGE_CATEGORIES",
    "BulkDownloadResult",
    "DeleteImagesResult",
    "ImageCategory",
    "ImageDTO",
    "ImageNames",
    "ImageOrigin",
    "ImageSize",
    "ImageUrls",
    "ImageWorkflow",
    "SortOrder",
    "StarredImagesResult",
    "UnstarredImagesResult",
]

ImageCategory: TypeAlias = Literal["general", "mask", "control", "user", "other"]
"""What an image is for; uploads default to ``"general"``."""
IMAGE_CATEGORIES: frozenset[str] = frozenset({"general", "mask", "control", "user", "other"})
ImageOrigin: TypeAlias = Literal["internal", "external"]
"""``internal``: made by the server; ``external``: uploaded."""
ImageSize: TypeAlias = Literal["full", "thumbnail"]
"""Which file of an image to download: the full PNG or the small WebP thumbnail."""
SortOrder: TypeAlias = Literal["asc", "desc"]
"""Order by creation time: oldest first (``asc``) or newest first (``desc``)."""


class ImageDTO(ResponseModel):
    """An image in the gallery. ``image_url`` and ``thumbnail_url`` are relative to the server root."""

    image_name: str
    image_url: str | None = None
    thumbnail_url: str | None = None
    image_origin: str | None = None
    image_category: str | None = None
    width: int
    height: int
    created_at: str | None = None
    updated_at: str | None = None
    deleted_at: str | None = None
    is_intermediate: bool = False
    session_id: str | None = None
    node_id: str | None = None
    starred: bool = False
    has_workflow: bool = False
    image_subfolder: str | None = None
    board_id: str | None = None
    """The image's board, ``None`` when it is uncategorized."""


class ImageNames(ResponseModel):
    """Image names in gallery order, with the number of starred images and of all matches."""

    image_names: list[str] = Field(default_factory=list)
    starred_count: int = 0
    total_count: int = 0


class ImageWorkflow(ResponseModel):
    """The workflow and graph embedded in an image (each ``None`` when it has none), parsed from JSON."""

    workflow: dict[str, Any] | None = None
    graph: dict[str, Any] | None = None


class DeleteImagesResult(ResponseModel):
    """Which images were deleted, which failed, and which boards changed."""

    deleted_images: list[str] = Field(default_factory=list)
    failed_images: list[str] = Field(default_factory=list)
    affected_boards: list[str] = Field(default_factory=list)


class StarredImagesResult(ResponseModel):
    """Which images were starred, which failed, and which boards changed."""

    starred_images: list[str] = Field(default_factory=list)
    failed_images: list[str] = Field(default_factory=list)
    affected_boards: list[str] = Field(default_factory=list)


class UnstarredImagesResult(ResponseModel):
    """Which images were unstarred, which failed, and which boards changed."""

    unstarred_images: list[str] = Field(default_factory=list)
    failed_images: list[str] = Field(default_factory=list)
    affected_boards: list[str] = Field(default_factory=list)


class BulkDownloadResult(ResponseModel):
    """A finished bulk download: the server's zip name, where it was written, and its size."""

    item_name: str
    path: Path
    size: int


class ImageUrls(ResponseModel):
    """The relative URLs of an image and of its thumbnail."""

    image_name: str
    image_url: str
    thumbnail_url: str
