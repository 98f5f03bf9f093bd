"""Models of the server's workflow library (``/api/v1/workflows``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._models import ResponseModel

if TYPE_CHECKING:
    from .._invocation_schema import InvocationSchemas
    from ..workflows import WorkflowDocument

__all__ = ["WorkflowRecord", "WorkflowSummary"]


class WorkflowSummary(ResponseModel):
    """One workflow of a library listing (no document; ``get()`` it for that)."""

    workflow_id: str
    name: str
    description: str | None = None
    category: str
    """``user``, ``default`` (the server's built-ins) or ``project``; a plain string, never an error."""
    tags: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    opened_at: str | None = None
    user_id: str | None = None
    is_public: bool | None = None
    thumbnail_url: str | None = None

    @property
    def is_builtin(self) -> bool:
        """True for the server's built-in (``default``) workflows, which cannot be edited or deleted."""
        return self.category == "default"


class WorkflowRecord(ResponseModel):
    """A stored workflow: its library record and its GUI document (``workflow``)."""

    workflow_id: str
    name: str
    workflow: dict[str, Any]
    created_at: str | None = None
    updated_at: str | None = None
    opened_at: str | None = None
    user_id: str | None = None
    is_public: bool | None = None
    thumbnail_url: str | None = None

    @property
    def category(self) -> str | None:
        """The library category from the document's ``meta.category``."""
        meta = self.workflow.get("meta")
        value = meta.get("category") if isinstance(meta, dict) else None
        return value if isinstance(value, str) else None

    @property
    def is_builtin(self) -> bool:
        """True for the server's built-in (``default``) workflows."""
        return self.category == "default"

    def document(self, *, schemas: InvocationSchemas | None = None) -> WorkflowDocument:
        """The stored workflow as a :class:`~invokeai_sdk.workflows.WorkflowDocument`."""
        from ..workflows import WorkflowDocument

        return WorkflowDocument(self.workflow, schemas=schemas)
