"""Small builders of ``/openapi.json`` fragments for the workflow unit tests."""

from __future__ import annotations

from typing import Any


def invocation_schema(type_: str, props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """The OpenAPI schema of an invocation ``type_`` with these field properties."""
    return {
        "class": "invocation",
        "title": type_.title(),
        "properties": {"type": {"const": type_, "default": type_}, "id": {"type": "string"}, **props},
        "required": ["type", "id", *(required or [])],
    }
