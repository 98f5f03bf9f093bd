"""Build the graph and batch the InvokeAI GUI builds from a workflow document.

Rules (observed in the 6.14 GUI's own ``enqueue_batch`` bodies):

- one graph node per ``invocation`` node, in workflow order, keyed by the workflow node id; ``notes``,
  ``current_image`` and ``connector`` nodes never appear, nor do batch (``*_batch``) and generator
  (``*_generator``) nodes, which become ``batch.data`` instead;
- a node is ``{type, id, <inputs with a value, in order>, use_cache, is_intermediate}``;
- board fields: ``"none"`` is left out; ``"auto"`` or no value becomes the auto-add board when one is
  given, else is left out; ``{board_id}`` is sent as is;
- edges: ``default`` edges (hidden ones too) into executable nodes, a connector source resolved through
  any chain of connectors, duplicates dropped, order kept; ``collapsed`` edges are ignored;
- an input fed by an edge loses its literal (inputs fed by batch nodes keep theirs);
- with the server's schemas, inputs its node types do not have (fields of another release, which it
  would ignore) are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._errors import WorkflowError
from .._invocation_schema import InvocationSchemas

__all__ = [
    "BATCH_NODE_TYPES",
    "build_graph",
    "clone",
    "embedded_workflow",
    "is_batch_node",
    "parse_flag",
    "resolve_edges",
]

BATCH_NODE_TYPES = frozenset({"image_batch", "string_batch", "integer_batch", "float_batch"})
_NON_EXECUTABLE = frozenset({"notes", "current_image", "connector"})


def is_batch_node(node_type: str) -> bool:
    """True for batch nodes and generator nodes (they feed ``batch.data``, not the graph)."""
    return node_type in BATCH_NODE_TYPES or node_type.endswith("_generator")


def _executable(node: Mapping[str, Any]) -> bool:
    return node["type"] == "invocation" and not is_batch_node(node["data"]["type"])


def resolve_edges(doc: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    """Real ``(source, source_field, target, target_field)`` edges, connectors resolved, in order."""
    nodes = {node["id"]: node for node in doc["nodes"]}
    feeding: dict[str, tuple[str, str]] = {}
    for edge in doc.get("edges", []):
        if edge.get("type", "default") == "default" and nodes[edge["target"]]["type"] == "connector":
            feeding.setdefault(edge["target"], (edge["source"], edge["sourceHandle"]))
    out: list[tuple[str, str, str, str]] = []
    seen: set[tuple[str, str, str, str]] = set()
    for index, edge in enumerate(doc.get("edges", [])):
        if edge.get("type", "default") != "default":
            continue
        target = nodes[edge["target"]]
        if target["type"] == "connector":
            continue
        source, handle = edge["source"], edge["sourceHandle"]
        hops = 0
        while nodes[source]["type"] == "connector":
            upstream = feeding.get(source)
            hops += 1
            if upstream is None or hops > len(nodes):
                raise WorkflowError(f"connector {source!r} has no input", path=f"$.edges[{index}].source")
            source, handle = upstream
        real = (source, handle, edge["target"], edge["targetHandle"])
        if real not in seen:
            seen.add(real)
            out.append(real)
    return out


def _board_value(value: Any, auto_board: str | None) -> Any:
    """The graph value of a board field, or ``...`` to leave the field out."""
    if value == "none":
        return ...
    if value is None or value == "auto":
        return {"board_id": auto_board} if auto_board else ...
    return value


def build_graph(
    doc: Mapping[str, Any], *, schemas: InvocationSchemas | None = None, auto_board: str | None = None
) -> dict[str, Any]:
    """The ``{"nodes", "edges"}`` graph the GUI would send for ``doc``."""
    by_id = {node["id"]: node for node in doc["nodes"]}
    edges = [e for e in resolve_edges(doc) if _executable(by_id[e[2]]) and _executable(by_id[e[0]])]
    fed = {(target, field) for _, _, target, field in edges}
    graph_nodes: dict[str, Any] = {}
    for index, node in enumerate(doc["nodes"]):
        if not _executable(node):
            continue
        data = node["data"]
        node_type = data["type"]
        out: dict[str, Any] = {"type": node_type, "id": node["id"]}
        schema = schemas.get(node_type) if schemas is not None else None
        board_fields = schema.board_fields if schema is not None else frozenset()
        for name, field in data.get("inputs", {}).items():
            if (node["id"], name) in fed:
                continue
            if schema is not None and name not in schema.fields:
                continue  # a field of another server release: this server would ignore it

            value = field.get("value")
            if name in board_fields or (
                schema is None and (value in ("auto", "none") or _looks_like_board(value))
            ):
                value = _board_value(value, auto_board)
                if value is ...:
                    continue
            elif value is None:
                continue
            out[name] = clone(value)
        out["use_cache"] = parse_flag(data.get("useCache"), True, f"$.nodes[{index}].data.useCache")
        out["is_intermediate"] = parse_flag(
            data.get("isIntermediate"), True, f"$.nodes[{index}].data.isIntermediate"
        )
        graph_nodes[node["id"]] = out
    graph_edges = [
        {"source": {"node_id": s, "field": sf}, "destination": {"node_id": t, "field": tf}}
        for s, sf, t, tf in edges
    ]
    return {"nodes": graph_nodes, "edges": graph_edges}


def clone(value: Any) -> Any:
    """A copy of a JSON value: dicts and lists are copied (recursively), scalars shared."""
    if isinstance(value, dict):
        return {k: clone(v) if isinstance(v, dict | list) else v for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) if isinstance(v, dict | list) else v for v in value]
    return value


def parse_flag(value: Any, default: bool, path: str) -> bool:
    """A node flag (``useCache``, ``isIntermediate``): a JSON boolean, ``"true"``/``"false"`` or unset."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise WorkflowError(f"expected true or false, got {value!r}", path=path)


def _looks_like_board(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {"board_id"}


def embedded_workflow(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The workflow as the GUI embeds it in a batch: no library ``id``, ``dynamicInputTemplates: {}``.

    The result is an independent copy: changing it never changes ``doc``.
    """
    out: dict[str, Any] = {k: clone(v) for k, v in doc.items() if k not in ("id", "nodes")}
    out["nodes"] = nodes = clone(doc["nodes"])  # one copy of each node, then edited in place
    for node in nodes:
        if node["type"] == "invocation":
            node["data"]["dynamicInputTemplates"] = {}
    return out
