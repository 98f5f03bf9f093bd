"""What the typed node modules accept for image, board, model and color inputs (for type checkers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeAlias

__all__ = ["BoardLike", "ColorLike", "ImageLike", "ModelLike"]


class _HasImageName(Protocol):
    @property
    def image_name(self) -> str: ...


class _HasBoardId(Protocol):
    @property
    def board_id(self) -> str: ...


class _HasKey(Protocol):
    @property
    def key(self) -> str: ...


ImageLike: TypeAlias = "str | Mapping[str, Any] | _HasImageName"
"""An image: its name, an ``ImageDTO`` (anything with ``image_name``) or ``{"image_name": ...}``."""

BoardLike: TypeAlias = "str | Mapping[str, Any] | _HasBoardId"
"""A board: its id, a ``BoardDTO`` (anything with ``board_id``) or ``{"board_id": ...}``."""

ModelLike: TypeAlias = "Mapping[str, Any] | _HasKey"
"""A model: a model config from ``ivk.models`` (anything with ``key``) or a model identifier dict."""

ColorLike: TypeAlias = "tuple[int, int, int] | tuple[int, int, int, int] | Mapping[str, int]"
"""A color: ``(r, g, b)``, ``(r, g, b, a)`` or ``{"r", "g", "b", "a"}``."""
