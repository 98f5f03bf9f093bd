"""The server's workflow library (``/api/v1/workflows``): list, get, create, update, delete, tags, counts."""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable, Mapping
from typing import Any

from .._errors import InternalServerError, ValidationError, WorkflowError
from .._models import ItemsPage
from .._pagination import AsyncPage, AsyncPaginator
from .._resource import AsyncAPIResource
from .._transport import segment
from .._types import NOT_GIVEN, TimeoutArg
from ..types.workflows import WorkflowRecord, WorkflowSummary
from ..workflows import WorkflowDocument
from ._uploads import UploadSource, image_part

__all__ = ["WorkflowLibrary"]

_PREFIX = "/api/v1/workflows"


def _csv(value: str | Iterable[str] | None) -> builtins.list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else [str(v) for v in value]


class WorkflowLibrary(AsyncAPIResource):
    """The library half of ``ivk.workflows``: stored workflows, their tags and counts."""

    # -- library -----------------------------------------------------------------------------

    def list(
        self,
        *,
        categories: str | Iterable[str] | None = None,
        tags: str | Iterable[str] | None = None,
        query: str | None = None,
        order_by: str | None = None,
        direction: str | None = None,
        has_been_opened: bool | None = None,
        page: int = 0,
        per_page: int = 50,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> AsyncPaginator[WorkflowSummary]:
        """Library workflows; ``await`` for one page (``page``, ``per_page``), ``async for`` for all.

        ``categories``: ``user``, ``default`` (built-ins), ``project``; ``query`` matches name and
        description; ``order_by``: ``name``, ``created_at``, ``updated_at``, ``opened_at``;
        ``direction``: ``ASC`` or ``DESC``.
        """
        if page < 0 or per_page < 1:
            raise ValidationError(f"page must be >= 0 and per_page >= 1, got {page} and {per_page}")
        params: dict[str, Any] = {}
        for key, value in (
            ("categories", _csv(categories)),
            ("tags", _csv(tags)),
            ("query", query),
            ("order_by", order_by),
            ("direction", direction.upper() if direction else None),
            ("has_been_opened", has_been_opened),
        ):
            if value is not None:
                params[key] = value

        async def fetch(offset: int, limit: int) -> AsyncPage[WorkflowSummary]:
            data = await self._parsed(
                ItemsPage[WorkflowSummary],
                "GET",
                f"{_PREFIX}/",
                params={**params, "page": offset // limit, "per_page": limit},
                timeout=timeout,
            )
            return AsyncPage(data.items, offset=offset, limit=limit, total=data.total, fetch=fetch)

        return AsyncPaginator(fetch, offset=page * per_page, limit=per_page)

    async def get(self, workflow_id: str, *, timeout: TimeoutArg = NOT_GIVEN) -> WorkflowRecord:
        """A stored workflow with its document (:class:`NotFoundError` when there is none)."""
        return await self._parsed(
            WorkflowRecord, "GET", f"{_PREFIX}/i/{segment(workflow_id)}", timeout=timeout
        )

    async def create(
        self, workflow: WorkflowDocument | Mapping[str, Any], *, timeout: TimeoutArg = NOT_GIVEN
    ) -> WorkflowRecord:
        """Save a workflow to the library as a new ``user`` workflow (a built-in is saved as a copy)."""
        body = _body(workflow)
        body.pop("id", None)
        body["meta"] = {**body["meta"], "category": "user"}
        return await self._parsed(
            WorkflowRecord, "POST", f"{_PREFIX}/", json={"workflow": body}, timeout=timeout
        )

    async def update(
        self,
        workflow_id: str,
        workflow: WorkflowDocument | Mapping[str, Any],
        *,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> WorkflowRecord:
        """Replace a stored workflow's document; built-in workflows raise :class:`WorkflowError`.

        The document is saved as a ``user`` workflow whatever its ``meta.category`` says (the server
        takes the category from the document, so a copied built-in would otherwise turn into one).
        """
        await self._refuse_builtin(workflow_id, "edited", timeout)
        body = _body(workflow)
        body["id"] = workflow_id
        body["meta"] = {**body["meta"], "category": "user"}
        try:
            return await self._parsed(
                WorkflowRecord,
                "PATCH",
                f"{_PREFIX}/i/{segment(workflow_id)}",
                json={"workflow": body},
                timeout=timeout,
            )
        except InternalServerError as exc:
            raise WorkflowError(f"the server could not update workflow {workflow_id!r}: {exc}") from exc

    async def delete(self, workflow_id: str, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Delete a stored workflow; built-in workflows raise :class:`WorkflowError`."""
        await self._refuse_builtin(workflow_id, "deleted", timeout)
        await self._request("DELETE", f"{_PREFIX}/i/{segment(workflow_id)}", timeout=timeout)

    async def _refuse_builtin(self, workflow_id: str, verb: str, timeout: TimeoutArg) -> None:
        record = await self.get(workflow_id, timeout=timeout)
        if record.is_builtin:
            raise WorkflowError(
                f"workflow {workflow_id!r} ({record.name}) is a built-in 'default' workflow and cannot be "
                f"{verb}; save a copy with ivk.workflows.create(...) and change that instead"
            )

    async def set_public(
        self, workflow_id: str, is_public: bool, *, timeout: TimeoutArg = NOT_GIVEN
    ) -> WorkflowRecord:
        """Share a workflow with every user of a multi-user server (``True``) or make it private again."""
        await self._require("workflow_sharing")
        return await self._parsed(
            WorkflowRecord,
            "PATCH",
            f"{_PREFIX}/i/{segment(workflow_id)}/is_public",
            json={"is_public": bool(is_public)},
            timeout=timeout,
        )

    async def mark_opened(self, workflow_id: str, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Record that the workflow was opened now (the library's "recently opened" order)."""
        await self._request("PUT", f"{_PREFIX}/i/{segment(workflow_id)}/opened_at", timeout=timeout)

    async def thumbnail(self, workflow_id: str, *, timeout: TimeoutArg = NOT_GIVEN) -> bytes:
        """The workflow's thumbnail (PNG bytes); :class:`NotFoundError` when it has none."""
        return await self._file(
            f"{_PREFIX}/i/{segment(workflow_id)}/thumbnail",
            f"thumbnail of workflow {workflow_id!r}",
            timeout=timeout,
        )

    async def set_thumbnail(
        self, workflow_id: str, image: UploadSource, *, timeout: TimeoutArg = NOT_GIVEN
    ) -> None:
        """Set the workflow's thumbnail from a path, bytes, a binary file or a PIL image."""
        part = await image_part(image, default_name="thumbnail.png")
        await self._request(
            "PUT", f"{_PREFIX}/i/{segment(workflow_id)}/thumbnail", files={"image": part}, timeout=timeout
        )

    async def delete_thumbnail(self, workflow_id: str, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Remove the workflow's thumbnail."""
        await self._request("DELETE", f"{_PREFIX}/i/{segment(workflow_id)}/thumbnail", timeout=timeout)

    async def tags(
        self, *, categories: str | Iterable[str] | None = None, timeout: TimeoutArg = NOT_GIVEN
    ) -> builtins.list[str]:
        """Every tag used by library workflows (optionally of some categories only)."""
        params = {"categories": _csv(categories)} if categories is not None else None
        return [str(t) for t in await self._json("GET", f"{_PREFIX}/tags", params=params, timeout=timeout)]

    async def counts_by_tag(
        self,
        tags: str | Iterable[str],
        *,
        categories: str | Iterable[str] | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> dict[str, int]:
        """How many library workflows carry each tag."""
        params: dict[str, Any] = {"tags": _csv(tags)}
        if categories is not None:
            params["categories"] = _csv(categories)
        data = await self._json("GET", f"{_PREFIX}/counts_by_tag", params=params, timeout=timeout)
        return {str(k): int(v) for k, v in data.items()}

    async def counts_by_category(
        self,
        categories: str | Iterable[str] = ("user", "default"),
        *,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> dict[str, int]:
        """How many library workflows each category holds."""
        params = {"categories": _csv(categories)}
        data = await self._json("GET", f"{_PREFIX}/counts_by_category", params=params, timeout=timeout)
        return {str(k): int(v) for k, v in data.items()}


def _body(workflow: WorkflowDocument | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(workflow, WorkflowDocument):
        return workflow.to_dict()
    return json.loads(json.dumps(WorkflowDocument(workflow).to_dict()))  # type: ignore[no-any-return]
