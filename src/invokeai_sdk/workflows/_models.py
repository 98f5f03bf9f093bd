"""Re-point a workflow's model fields at the models installed on a server.

Candidates are restricted to the models a field accepts (its schema's ``ui_model_base`` and
``ui_model_type``, as the GUI's model pickers are). A set field matches by hash (the same file, whatever
the server classified it as), then by name, then by base and type; an unset field is bound when exactly
one installed model fits it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._errors import WorkflowInputError
from ._values import jsonpath_parse

if TYPE_CHECKING:
    from .._invocation_schema import FieldSpec
    from ._document import WorkflowDocument

__all__ = ["ModelBinding", "bind_document_models", "fits_field"]


@dataclass(frozen=True)
class ModelBinding:
    """One model field re-pointed: where, how it matched, and the identifiers before and after."""

    node_id: str
    field_name: str
    matched_by: str
    """``"hash"``, ``"name"``, ``"base+type"`` or ``"only fit"`` (an unset field, one model fits)."""
    before: Mapping[str, Any] | None
    """The identifier before (``None`` for a field that was unset)."""
    after: Mapping[str, Any]


def _allowed(spec: FieldSpec, key: str) -> tuple[str, ...]:
    value = spec.raw.get(key)
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def fits_field(spec: FieldSpec, model: Mapping[str, Any]) -> bool:
    """True when the field accepts ``model`` (its ``ui_model_base`` / ``ui_model_type`` allow it)."""
    bases, types = _allowed(spec, "ui_model_base"), _allowed(spec, "ui_model_type")
    base, kind = str(model.get("base")), str(model.get("type"))
    return (not bases or base in bases or "any" in bases) and (not types or kind in types)


def _match(
    value: Mapping[str, Any], models: Sequence[Mapping[str, Any]], fitting: Sequence[Mapping[str, Any]]
) -> tuple[str, Mapping[str, Any]] | None:
    if value.get("hash"):
        for model in models:
            if model.get("hash") == value["hash"]:
                return "hash", model
    same_kind = [
        m for m in fitting if m.get("base") == value.get("base") and m.get("type") == value.get("type")
    ]
    for candidates in (same_kind, fitting):
        for model in candidates:
            if value.get("name") and model.get("name") == value["name"]:
                return "name", model
    if same_kind:
        return "base+type", sorted(same_kind, key=lambda m: str(m.get("name")))[0]
    return None


def _identifier(model: Mapping[str, Any], submodel: Any) -> dict[str, Any]:
    after = {k: v for k, v in model.items() if k in ("key", "hash", "name", "base", "type")}
    if submodel:
        after["submodel_type"] = submodel
    return after


def bind_document_models(doc: WorkflowDocument, models: Sequence[Mapping[str, Any]]) -> list[ModelBinding]:
    """Match every model field of ``doc`` to one of ``models``; change them all or raise (see module)."""
    data = doc._data
    plan: list[tuple[Any, ModelBinding]] = []
    missing: list[str] = []
    for position, node in enumerate(data["nodes"]):
        if node["type"] != "invocation":
            continue
        for name, field in node["data"].get("inputs", {}).items():
            spec = doc.field_spec(node["id"], name)
            value = field.get("value")
            if spec is None or spec.kind != "model":
                continue
            fitting = [m for m in models if fits_field(spec, m)]
            bases, types = _allowed(spec, "ui_model_base"), _allowed(spec, "ui_model_type")
            wants = f"base {'/'.join(bases) or 'any'}, type {'/'.join(types) or 'any'}"
            path = jsonpath_parse(f"nodes[{position}].data.inputs.'{name}'.value")
            if not isinstance(value, Mapping):
                if len(fitting) == 1:
                    after = _identifier(fitting[0], None)
                    plan.append((path, ModelBinding(node["id"], name, "only fit", None, after)))
                elif spec.required:
                    found = (
                        "no installed model fits" if not fitting else f"{len(fitting)} installed models fit"
                    )
                    missing.append(f"{node['id']}.{name} (unset; {found} {wants})")
                continue
            found_match = _match(value, models, fitting)
            if found_match is None:
                missing.append(
                    f"{node['id']}.{name} ({value.get('name')!r}, base {value.get('base')!r}, "
                    f"type {value.get('type')!r}; the field takes {wants})"
                )
                continue
            how, model = found_match
            after = _identifier(model, value.get("submodel_type"))
            if dict(value) == after:
                continue
            plan.append((path, ModelBinding(node["id"], name, how, dict(value), after)))
    if missing:
        raise WorkflowInputError(
            "cannot bind model fields (no installed model fits, or several do): " + "; ".join(missing)
        )
    for path, binding in plan:
        path.update_or_create(data, dict(binding.after))
    return [binding for _, binding in plan]
