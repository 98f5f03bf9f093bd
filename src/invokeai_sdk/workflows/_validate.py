"""Structural checks of a GUI workflow document; every problem names the JSON path at fault."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._errors import WorkflowError
from ._graph import parse_flag

__all__ = ["check_document", "check_form"]


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
        for flag in ("useCache", "isIntermediate"):
            parse_flag(data.get(flag), True, f"{where}.data.{flag}")
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
        where = f"$.exposedFields[{index}]"
        _need(item, Mapping, where, "an object {nodeId, fieldName}")
        _need(item.get("nodeId"), str, f"{where}.nodeId", "a node id string")
        _need(item.get("fieldName"), str, f"{where}.fieldName", "a field name string")
    check_form(doc.get("form"))


def check_form(form: Any) -> None:
    """Raise :class:`WorkflowError` naming the JSON path of the first malformed part of a ``form``.

    ``None`` (no form) passes. Elements must be objects with a ``type``; a ``data`` must be an object;
    a container's ``children`` a list of element ids; a node field's ``fieldIdentifier`` an object
    ``{nodeId, fieldName}`` of strings; the root and every child must name an element.
    """
    if form is None:
        return
    _need(form, Mapping, "$.form", "an object {elements, rootElementId}")
    elements = form.get("elements", {})
    _need(elements, Mapping, "$.form.elements", "an object of form elements")
    root = form.get("rootElementId")
    if elements or root is not None:
        _need(root, str, "$.form.rootElementId", "the id of the root form element")
        if root not in elements:
            raise WorkflowError(f"the root element {root!r} is not in the form", path="$.form.rootElementId")
    for element_id, element in elements.items():
        where = f"$.form.elements.{element_id}"
        _need(element, Mapping, where, "a form element object")
        _need(element.get("type"), str, f"{where}.type", "an element type string")
        data = element.get("data", {})
        _need(data, Mapping, f"{where}.data", "the element's data object")
        if element["type"] == "container":
            children = data.get("children", [])
            _need(children, list, f"{where}.data.children", "a list of element ids")
            for index, child in enumerate(children):
                _need(child, str, f"{where}.data.children[{index}]", "an element id string")
                if child not in elements:
                    raise WorkflowError(
                        f"child {child!r} is not an element of the form",
                        path=f"{where}.data.children[{index}]",
                    )
        elif element["type"] == "node-field":
            ident = data.get("fieldIdentifier")
            _need(ident, Mapping, f"{where}.data.fieldIdentifier", "an object {nodeId, fieldName}")
            _need(ident.get("nodeId"), str, f"{where}.data.fieldIdentifier.nodeId", "a node id string")
            _need(
                ident.get("fieldName"), str, f"{where}.data.fieldIdentifier.fieldName", "a field name string"
            )
