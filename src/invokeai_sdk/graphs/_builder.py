"""Build graphs in code from the connected server's node types.

::

    nodes = await ivk.graphs.nodes()                 # every node type of this server, custom ones too
    g = nodes.graph()
    src = g.add(nodes.blank_image(width=64, height=64))
    blur = g.add(nodes.img_blur(image=src.image, radius=4))     # an edge: src.image -> blur.image
    g.add(nodes.save_image(image=blur.image, id="save"))
    await ivk.queue.run(g)

A node type is called with its input fields as keyword arguments (plus ``id``, ``is_intermediate``,
``use_cache``); passing another node's output (``src.image``) makes an edge. ``g.add`` also adds the
nodes upstream of the one added, and names unnamed nodes ``<type>_<n>`` (``img_blur_1``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from .._errors import GraphValidationError, ValidationError
from .._invocation_schema import InvocationSchemas
from ..workflows._generators import expand_generator
from ..workflows._graph import build_graph, clone, is_batch_node, resolve_edges
from ..workflows._sweep import BATCH_ITEMS_FIELD
from ._codegen import to_python
from ._export import to_workflow
from ._nodes import Node, NodeFactory, Output, refuse
from ._validate import GraphReport, _suggest, validate_graph

if TYPE_CHECKING:
    from ..workflows import WorkflowDocument

__all__ = ["Graph", "NodeCatalog", "from_workflow"]

N = TypeVar("N", bound="Node")
_FLAGS = ("is_intermediate", "use_cache")


class NodeCatalog:
    """Every node type of one server, as callables: ``nodes.img_blur(...)``, ``nodes["if"](...)``."""

    def __init__(self, schemas: InvocationSchemas) -> None:
        self.schemas = schemas
        """The server's node schemas."""
        self._factories: dict[str, NodeFactory] = {}

    @classmethod
    def from_openapi(cls, openapi: Mapping[str, Any]) -> NodeCatalog:
        """The catalog of a server's ``/openapi.json`` document (offline)."""
        return cls(InvocationSchemas(openapi))

    @property
    def types(self) -> list[str]:
        """Every node type, sorted."""
        return sorted(self.schemas.types)

    def __getitem__(self, node_type: str) -> NodeFactory:
        factory = self._factories.get(node_type)
        if factory is None:
            schema = self.schemas.get(node_type)
            if schema is None:
                raise refuse(
                    node_type,
                    None,
                    f"unknown node type {node_type!r}{_suggest(node_type, self.schemas.types)}",
                    "unknown_node_type",
                )
            factory = self._factories[node_type] = NodeFactory(schema, self.schemas)
        return factory

    def __getattr__(self, name: str) -> NodeFactory:
        if name.startswith("__"):
            raise AttributeError(name)
        node_type = name[:-1] if name.endswith("_") and name[:-1] in self.schemas else name
        try:
            return self[node_type]
        except GraphValidationError as exc:
            raise AttributeError(str(exc.problems[0])) from None

    def __contains__(self, node_type: object) -> bool:
        return node_type in self.schemas

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self.schemas.types]

    def graph(self, *, id: str | None = None) -> Graph:
        """A new, empty graph for this server's nodes."""
        return Graph(self, id=id)

    def __repr__(self) -> str:
        return f"<NodeCatalog: {len(self.schemas.types)} node types>"


