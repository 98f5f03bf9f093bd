"""Base pydantic models: lenient for what the server sends, strict for what the SDK sends."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

__all__ = ["ItemsPage", "RequestModel", "ResponseModel", "items_page"]

T = TypeVar("T")


class ResponseModel(BaseModel):
    """A server response. Unknown fields are kept (``model_extra``), never an error: servers add fields."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=())

    def to_dict(self) -> dict[str, Any]:
        """The model as plain JSON-compatible data, extra fields included."""
        return self.model_dump(mode="json", by_alias=True)


class RequestModel(BaseModel):
    """A request body the SDK builds: unknown fields are errors, caught before anything is sent."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, protected_namespaces=())


class ItemsPage(ResponseModel, Generic[T]):
    """A page body the server sends (``{"items": [...], "total": n, ...}``), validated from its JSON in
    one pass: much cheaper than decoding the JSON first and then validating item by item."""

    items: list[T]
    total: int | None = None
    """The server's count of all matches, when the reply gives it."""


def items_page(item: type[T]) -> type[ItemsPage[T]]:
    """``ItemsPage[item]`` for an item model known only at run time (pydantic caches each one)."""
    page: type[ItemsPage[T]] = ItemsPage[item]  # type: ignore[valid-type]
    return page
