"""Base pydantic models: lenient for what the server sends, strict for what the SDK sends."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["RequestModel", "ResponseModel"]


class ResponseModel(BaseModel):
    """A server response. Unknown fields are kept (``model_extra``), never an error: servers add fields."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=())

    def to_dict(self) -> dict[str, Any]:
        """The model as plain JSON-compatible data, extra fields included."""
        return self.model_dump(mode="json", by_alias=True)


class RequestModel(BaseModel):
    """A request body the SDK builds: unknown fields are errors, caught before anything is sent."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, protected_namespaces=())
