"""``batch.data``: from the workflow's batch nodes and from code-given sweeps, type-checked per item.

The server multiplies the entries of ``batch.data`` (each entry is a zipped group of
``{node_path, field_name, items}``), so one request carries any number of variants. A datum whose items
do not fit the field is accepted by the server and then stalls its queue, so every item is checked
here against the field's type from the server's schema before anything is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .._errors import BatchDataError, WorkflowError
from .._invocation_schema import FieldSpec, InvocationSchemas
from ._generators import expand_generator
from ._graph import clone, is_batch_node, resolve_edges
from ._values import Pending, coerce_value

__all__ = ["BATCH_ITEMS_FIELD", "SweepKey", "batch_node_data", "check_items", "generator_feeds", "sweep_data"]

SweepKey = str | int | tuple[str, str]
"""A sweep target: an input label or index, or ``(node_id, field_name)`` of any node."""

BATCH_ITEMS_FIELD = {
    "image_batch": "images",
    "string_batch": "strings",
    "integer_batch": "integers",
    "float_batch": "floats",
}


_UNSWEEPABLE = {
    "board": "set the board per run instead (ivk.workflows.run(..., board=...))",
    "model": "enqueue one run per model instead",
    "color": "enqueue one run per color instead",
    "object": "enqueue one run per value instead",
}


def _batch_scalar(value: Any) -> bool:
    if isinstance(value, str | int | float):
        return True
    return (
        isinstance(value, Mapping)
        and len(value) == 1
        and isinstance(value.get("image_name", value.get("video_name")), str)
    )


def _batch_value(value: Any) -> bool:
    """True when the server's batch data can carry ``value``: a string, number, image (or a list of them)."""
    if isinstance(value, list | tuple):
        return all(_batch_scalar(v) for v in value)
    return _batch_scalar(value)


def check_items(spec: FieldSpec | None, items: Sequence[Any], where: str) -> list[Any]:
    """Convert and check every item for the field ``spec``; raise :class:`BatchDataError`.

    The server's batch items are strings, numbers and images (or lists of them) only: it answers 422
    to anything else (a ``{"board_id"}``, a model identifier), so such fields cannot be swept.
    """
    if isinstance(items, str | bytes) or not isinstance(items, Sequence):
        raise BatchDataError(f"{where}: expected a list of values, got {items!r}")
    if not items:
        raise BatchDataError(f"{where}: a sweep needs at least one value")
    if spec is not None and spec.kind in _UNSWEEPABLE:
        raise BatchDataError(
            f"{where}: a {spec.kind} field cannot be swept (the server's batch data carries only "
            f"strings, numbers and images); {_UNSWEEPABLE[spec.kind]}"
        )
    out: list[Any] = []
    for index, item in enumerate(items):
        try:
            value = coerce_value(spec, item, f"{where} item {index}")
        except ValueError as exc:
            raise BatchDataError(str(exc)) from exc
        if isinstance(value, Pending):
            raise BatchDataError(f"{where} item {index}: {item!r} must be resolved on the server first")
        if not _batch_value(value):
            raise BatchDataError(
                f"{where} item {index}: {value!r} cannot be a batch item (the server's batch data "
                "carries only strings, numbers and images, or lists of them)"
            )
        out.append(clone(value))
    return out


def generator_feeds(doc: Mapping[str, Any]) -> dict[str, str]:
    """``{batch node id: generator node id}`` for batch nodes whose items handle a generator feeds."""
    nodes = {node["id"]: node for node in doc["nodes"]}
    feeds: dict[str, str] = {}
    for source, _, target, target_field in resolve_edges(doc):
        target_type = nodes[target]["data"]["type"] if nodes[target]["type"] == "invocation" else ""
        source_node = nodes[source]
        if (
            BATCH_ITEMS_FIELD.get(target_type) == target_field
            and source_node["type"] == "invocation"
            and source_node["data"]["type"].endswith("_generator")
        ):
            feeds.setdefault(target, source)
    return feeds


def _generator_items(
    doc: Mapping[str, Any], generator_id: str, generated: Mapping[str, Sequence[Any]] | None
) -> list[Any]:
    if generated is not None and generator_id in generated:
        return list(generated[generator_id])
    index = next(i for i, node in enumerate(doc["nodes"]) if node["id"] == generator_id)
    value = (doc["nodes"][index]["data"].get("inputs", {}).get("generator") or {}).get("value")
    if not isinstance(value, Mapping):
        raise WorkflowError("the generator has no setting", path=f"$.nodes[{index}].data.inputs.generator")
    return expand_generator(value, f"$.nodes[{index}].data.inputs.generator.value")


