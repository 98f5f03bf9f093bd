"""Structural checks of a GUI workflow document; every problem names the JSON path at fault."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._errors import WorkflowError

__all__ = ["check_document"]


def _need(value: Any, kind: type | tuple[type, ...], path: str, what: str) -> None:
    if not isinstance(value, kind):
        raise WorkflowError(f"expected {what}, got {type(value).__name__}", path=path)


def check_document(doc: Any) -> None:
    """Raise :class:`WorkflowError` unless ``doc`` has the shape of a GUI workflow (schema 3.x or 4.x)."""
    _need(doc, Mapping, "$", "a JSON object")
    meta = doc.get("meta")
    _need(meta, Mapping, "$.meta", "an object with 'version'")
    version = meta.get("version")
    _need(version, str, "$.meta.version", "a schema version string")
    major = version.split(".", 1)[0]
    if major not in ("3", "4"):
        raise WorkflowError(
            f"unsupported workflow schema {version!r} (3.x and 4.x are)", path="$.meta.version"
        )
    nodes = doc.get("nodes")
    _need(nodes, list, "$.nodes", "a list of nodes")
    ids: set[str] = set()
    for index, node in enumerate(nodes):
        where = f"$.nodes[{index}]"
        _need(node, Mapping, where, "a node object")
        _need(node.get("id"), str, f"{where}.id", "a node id string")
        _need(node.get("type"), str, f"{where}.type", "a node type string")
        if node["id"] in ids:
            raise WorkflowError(f"duplicate node id {node['id']!r}", path=f"{where}.id")
        ids.add(node["id"])
        if node["type"] != "invocation":
            continue
        data = node.get("data")
        _need(data, Mapping, f"{where}.data", "the node's data object")
        _need(data.get("type"), str, f"{where}.data.type", "the invocation type string")
        inputs = data.get("inputs", {})
        _need(inputs, Mapping, f"{where}.data.inputs", "an object of inputs")
        for name, field in inputs.items():
            _need(field, Mapping, f"{where}.data.inputs.{name}", "an input object")
    edges = doc.get("edges", [])
    _need(edges, list, "$.edges", "a list of edges")
    for index, edge in enumerate(edges):
        where = f"$.edges[{index}]"
        _need(edge, Mapping, where, "an edge object")
        for end in ("source", "target"):
            _need(edge.get(end), str, f"{where}.{end}", "a node id string")
            if edge[end] not in ids:
                raise WorkflowError(
                    f"edge {end} {edge[end]!r} is not a node of this workflow", path=f"{where}.{end}"
                )
        if edge.get("type", "default") == "default":
            for handle in ("sourceHandle", "targetHandle"):
                _need(edge.get(handle), str, f"{where}.{handle}", "a field name string")
    exposed = doc.get("exposedFields", [])
    _need(exposed, list, "$.exposedFields", "a list of {nodeId, fieldName}")
    for index, item in enumerate(exposed):
        _need(item, Mapping, f"$.exposedFields[{index}]", "an object {nodeId, fieldName}")
    form = doc.get("form")
    if form is not None:
        _need(form, Mapping, "$.form", "an object {elements, rootElementId}")
        _need(form.get("elements", {}), Mapping, "$.form.elements", "an object of form elements")
