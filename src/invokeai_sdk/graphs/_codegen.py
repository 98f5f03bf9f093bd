"""Write a graph (or a GUI workflow turned into one) as Python builder code that rebuilds it.

::

    code = Graph.from_workflow(WorkflowDocument.load("my.json"), nodes).to_python()
    namespace = {}
    exec(code, namespace)
    graph = namespace["build"](nodes)      # the same graph
"""

from __future__ import annotations

import keyword
import re

from ._nodes import GraphView, Node

__all__ = ["to_python"]

_NODE_ATTRIBUTES = frozenset(dir(Node)) | {"type", "id", "values", "connections", "label"}
_FACTORY_KEYWORDS = frozenset({"id", "is_intermediate", "use_cache"})


def _identifier(text: str) -> str:
    name = re.sub(r"\W+", "_", text).strip("_").lower() or "node"
    if name[0].isdigit():
        name = f"n_{name}"
    if keyword.iskeyword(name) or name in ("g", "nodes", "Graph", "NodeCatalog"):
        name = f"{name}_"
    return name


def _plain(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def _order(graph: GraphView) -> list[Node]:
    """Nodes upstream first, otherwise in graph order."""
    placed: set[str] = set()
    order: list[Node] = []
    pending = list(graph.nodes.values())
    while pending:
        rest = []
        for node in pending:
            if all(up.id in placed for up in node.upstream()):
                order.append(node)
                placed.add(node.id or "")
            else:
                rest.append(node)
        if len(rest) == len(pending):  # a cycle: keep the graph's order for the rest
            order.extend(rest)
            break
        pending = rest
    return order


def to_python(graph: GraphView, *, function: str = "build") -> str:
    """Python source defining ``function(nodes) -> Graph`` that rebuilds ``graph`` exactly."""
    names: dict[str, str] = {}
    used: set[str] = set()
    body: list[str] = [f"    g = nodes.graph(id={graph.id!r})" if graph.id else "    g = nodes.graph()"]
    for node in _order(graph):
        node_id = node.id or node.type
        var = base = _identifier(node_id)
        counter = 2
        while var in used:
            var, counter = f"{base}_{counter}", counter + 1
        used.add(var)
        names[node_id] = var
        factory = (
            f"nodes.{node.type}"
            if _plain(node.type) and not node.type.startswith("_")
            else f"nodes[{node.type!r}]"
        )
        plain: list[str] = []
        extra: dict[str, str] = {}
        later: list[str] = []
        for field in node.schema.fields:
            if field in node.values:
                source = repr(node.values[field])
                if field in node.connections:  # a literal kept beside its edge (batch-fed inputs)
                    fed = ", ".join(_ref(names, o.node.id or "", o.field) for o in node.connections[field])
                    later.append(f"    {var}.connect({field!r}, {fed})")
            elif field in node.connections:
                refs = [_ref(names, o.node.id or "", o.field) for o in node.connections[field]]
                source = refs[0] if len(refs) == 1 else f"[{', '.join(refs)}]"
            else:
                continue
            if _plain(field) and field not in _FACTORY_KEYWORDS:
                plain.append(f"{field}={source}")
            else:
                extra[field] = source
        for flag in ("is_intermediate", "use_cache"):
            if getattr(node, flag) is not None:
                plain.append(f"{flag}={getattr(node, flag)!r}")
        args = ", ".join(plain)
        call = f"{factory}({args})"
        if extra:
            pairs = ", ".join(f"{k!r}: {v}" for k, v in extra.items())
            call = f"{call}.set(**{{{pairs}}})"
        options = f", id={node_id!r}" + (f", label={node.label!r}" if node.label else "")
        body.append(f"    {var} = g.add({call}{options})")
        for field, value in node.values.items():
            if field not in node.schema.fields:  # kept as it is (the check reports it)
                body.append(f"    {var}.values[{field!r}] = {value!r}")
        body.extend(later)
    body.append("    return g")
    header = [
        f'"""Rebuilds a graph of {len(graph)} nodes with the invokeai-sdk builder (generated code)."""',
        "",
        "from invokeai_sdk.graphs import Graph, NodeCatalog",
        "",
        "",
        f"def {function}(nodes: NodeCatalog) -> Graph:",
        '    """The graph, built from the connected server\'s node types (``await ivk.graphs.nodes()``)."""',
    ]
    return "\n".join(header + body) + "\n"


def _ref(names: dict[str, str], node_id: str, field: str) -> str:
    var = names.get(node_id, _identifier(node_id))
    return f"{var}.{field}" if _plain(field) and field not in _NODE_ATTRIBUTES else f"{var}[{field!r}]"
