"""Graphs to GUI workflow documents and back.

:func:`to_workflow` writes a schema-4 workflow the GUI's workflow editor opens clean: nodes laid out
left to right by depth, every input field of each node's template present (with its default, so the
GUI shows no "Missing field" note), the chosen inputs placed in the form. The way back is
``Graph.from_workflow`` (in :mod:`._builder`, which builds graphs).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .._errors import WorkflowError
from .._invocation_schema import InvocationSchema, InvocationSchemas
from ..workflows._graph import clone
from ._nodes import GraphView, Node

if TYPE_CHECKING:
    from ..workflows import WorkflowDocument

__all__ = [
    "WORKFLOW_SCHEMA_VERSION",
    "canonical_graph",
    "fill_missing_fields",
    "template_fields",
    "to_workflow",
]

WORKFLOW_SCHEMA_VERSION = "4.0.0"
_COLUMN_WIDTH = 400
_ROW_HEIGHT = 360
_NOT_IN_TEMPLATE = {"collect": frozenset({"collection"}), "iterate": frozenset({"index"})}
"""Fields the GUI keeps out of a node's template (besides the node attributes)."""

InputRef = tuple["Node | str", str] | tuple["Node | str", str, str]
"""A field to place in the workflow's form: ``(node or node id, field)`` or ``(node, field, label)``."""


def template_fields(schema: InvocationSchema) -> list[str]:
    """The input fields the GUI's template of this node type has, in schema order."""
    hidden = _NOT_IN_TEMPLATE.get(schema.type, frozenset())
    return [name for name in schema.fields if name not in hidden]


def _template_input(schema: InvocationSchema, name: str) -> dict[str, Any]:
    spec = schema.fields[name]
    field: dict[str, Any] = {"name": name, "label": "", "description": ""}
    if spec.has_default and spec.default is not None:
        field["value"] = copy.deepcopy(spec.default)
    return field


def fill_missing_fields(document: Mapping[str, Any], schemas: InvocationSchemas) -> dict[str, Any]:
    """A copy of a workflow document where every invocation node has every input of its template.

    A missing field is added with the template's default (no value when there is none), as the GUI
    adds it to a new node; fields already there are kept as they are, in their order.
    """
    out = copy.deepcopy(dict(document))
    for node in out.get("nodes", []):
        if node.get("type") != "invocation":
            continue
        data = node["data"]
        schema = schemas.get(data["type"])
        if schema is None:
            continue
        inputs = data.setdefault("inputs", {})
        for name in template_fields(schema):
            if name not in inputs:
                inputs[name] = _template_input(schema, name)
    return out


def _depths(graph: GraphView) -> dict[str, int]:
    depth: dict[str, int] = {}
    for node_id, node in graph.nodes.items():  # nodes are added upstream first
        depth[node_id] = max((depth.get(up.id or "", -1) + 1 for up in node.upstream()), default=0)
    return depth


def _flag(node: Node, flag: str) -> bool:
    value = getattr(node, flag)
    if value is not None:
        return bool(value)
    default = node.schema.raw.get("properties", {}).get(flag, {}).get("default")
    return bool(default) if default is not None else flag == "use_cache"


