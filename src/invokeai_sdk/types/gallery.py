"""Types of the ``ivk.gallery`` namespace: images and videos in one feed, and boards by date."""

from __future__ import annotations

from pydantic import Field

from .._models import ResponseModel

__all__ = ["DateBoard", "GalleryItem", "GalleryItemNames", "GalleryItemRef", "GalleryItemRefs"]


class GalleryItem(ResponseModel):
    """An image or a video of the gallery (``kind`` tells which), with its URLs and size."""

    kind: str
    name: str
    full_url: str = ""
    thumbnail_url: str = ""
    width: int = 0
    height: int = 0
    category: str = "general"
    starred: bool = False
    is_intermediate: bool = False
    board_id: str | None = None
    created_at: str | None = None
    duration: float | None = None
    fps: float | None = None


class GalleryItemNames(ResponseModel):
    """Names of the gallery items in gallery order, with starred and total counts."""

    item_names: list[str] = Field(default_factory=list)
    starred_count: int = 0
    total_count: int = 0


class GalleryItemRef(ResponseModel):
    """The kind (``image`` or ``video``) and name of one gallery item."""

    kind: str
    name: str


class GalleryItemRefs(ResponseModel):
    """Kinds and names of the gallery items in gallery order, with starred and total counts."""

    items: list[GalleryItemRef] = Field(default_factory=list)
    starred_count: int = 0
    total_count: int = 0


class DateBoard(ResponseModel):
    """A "virtual board" of the gallery: everything made on one day."""

    virtual_board_id: str
    board_name: str
    date: str
    image_count: int = 0
    asset_count: int = 0
    video_count: int = 0
    cover_image_name: str | None = None
    cover_video_name: str | None = None