class Graph:
    """A graph being built: nodes in the order added, edges from the outputs passed as inputs."""

    def __init__(self, nodes: NodeCatalog | InvocationSchemas, *, id: str | None = None) -> None:
        self.catalog = nodes if isinstance(nodes, NodeCatalog) else NodeCatalog(nodes)
        """The node types this graph is built from."""
        self.id = id
        """The graph id sent to the server (``None``: the server makes one)."""
        self._nodes: dict[str, Node] = {}

    @property
    def schemas(self) -> InvocationSchemas:
        """The server's node schemas."""
        return self.catalog.schemas

    @property
    def nodes(self) -> dict[str, Node]:
        """The nodes by id, in the order added (a copy)."""
        return dict(self._nodes)

    def __getitem__(self, node_id: str) -> Node:
        return self._nodes[node_id]

    def __contains__(self, node: object) -> bool:
        if isinstance(node, Node):
            return node.id is not None and self._nodes.get(node.id) is node
        return node in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)

    def add(self, node: N, *, id: str | None = None, label: str | None = None) -> N:
        """Add ``node`` (and every node upstream of it not yet here); returns it, now with an id."""
        if id is not None:
            node.id = id
        if label is not None:
            node.label = label
        order: list[Node] = []
        seen: set[int] = set()
        stack: list[tuple[Node, bool]] = [(node, False)]
        while stack:
            current, expanded = stack.pop()
            if expanded:
                order.append(current)
                continue
            if current in self or _seen(seen, current):
                continue
            stack.append((current, True))
            stack.extend((up, False) for up in reversed(list(current.upstream())))
        for item in order:
            self._place(item)
        return node

    def _place(self, node: Node) -> None:
        if node in self:
            return
        if node.id is None:
            node.id = self._next_id(node.type)
        elif node.id in self._nodes:
            raise ValidationError(f"the graph already has a node {node.id!r} ({self._nodes[node.id].type})")
        self._nodes[node.id] = node

    def _next_id(self, node_type: str) -> str:
        for n in itertools.count(1):
            candidate = f"{node_type}_{n}"
            if candidate not in self._nodes:
                return candidate
        raise AssertionError("unreachable")

    def edges(self) -> list[tuple[Output, Node, str]]:
        """``(source output, target node, target field)`` for every edge: in node order, then field order."""
        out: list[tuple[Output, Node, str]] = []
        for node in self._nodes.values():
            connections = node.connections
            order: Iterable[str] = connections
            if len(connections) > 1:
                fields = node.schema.fields
                order = [f for f in fields if f in connections] + [f for f in connections if f not in fields]
            for field in order:
                out.extend((source, node, field) for source in connections[field])
        return out

    # -- to the server -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The graph as the server takes it: ``{"nodes": {...}, "edges": [...]}`` (batch nodes left out)."""
        return self._body(copy=True)

    def _body(self, *, copy: bool) -> dict[str, Any]:
        """The graph dict; ``copy=False`` shares the nodes' values (for a check that only reads them)."""
        nodes: dict[str, Any] = {}
        edges: list[dict[str, Any]] = []
        for node_id, node in self._nodes.items():
            if is_batch_node(node.type):
                continue
            body: dict[str, Any] = {"id": node_id, "type": node.type}
            body.update(clone(node.values) if copy else node.values)
            for flag in _FLAGS:
                value = getattr(node, flag)
                if value is not None:
                    body[flag] = value
            nodes[node_id] = body
        for source, target, field in self.edges():
            if is_batch_node(source.node.type) or is_batch_node(target.type):
                continue
            self._check_member(source.node, target)
            edges.append(
                {
                    "source": {"node_id": source.node.id, "field": source.field},
                    "destination": {"node_id": target.id, "field": field},
                }
            )
        graph: dict[str, Any] = {"nodes": nodes, "edges": edges}
        if self.id is not None:
            graph = {"id": self.id, **graph}
        return graph

    def _check_member(self, source: Node, target: Node) -> None:
        if source not in self:
            raise ValidationError(
                f"{target.id}: its input comes from a node that is not in this graph ({source!r}); add it"
            )

    def batch_data(
        self, *, generated: Mapping[str, Sequence[Any]] | None = None
    ) -> list[list[dict[str, Any]]]:
        """Batch ``data`` from the batch nodes (``integer_batch``, ...), grouped as the GUI groups them.

        Groups come in order of first appearance: batch nodes of group ``"None"`` give one entry
        each, a named group one zipped entry for all its nodes. A batch node fed by a generator node
        (``integer_generator``, ...) takes the generator's items, computed as the GUI computes them;
        ``generated`` gives the items of generators that need the server (board images, dynamic
        prompts) by generator node id.
        """
        groups: dict[str, list[list[dict[str, Any]]]] = {}
        outgoing: dict[int, list[tuple[Node, str]]] = {}
        for source, target, field in self.edges():
            outgoing.setdefault(id(source.node), []).append((target, field))
        for node in self._nodes.values():
            items_field = BATCH_ITEMS_FIELD.get(node.type)
            if items_field is None:
                continue
            feeding = node.connections.get(items_field)
            if feeding and is_batch_node(feeding[0].node.type):
                generator = feeding[0].node
                if generated is not None and generator.id is not None and generator.id in generated:
                    items = list(generated[generator.id])
                else:
                    setting = generator.values.get("generator") or {}
                    items = expand_generator(setting, f"generator {generator.id!r}")
                if node.type == "image_batch":
                    items = [{"image_name": i} if isinstance(i, str) else i for i in items]
            else:
                items = node.values.get(items_field) or []
            entries = [
                {"node_path": target.id, "field_name": field, "items": clone(items)}
                for target, field in outgoing.get(id(node), [])
                if not is_batch_node(target.type)
            ]
            groups.setdefault(str(node.values.get("batch_group_id", "None")), []).append(entries)
        data: list[list[dict[str, Any]]] = []
        for group, per_node in groups.items():
            if group == "None":
                data.extend(entries for entries in per_node if entries)
            elif any(per_node):
                data.append([entry for entries in per_node for entry in entries])
        return data

    def to_batch(
        self, *, runs: int | None = None, generated: Mapping[str, Sequence[Any]] | None = None
    ) -> dict[str, Any]:
        """``{"graph": ..., "data": ...}`` (and ``runs`` when given), ready for ``ivk.queue.enqueue``.

        ``generated``: the items of generator nodes that need the server, by node id (see :meth:`batch_data`).
        """
        return self._batch(runs=runs, copy=True, generated=generated)

    def _batch(
        self, *, runs: int | None, copy: bool, generated: Mapping[str, Sequence[Any]] | None = None
    ) -> dict[str, Any]:
        batch: dict[str, Any] = {"graph": self._body(copy=copy)}
        data = self.batch_data(generated=generated)
        if data:
            batch["data"] = data
        if runs is not None:
            batch["runs"] = runs
        return batch

    def validate(self) -> GraphReport:
        """Every problem of this graph against the server's node schemas (nothing is sent)."""
        return validate_graph(self._batch(runs=None, copy=False), self.schemas)

    def check(self) -> Graph:
        """Raise :class:`GraphValidationError` with every problem; returns ``self`` when there is none."""
        self.validate().raise_for_problems()
        return self

    # -- from dicts and workflows ------------------------------------------------------------

    @classmethod
    def from_dict(cls, graph: Mapping[str, Any], nodes: NodeCatalog | InvocationSchemas) -> Graph:
        """A builder graph from a server graph dict (``{"nodes", "edges"}``); node ids are kept."""
        out = cls(nodes, id=graph.get("id") if isinstance(graph.get("id"), str) else None)
        for node_id, body in graph.get("nodes", {}).items():
            factory = out.catalog[body["type"]]
            inputs = {k: v for k, v in body.items() if k not in ("id", "type", *_FLAGS)}
            node = factory(id=node_id, **{f: body[f] for f in _FLAGS if f in body})
            node.values.update(clone(inputs))
            out._place(node)
        for edge in graph.get("edges", []):
            source = out._nodes[edge["source"]["node_id"]]
            target = out._nodes[edge["destination"]["node_id"]]
            target.values.pop(edge["destination"]["field"], None)
            target.connections.setdefault(edge["destination"]["field"], []).append(
                Output(source, edge["source"]["field"])
            )
        return out

    def to_workflow(self, **options: Any) -> WorkflowDocument:
        """This graph as a GUI workflow document (schema 4); see :func:`invokeai_sdk.graphs.to_workflow`."""
        return to_workflow(self, **options)

    @classmethod
    def from_workflow(
        cls,
        document: WorkflowDocument | Mapping[str, Any],
        nodes: NodeCatalog | InvocationSchemas,
        *,
        auto_board: str | None = None,
    ) -> Graph:
        """The builder graph of a GUI workflow: the graph the GUI builds from it, plus its batch nodes.

        Node ids, labels and flags are kept. Batch and generator nodes come first (they feed the
        others) and keep their edges, so ``to_batch()`` gives the workflow's batch ``data`` too.
        """
        catalog = nodes if isinstance(nodes, NodeCatalog) else NodeCatalog(nodes)
        doc = document.to_dict() if not isinstance(document, Mapping) else document
        gui = cls.from_dict(build_graph(doc, schemas=catalog.schemas, auto_board=auto_board), catalog)
        graph = cls(catalog, id=gui.id)
        feeders: dict[str, Node] = {}  # batch and generator nodes: not graph nodes, they make batch data
        for item in doc["nodes"]:
            data = item["data"] if item["type"] == "invocation" else {}
            if is_batch_node(str(data.get("type", ""))):
                values = {
                    k: v.get("value") for k, v in data.get("inputs", {}).items() if v.get("value") is not None
                }
                node = catalog[data["type"]](id=item["id"])
                node.values.update(clone(values))
                feeders[item["id"]] = node
        for source, handle, target, field in resolve_edges(doc):
            if source in feeders and target in feeders:  # a generator feeding a batch node
                feeders[target].connections[field] = [Output(feeders[source], handle)]
        for node in feeders.values():
            graph.add(node)
        for node in gui.nodes.values():
            graph.add(node)
        for source, handle, target, field in resolve_edges(doc):
            if source in feeders and target in gui:  # the literal stays, as in the GUI's graph
                graph[target].connections[field] = [Output(feeders[source], handle)]
        labels = {n["id"]: n["data"].get("label") or None for n in doc["nodes"] if n["type"] == "invocation"}
        for node_id, node in graph.nodes.items():
            node.label = labels.get(node_id)
        return graph

    def to_python(self, *, function: str = "build") -> str:
        """Python builder code that rebuilds this graph (see :func:`invokeai_sdk.graphs.to_python`)."""
        return to_python(self, function=function)

    def __repr__(self) -> str:
        return f"<Graph {len(self._nodes)} nodes>"


def _seen(seen: set[int], node: Node) -> bool:
    if id(node) in seen:
        return True
    seen.add(id(node))
    return False


def from_workflow(
    document: WorkflowDocument | Mapping[str, Any],
    nodes: NodeCatalog | InvocationSchemas,
    *,
    auto_board: str | None = None,
) -> Graph:
    """The builder graph of a GUI workflow (see :meth:`Graph.from_workflow`)."""
    return Graph.from_workflow(document, nodes, auto_board=auto_board)
