"""Building ``/api/...`` paths with one checked, percent-encoded id in them."""

from __future__ import annotations

from .._errors import ValidationError
from .._transport import segment

__all__ = ["id_path"]


def id_path(prefix: str, value: object, what: str, suffix: str = "") -> str:
    """``<prefix>/<value><suffix>``; ``value`` must be a non-empty string (or int) without ``/``."""
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise ValidationError(f"A {what} must be a non-empty string, got {value!r}.")
    if isinstance(value, str) and "/" in value:
        raise ValidationError(f"A {what} cannot contain '/', got {value!r}.")
    return f"{prefix}/{segment(value)}{suffix}"