def batch_node_data(
    doc: Mapping[str, Any],
    schemas: InvocationSchemas | None,
    generated: Mapping[str, Sequence[Any]] | None = None,
) -> list[list[dict[str, Any]]]:
    """The ``data`` entries the GUI builds from batch nodes, grouped by ``batch_group_id``.

    A batch node fed by a generator takes the generator's items (``generated[generator id]`` when
    given, e.g. expanded on the server; else computed here), as the GUI does.
    """
    nodes = {node["id"]: node for node in doc["nodes"]}
    outgoing: dict[str, list[tuple[str, str]]] = {}
    for source, _, target, target_field in resolve_edges(doc):
        outgoing.setdefault(source, []).append((target, target_field))
    feeds = generator_feeds(doc)
    groups: dict[str, list[list[dict[str, Any]]]] = {}
    order: list[list[dict[str, Any]]] = []
    for index, node in enumerate(doc["nodes"]):
        if node["type"] != "invocation" or not is_batch_node(node["data"]["type"]):
            continue
        node_type = node["data"]["type"]
        items_field = BATCH_ITEMS_FIELD.get(node_type)
        if items_field is None:
            continue  # a generator: it feeds a batch node, which carries the expanded items
        inputs = node["data"].get("inputs", {})
        if node["id"] in feeds:
            items = _generator_items(doc, feeds[node["id"]], generated)
            if node_type == "image_batch":
                items = [{"image_name": i} if isinstance(i, str) else i for i in items]
            where = f"generator {feeds[node['id']]!r} feeding batch node {node['id']!r}"
        else:
            literal = (inputs.get(items_field) or {}).get("value")
            items = literal if isinstance(literal, list) else []
            where = f"batch node {node['id']!r}"
        if not isinstance(items, list) or not items:
            raise WorkflowError(f"{where} has no items", path=f"$.nodes[{index}].data.inputs.{items_field}")
        entries: list[dict[str, Any]] = []
        for target, target_field in outgoing.get(node["id"], []):
            target_node = nodes[target]
            if target_node["type"] != "invocation" or is_batch_node(target_node["data"]["type"]):
                continue
            spec = schemas.field(target_node["data"]["type"], target_field) if schemas else None
            checked = check_items(spec, items, f"batch node {node['id']!r} -> {target}.{target_field}")
            entries.append({"node_path": target, "field_name": target_field, "items": checked})
        group = str((inputs.get("batch_group_id") or {}).get("value") or "None")
        groups.setdefault(group, []).append(entries)
    # As the GUI: groups in order of first appearance; "None" gives one entry per node, a named
    # group one zipped entry for all its nodes.
    for group, per_node in groups.items():
        if group == "None":
            order.extend(entries for entries in per_node if entries)
        elif any(per_node):
            zipped = [entry for entries in per_node for entry in entries]
            if len({len(entry["items"]) for entry in zipped}) > 1:
                sizes = ", ".join(f"{e['node_path']}.{e['field_name']}: {len(e['items'])}" for e in zipped)
                raise BatchDataError(f"batch group {group!r} zips lists of different lengths ({sizes})")
            order.append(zipped)
    return order


def sweep_data(
    targets: Mapping[tuple[str, str], tuple[FieldSpec | None, Sequence[Any]]],
    zip_groups: Iterable[Iterable[tuple[str, str]]] = (),
) -> list[list[dict[str, Any]]]:
    """``data`` entries for sweeps: one entry per target, except targets zipped together share one."""
    zipped: dict[tuple[str, str], int] = {}
    groups: list[list[tuple[str, str]]] = []
    for group in zip_groups:
        members = list(group)
        for member in members:
            if member not in targets:
                raise BatchDataError(f"zip names {member!r}, which is not swept")
            if member in zipped:
                raise BatchDataError(f"{member!r} is in two zip groups")
            zipped[member] = len(groups)
        groups.append(members)
    checked = {
        target: check_items(spec, values, f"sweep of {target[0]}.{target[1]}")
        for target, (spec, values) in targets.items()
    }
    data: list[list[dict[str, Any]]] = []
    done: set[int] = set()
    for target in targets:
        group_index = zipped.get(target)
        members = [target] if group_index is None else groups[group_index]
        if group_index is not None:
            if group_index in done:
                continue
            done.add(group_index)
            lengths = {len(checked[m]) for m in members}
            if len(lengths) > 1:
                sizes = ", ".join(f"{m[0]}.{m[1]}: {len(checked[m])}" for m in members)
                raise BatchDataError(f"zipped sweeps must have the same length ({sizes})")
        data.append([{"node_path": m[0], "field_name": m[1], "items": checked[m]} for m in members])
    return data
