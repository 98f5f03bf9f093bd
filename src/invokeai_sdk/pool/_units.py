"""Units of work: a batch split into one-item batches, and the models a graph needs.

A pool never sends a multi-item batch: a sweep of N items becomes N one-item batches (each with
its own client-made ``batch_id`` marker), so any item can be moved to another server alone.
"""

from __future__ import annotations

import copy
import itertools
import math
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._errors import ValidationError

__all__ = [
    "Attempt",
    "check_batch",
    "ModelRef",
    "Unit",
    "count_items",
    "item_data",
    "model_refs",
    "new_marker",
    "one_item_batch",
    "rebind_models",
]

_MODEL_FIELDS = ("key", "name", "base", "type")


def new_marker(origin: str, index: int) -> str:
    """A fresh ``batch_id`` for one attempt at one unit: unique, and naming the unit it carries."""
    return f"{origin}:{index}:{uuid.uuid4().hex[:12]}"


def count_items(batch: Mapping[str, Any]) -> int:
    """How many queue items the server makes of ``batch`` (``runs`` x the product of the groups)."""
    runs = int(batch.get("runs") or 1)
    sizes = [len(group[0]["items"]) for group in batch.get("data") or [] if group]
    return runs * math.prod(sizes)


def item_data(batch: Mapping[str, Any]) -> Iterator[list[list[dict[str, Any]]]]:
    """Each item's ``data`` as one-item groups, in the server's order (runs outer, then the product
    of the groups; data within a group zipped)."""
    groups = [group for group in batch.get("data") or [] if group]
    per_group = [list(zip(*(datum["items"] for datum in group), strict=True)) for group in groups]
    for _ in range(int(batch.get("runs") or 1)):
        for combo in itertools.product(*per_group):
            yield [
                [
                    {"node_path": datum["node_path"], "field_name": datum["field_name"], "items": [value]}
                    for datum, value in zip(group, values, strict=True)
                ]
                for group, values in zip(groups, combo, strict=True)
            ]


def one_item_batch(
    template: Mapping[str, Any], data: list[list[dict[str, Any]]], *, batch_id: str, origin: str
) -> dict[str, Any]:
    """The batch of one unit: the template's graph (shared, not copied) with one item's data."""
    batch = {k: v for k, v in template.items() if k not in ("data", "runs", "batch_id", "origin")}
    batch.update(runs=1, batch_id=batch_id, origin=origin)
    if data:
        batch["data"] = data
    return batch


@dataclass(frozen=True)
class ModelRef:
    """A model a graph names: its key on the server it was written for, and what it is."""

    key: str
    name: str | None = None
    base: str | None = None
    type: str | None = None

    def __str__(self) -> str:
        return self.name or self.key


def _is_model(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and isinstance(value.get("key"), str)
        and ("base" in value or "type" in value)
    )


def _walk_models(value: Any) -> Iterator[Mapping[str, Any]]:
    if _is_model(value):
        yield value
    elif isinstance(value, Mapping):
        for child in value.values():
            yield from _walk_models(child)
    elif isinstance(value, list):
        for child in value:
            yield from _walk_models(child)


def model_refs(graph: Mapping[str, Any]) -> set[ModelRef]:
    """Every model identifier (``{"key", "name", "base", "type", ...}``) in a graph's node fields."""
    refs: set[ModelRef] = set()
    for node in (graph.get("nodes") or {}).values():
        for name, value in node.items() if isinstance(node, Mapping) else ():
            if name in ("id", "type"):
                continue
            for found in _walk_models(value):
                name_, base, type_ = (_s(found.get(k)) for k in _MODEL_FIELDS[1:])
                refs.add(ModelRef(str(found["key"]), name_, base, type_))
    return refs


def rebind_models(
    batch: Mapping[str, Any], installed: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, Any], list[ModelRef]]:
    """``batch`` with every model pointed at this server's copy; and the models it lacks.

    A model is found by its key, else by its name, base and type (keys differ between installs).
    Returns the batch unchanged (not copied) when every key is installed as it is.
    """
    by_key = {str(m["key"]): m for m in installed}
    by_name: dict[tuple[str, str | None, str | None], list[Mapping[str, Any]]] = {}
    for m in installed:
        by_name.setdefault((str(m["name"]), _s(m.get("base")), _s(m.get("type"))), []).append(m)
    graph = batch["graph"]
    missing: list[ModelRef] = []
    remap: dict[str, Mapping[str, Any]] = {}
    for ref in model_refs(graph):
        if ref.key in by_key:
            continue
        matches = by_name.get((ref.name or "", ref.base, ref.type), [])
        if len(matches) == 1:
            remap[ref.key] = matches[0]
        else:
            missing.append(ref)
    if missing or not remap:
        return dict(batch), missing
    out = dict(batch)
    out["graph"] = _replace_keys(copy.deepcopy(dict(graph)), remap)
    return out, []


def _s(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def _replace_keys(value: Any, remap: Mapping[str, Mapping[str, Any]]) -> Any:
    if _is_model(value) and value["key"] in remap:
        found = remap[value["key"]]
        return {
            **value,
            **{k: _s(found.get(k)) for k in ("key", "hash", "name", "base", "type") if found.get(k)},
        }
    if isinstance(value, dict):
        return {k: _replace_keys(v, remap) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_keys(v, remap) for v in value]
    return value


@dataclass(eq=False)
class Attempt:
    """One send of one unit to one server, under its own ``batch_id`` marker."""

    server: str
    marker: str
    item_id: int | None = None
    state: str = "sending"
    """``sending`` (POST on its way), ``queued`` (the server has it), ``uncertain`` (reply lost and the
    server unreachable), ``abandoned`` (the server died; the unit went elsewhere), ``done``."""


@dataclass(eq=False)
class Unit:
    """One item of a submission: where it went, and its one accepted outcome."""

    index: int
    attempts: list[Attempt] = field(default_factory=list)
    status: str | None = None
    """``None`` until settled, then ``completed``, ``failed``, ``canceled`` or ``error``."""
    server: str | None = None
    item_id: int | None = None
    error: Exception | None = None
    error_type: str | None = None
    error_message: str | None = None
    error_traceback: str | None = None

    @property
    def settled(self) -> bool:
        """True once the unit has its one outcome."""
        return self.status is not None


def check_batch(batch: Any) -> dict[str, Any]:
    """A graph or batch dict as a batch (``{"graph": ...}``), refusing what is not one.

    A deep copy: items sent later never see changes the caller makes to the graph meanwhile.
    """
    if not isinstance(batch, Mapping):
        raise ValidationError(f"expected a graph or batch dict, got {type(batch).__name__}")
    batch = copy.deepcopy(dict(batch))
    out = batch if "graph" in batch else {"graph": batch}
    if not isinstance(out["graph"], Mapping) or not isinstance(out["graph"].get("nodes"), Mapping):
        raise ValidationError("the graph needs a 'nodes' mapping of node id -> node")
    if "batch_id" in out:
        raise ValidationError("a pool makes its own batch ids (one per item); leave 'batch_id' out")
    return out
