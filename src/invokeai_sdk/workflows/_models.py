"""Re-point a workflow's model fields at the models installed on a server."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jsonpath_ng.parser import parse as jsonpath_parse

from .._errors import WorkflowInputError

if TYPE_CHECKING:
    from ._document import WorkflowDocument

__all__ = ["ModelBinding", "bind_document_models"]


@dataclass(frozen=True)
class ModelBinding:
    """One model field re-pointed: where, how it matched, and the identifiers before and after."""

    node_id: str
    field_name: str
    matched_by: str
    """``"hash"``, ``"name"`` or ``"base+type"``."""
    before: Mapping[str, Any]
    after: Mapping[str, Any]


def _match(
    value: Mapping[str, Any], models: Sequence[Mapping[str, Any]]
) -> tuple[str, Mapping[str, Any]] | None:
    if value.get("hash"):
        for model in models:
            if model.get("hash") == value["hash"]:
                return "hash", model
    same_kind = [
        m for m in models if m.get("base") == value.get("base") and m.get("type") == value.get("type")
    ]
    for candidates in (same_kind, models):
        for model in candidates:
            if value.get("name") and model.get("name") == value["name"]:
                return "name", model
    if same_kind:
        return "base+type", sorted(same_kind, key=lambda m: str(m.get("name")))[0]
    return None


def bind_document_models(doc: WorkflowDocument, models: Sequence[Mapping[str, Any]]) -> list[ModelBinding]:
    """Match every set model field of ``doc`` to one of ``models``; change them all or raise."""
    data = doc._data
    plan: list[tuple[Any, ModelBinding]] = []
    missing: list[str] = []
    for position, node in enumerate(data["nodes"]):
        if node["type"] != "invocation":
            continue
        for name, field in node["data"].get("inputs", {}).items():
            spec = doc.field_spec(node["id"], name)
            value = field.get("value")
            if spec is None or spec.kind != "model" or not isinstance(value, Mapping):
                continue
            found = _match(value, models)
            if found is None:
                missing.append(
                    f"{node['id']}.{name} ({value.get('name')!r}, base {value.get('base')!r}, "
                    f"type {value.get('type')!r})"
                )
                continue
            how, model = found
            after = {**{k: v for k, v in model.items() if k in ("key", "hash", "name", "base", "type")}}
            if value.get("submodel_type"):
                after["submodel_type"] = value["submodel_type"]
            if dict(value) == after:
                continue
            path = jsonpath_parse(f"nodes[{position}].data.inputs.'{name}'.value")
            plan.append((path, ModelBinding(node["id"], name, how, dict(value), after)))
    if missing:
        raise WorkflowInputError("no installed model fits: " + "; ".join(missing))
    for path, binding in plan:
        path.update_or_create(data, dict(binding.after))
    return [binding for _, binding in plan]
