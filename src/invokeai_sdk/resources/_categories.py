"""Image categories, checked before a request carries them (boards, images, videos and the gallery)."""

from __future__ import annotations

from collections.abc import Iterable

from .._errors import ValidationError
from ..types.images import IMAGE_CATEGORIES

__all__ = ["check_categories"]


def check_categories(categories: str | Iterable[str] | None) -> list[str] | None:
    """``categories`` as a list of known image categories (``None`` stays ``None``)."""
    if categories is None:
        return None
    items = [categories] if isinstance(categories, str) else list(categories)
    unknown = [c for c in items if c not in IMAGE_CATEGORIES]
    if unknown:
        raise ValidationError(f"Unknown image categories {unknown}: use {sorted(IMAGE_CATEGORIES)}.")
    return items