def to_workflow(
    graph: GraphView,
    *,
    name: str = "",
    author: str = "",
    description: str = "",
    version: str = "1.0.0",
    tags: str = "",
    notes: str = "",
    inputs: Iterable[InputRef] = (),
) -> WorkflowDocument:
    """``graph`` as a GUI workflow document (schema 4) that loads back to the same graph.

    ``inputs`` are the fields placed in the workflow's form (``[(blur, "radius"), (canvas, "width",
    "Width")]``), in that order; the optional third item is the label shown for the field.
    """
    from ..workflows import WorkflowDocument

    depth = _depths(graph)
    rows: dict[int, int] = {}
    labels: dict[tuple[str, str], str] = {}
    form_fields: list[tuple[str, str]] = []
    for ref in inputs:
        node_ref, field = ref[0], ref[1]
        node_id = node_ref.id if isinstance(node_ref, Node) else node_ref
        if node_id is None or node_id not in graph:
            raise WorkflowError(f"form input {node_ref!r}.{field}: the node is not in this graph")
        if field not in graph[node_id].schema.fields:
            raise WorkflowError(f"form input {node_id}.{field}: {graph[node_id].type} has no input {field!r}")
        form_fields.append((node_id, field))
        if len(ref) == 3:
            labels[(node_id, field)] = str(ref[2])
    nodes: list[dict[str, Any]] = []
    for node_id, node in graph.nodes.items():
        schema = node.schema
        column = depth[node_id]
        row = rows.get(column, 0)
        rows[column] = row + 1
        node_inputs: dict[str, Any] = {}
        for field in template_fields(schema):
            entry = _template_input(schema, field)
            if field in node.values:
                entry["value"] = clone(node.values[field])
            if (node_id, field) in labels:
                entry["label"] = labels[(node_id, field)]
            node_inputs[field] = entry
        for field, value in node.values.items():  # a field outside the template (kept, not lost)
            node_inputs.setdefault(
                field, {"name": field, "label": "", "description": "", "value": clone(value)}
            )
        nodes.append(
            {
                "id": node_id,
                "type": "invocation",
                "data": {
                    "id": node_id,
                    "type": node.type,
                    "version": str(schema.raw.get("version", "1.0.0")),
                    "nodePack": str(schema.raw.get("node_pack", "invokeai")),
                    "label": node.label or "",
                    "notes": "",
                    "isOpen": True,
                    "isIntermediate": _flag(node, "is_intermediate"),
                    "useCache": _flag(node, "use_cache"),
                    "inputs": node_inputs,
                },
                "position": {"x": column * _COLUMN_WIDTH, "y": row * _ROW_HEIGHT},
            }
        )
    edges = [
        {
            "id": f"reactflow__edge-{source.node.id}{source.field}-{target.id}{field}",
            "type": "default",
            "source": source.node.id,
            "target": target.id,
            "sourceHandle": source.field,
            "targetHandle": field,
        }
        for source, target, field in graph.edges()
    ]
    element_ids = [f"node-field-{node_id}-{field}" for node_id, field in form_fields]
    elements: dict[str, Any] = {
        "root": {"id": "root", "type": "container", "data": {"layout": "column", "children": element_ids}}
    }
    for element_id, (node_id, field) in zip(element_ids, form_fields, strict=True):
        elements[element_id] = {
            "id": element_id,
            "parentId": "root",
            "type": "node-field",
            "data": {"fieldIdentifier": {"nodeId": node_id, "fieldName": field}, "showDescription": False},
        }
    document = {
        "name": name,
        "author": author,
        "description": description,
        "version": version,
        "contact": "",
        "tags": tags,
        "notes": notes,
        "exposedFields": [],
        "meta": {"category": "user", "version": WORKFLOW_SCHEMA_VERSION},
        "form": {"elements": elements, "rootElementId": "root"},
        "nodes": nodes,
        "edges": edges,
    }
    return WorkflowDocument(document, schemas=graph.schemas)


def canonical_graph(graph: Mapping[str, Any] | GraphView, schemas: InvocationSchemas) -> dict[str, Any]:
    """A graph with every default filled in and its edges sorted: equal for graphs that run the same.

    Literals fed by an edge are dropped (the edge wins), unset flags and fields take the schema's
    default; the graph ``id`` is left out.
    """
    body = graph if isinstance(graph, Mapping) else graph.to_dict()
    edges = sorted(
        (e["source"]["node_id"], e["source"]["field"], e["destination"]["node_id"], e["destination"]["field"])
        for e in body.get("edges", [])
    )
    fed = {(target, field) for _, _, target, field in edges}
    nodes: dict[str, Any] = {}
    for node_id, node in body.get("nodes", {}).items():
        schema = schemas.get(node["type"])
        props = schema.raw.get("properties", {}) if schema is not None else {}
        out: dict[str, Any] = {}
        for name, prop in props.items():
            if name != "id" and isinstance(prop, Mapping) and prop.get("default") is not None:
                out[name] = prop["default"]
        out.update({k: v for k, v in node.items() if v is not None})
        for key in [k for k in out if (node_id, k) in fed]:
            del out[key]
        out["id"] = node_id
        nodes[node_id] = out
    return {"nodes": dict(sorted(nodes.items())), "edges": edges}
