"""Check a graph or batch against the server's node schemas before anything is sent.

Every problem is collected (not only the first), each naming the node id, the field and why:

- unknown node types (with a close match), node ids that do not match their key;
- unknown input fields: the server silently ignores them (``radiuss=3`` runs and does nothing), so
  this is the one check stricter than the server;
- literal values: type, choice, bounds, length, with the server's own leniency (``"5"`` is an
  integer to pydantic, ``5`` a string);
- edges: missing nodes, outputs or inputs that do not exist, types that do not connect (the GUI's
  rules), more than one edge into one input (except ``collect.item``; the server runs such a graph
  with one of the values, silently), cycles;
- ``iterate`` needs exactly one edge into ``collection``; ``collect`` at least one input, of one type;
- required inputs with neither a value, an edge nor batch ``data``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._errors import GraphValidationError
from .._invocation_schema import FieldSpec, InvocationSchemas
from ._convert import as_graph_dict
from ._types import ANY, COLLECTION, SINGLE, PortType, TypeIndex, compatible, is_generic, type_index

__all__ = ["GraphProblem", "GraphReport", "check_graph", "validate_graph"]

_ATTRIBUTES = frozenset({"id", "type", "is_intermediate", "use_cache"})
_DYNAMIC_INPUT = "saved_workflow_input::"
_RESOLVED = frozenset({"iterate", "collect"})
"""Node types whose output type follows their inputs."""
_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


@dataclass(frozen=True)
class GraphProblem:
    """One problem of a graph: where (``node_id``, ``field``) and why (``message``, ``code``)."""

    node_id: str | None
    field: str | None
    message: str
    code: str
    """``unknown_node_type``, ``bad_node``, ``unknown_field``, ``bad_value``, ``missing_node``,
    ``unknown_output``, ``type_mismatch``, ``duplicate_input``, ``cycle``, ``missing_input``,
    ``iterate``, ``collect``, ``bad_edge``, ``bad_data``."""
    node_type: str | None = None

    def __str__(self) -> str:
        where = []
        if self.node_id is not None:
            where.append(f"node {self.node_id!r}" + (f" ({self.node_type})" if self.node_type else ""))
        elif self.node_type is not None:
            where.append(f"{self.node_type} node")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        return f"{' '.join(where)}: {self.message}" if where else self.message


@dataclass(frozen=True)
class GraphReport:
    """The outcome of a dry run: every problem found (none when the graph is fine)."""

    problems: tuple[GraphProblem, ...]

    @property
    def ok(self) -> bool:
        """True when there is no problem."""
        return not self.problems

    def raise_for_problems(self) -> None:
        """Raise :class:`GraphValidationError` (with every problem) unless :attr:`ok`."""
        if self.problems:
            raise GraphValidationError(self.problems)

    def __iter__(self) -> Iterator[GraphProblem]:
        return iter(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    def __str__(self) -> str:
        if not self.problems:
            return "no problems"
        return "\n".join(str(problem) for problem in self.problems)


def check_graph(graph_or_batch: Any, schemas: InvocationSchemas) -> None:
    """Raise :class:`GraphValidationError` listing every problem of ``graph_or_batch``."""
    validate_graph(graph_or_batch, schemas).raise_for_problems()


def validate_graph(graph_or_batch: Any, schemas: InvocationSchemas) -> GraphReport:
    """Every problem of a graph (``{"nodes", "edges"}`` or a builder ``Graph``) or a batch (``{"graph"}``)."""
    graph_or_batch = as_graph_dict(graph_or_batch)
    if not isinstance(graph_or_batch, Mapping):
        problem = GraphProblem(
            None, None, f"expected a graph or batch, got {type(graph_or_batch).__name__}", "bad_node"
        )
        return GraphReport((problem,))
    batch = graph_or_batch
    graph = batch["graph"] if isinstance(batch.get("graph"), Mapping) else batch
    return GraphReport(tuple(_Checker(graph, batch.get("data"), type_index(schemas)).run()))


def _suggest(name: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(options), n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


def _lax(spec: FieldSpec, value: Any) -> Any:
    """``value`` as pydantic's lax mode (the server's) would convert it for the field, when it would."""
    kind = spec.kind
    if kind == "integer":
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                return value
            return int(number) if number.is_integer() else value
    elif kind == "float":
        if isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                return value
    elif kind == "string":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)  # the server's invocations coerce numbers to strings
    elif kind == "boolean":
        if isinstance(value, int | float) and not isinstance(value, bool) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
    elif kind == "collection" and spec.item is not None and isinstance(value, list | tuple):
        return [_lax(spec.item, item) for item in value]
    return value


def check_value(spec: FieldSpec, value: Any) -> str | None:
    """Why the server would refuse ``value`` for the field, or ``None``."""
    if spec.kind == "union" and value is not None:
        reasons = []
        for variant in spec.variants:
            reason = variant.check(_lax(variant, value))
            if reason is None:
                return None
            reasons.append(reason)
        return f"{value!r} is not {spec.describe()}"
    value = _lax(spec, value)
    reason = spec.check(value)
    if reason is None and spec.kind == "collection" and isinstance(value, list | tuple):
        return _check_items(spec.raw, len(value))
    return reason


def _check_items(prop: Mapping[str, Any], count: int) -> str | None:
    """The ``minItems`` / ``maxItems`` bounds of a list field (beside or inside ``anyOf``)."""
    shapes = [prop, *(v for v in prop.get("anyOf") or () if isinstance(v, Mapping))]
    for shape in shapes:
        low, high = shape.get("minItems"), shape.get("maxItems")
        if isinstance(low, int) and count < low:
            return f"a list of {count} item{'s' if count != 1 else ''} is too short (at least {low})"
        if isinstance(high, int) and count > high:
            return f"a list of {count} items is too long (at most {high})"
    return None


class _Checker:
    def __init__(self, graph: Mapping[str, Any], data: Any, index: TypeIndex) -> None:
        self.graph = graph
        self.data = data
        self.index = index
        self.schemas = index.schemas
        self.problems: list[GraphProblem] = []
        self.types: dict[str, str] = {}
        self.known: dict[str, bool] = {}
        self.edges: list[tuple[str, str, str, str]] = []
        self.into: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.targets: set[tuple[str, str]] = set()
        self._resolving: set[tuple[str, str]] = set()

    def add(self, node_id: str | None, field: str | None, message: str, code: str) -> None:
        node_type = self.types.get(node_id) if node_id is not None else None
        self.problems.append(GraphProblem(node_id, field, message, code, node_type))

    def run(self) -> list[GraphProblem]:
        nodes = self.graph.get("nodes")
        if not isinstance(nodes, Mapping):
            self.add(None, None, "the graph needs a 'nodes' mapping of node id -> node", "bad_node")
            return self.problems
        for node_id, node in nodes.items():
            if _is_map(node) and isinstance(node.get("type"), str):
                self.types[str(node_id)] = node["type"]
                self.known[str(node_id)] = node["type"] in self.schemas
        for node_id, node in nodes.items():
            self._node(str(node_id), node)
        self._edges(self.graph.get("edges", []))
        fed = set(self.targets)
        fed.update(self._data_targets())
        for node_id, node in nodes.items():
            if self.known.get(str(node_id)):
                self._required(str(node_id), node, fed)
        self._special()
        self._cycles()
        return self.problems

    # -- nodes -------------------------------------------------------------------------------

    def _node(self, node_id: str, node: Any) -> None:
        if not _is_map(node) or not isinstance(node.get("type"), str):
            self.add(node_id, None, "a node must be an object with a string 'type'", "bad_node")
            return
        node_type = node["type"]
        schema = self.schemas.get(node_type)
        if schema is None:
            message = f"unknown node type {node_type!r}{_suggest(node_type, self.schemas.types)}"
            self.add(node_id, None, message, "unknown_node_type")
            return
        if node.get("id") != node_id:
            self.add(node_id, "id", f"the node's 'id' ({node.get('id')!r}) must equal its key", "bad_node")
        for flag in ("is_intermediate", "use_cache"):
            if flag in node and not isinstance(_lax(_BOOL, node[flag]), bool):
                self.add(node_id, flag, f"expected true or false, got {node[flag]!r}", "bad_value")
        fields = schema.fields
        for name, value in node.items():
            if name in _ATTRIBUTES:
                continue
            spec = fields.get(name)
            if spec is None:
                message = (
                    f"{node_type} has no input {name!r}{_suggest(name, fields)}; "
                    "the server would silently ignore it"
                )
                self.add(node_id, name, message, "unknown_field")
                continue
            reason = check_value(spec, value)
            if reason is not None:
                self.add(node_id, name, reason, "bad_value")

    def _required(self, node_id: str, node: Mapping[str, Any], fed: set[tuple[str, str]]) -> None:
        for name in self.index.required(node["type"]):
            if node.get(name) is None and (node_id, name) not in fed:
                self.add(node_id, name, "a required input has neither a value nor an edge", "missing_input")

    def _data_targets(self) -> Iterator[tuple[str, str]]:
        if not isinstance(self.data, list):
            return
        for group in self.data:
            for datum in group if isinstance(group, list) else ():
                if not isinstance(datum, Mapping):
                    continue
                node_id, field = datum.get("node_path"), datum.get("field_name")
                if not isinstance(node_id, str) or not isinstance(field, str):
                    continue
                if node_id not in self.types:
                    self.add(node_id, field, "batch data targets a node that is not in the graph", "bad_data")
                elif self.known[node_id] and field not in self.index.inputs(self.types[node_id]):
                    self.add(
                        node_id,
                        field,
                        f"batch data targets an input that {self.types[node_id]} does not have",
                        "bad_data",
                    )
                yield node_id, field

    # -- edges -------------------------------------------------------------------------------

    def _edges(self, edges: Any) -> None:
        if not isinstance(edges, list):
            self.add(None, None, "the graph's 'edges' must be a list", "bad_edge")
            return
        types, known, index = self.types, self.known, self.index
        typed: list[tuple[str, str, str, str, PortType, PortType]] = []  # edges whose types to compare
        for position, edge in enumerate(edges):
            ends = _edge_ends(edge)
            if ends is None:
                message = f"edge {position} is not {{source: {{node_id, field}}, destination: {{...}}}}"
                self.add(None, None, message, "bad_edge")
                continue
            source, source_field, target, target_field = ends
            self.targets.add((target, target_field))  # fed, even by a broken edge (reported on its own)
            if source not in types or target not in types:
                self._missing_node(source, source_field, target, target_field)
                continue
            self.edges.append(ends)
            if not (known[source] and known[target]):
                continue  # the unknown node type is reported on its own
            outputs = index.outputs(types[source])
            inputs = index.inputs(types[target])
            out_type, in_type = outputs.get(source_field), inputs.get(target_field)
            if out_type is None and not outputs:
                out_type = ANY  # the schema does not describe this node type's outputs: not checked
            elif out_type is None:
                hint = _suggest(source_field, outputs)
                message = (
                    f"{types[source]} has no output {source_field!r}{hint} (outputs: {', '.join(outputs)})"
                )
                self.add(source, source_field, message, "unknown_output")
            if in_type is None and target_field.startswith(_DYNAMIC_INPUT):
                in_type = ANY  # a saved workflow's input: typed by that workflow, not by the schema
            elif in_type is None:
                hint = _suggest(target_field, inputs)
                self.add(
                    target,
                    target_field,
                    f"{types[target]} has no input {target_field!r}{hint}",
                    "unknown_field",
                )
            if out_type is not None and in_type is not None:
                self.into.setdefault((target, target_field), []).append((source, source_field))
                typed.append((source, source_field, target, target_field, out_type, in_type))
        for (target, target_field), sources in self.into.items():
            if len(sources) > 1 and not (types[target] == "collect" and target_field == "item"):
                names = ", ".join(f"{s}.{f}" for s, f in sources)
                message = (
                    f"{len(sources)} edges feed this one input ({names}); the server would use one of them"
                )
                self.add(target, target_field, message, "duplicate_input")
        for source, source_field, target, target_field, out_type, in_type in typed:
            if types[source] in _RESOLVED:
                out_type = self.output_type(source, source_field)
            if not compatible(out_type, in_type):
                message = f"{source}.{source_field} ({out_type}) cannot feed this input ({in_type})"
                self.add(target, target_field, message, "type_mismatch")

    def _missing_node(self, source: str, source_field: str, target: str, target_field: str) -> None:
        if source not in self.types:
            message = (
                f"the edge into {target}.{target_field!r} names node {source!r}, which is not in the graph"
            )
            self.add(source, source_field, message, "missing_node")
        if target not in self.types:
            message = (
                f"the edge from {source}.{source_field!r} names node {target!r}, which is not in the graph"
            )
            self.add(target, target_field, message, "missing_node")

    def output_type(self, node_id: str, field: str) -> PortType:
        """An output's type; ``iterate.item`` and ``collect.collection`` resolved through their inputs."""
        declared = self.index.outputs(self.types[node_id]).get(field, PortType("AnyField"))
        node_type = self.types[node_id]
        key = (node_id, field)
        if key in self._resolving or node_type not in ("iterate", "collect"):
            return declared
        self._resolving.add(key)
        try:
            if node_type == "iterate" and field == "item":
                sources = self.into.get((node_id, "collection"), [])
                if len(sources) == 1:
                    found = self.output_type(*sources[0])
                    if found.cardinality == COLLECTION and not is_generic(found):
                        return PortType(found.name, SINGLE, found.choices)
            elif node_type == "collect" and field == "collection":
                names = self._collected(node_id)
                if len(names) == 1:
                    return PortType(names.pop(), COLLECTION)
            return declared
        finally:
            self._resolving.discard(key)

    def _collected(self, node_id: str) -> set[str]:
        names: set[str] = set()
        for source in self.into.get((node_id, "item"), []):
            found = self.output_type(*source)
            if not is_generic(found):
                names.add(found.name)
        for source in self.into.get((node_id, "collection"), []):
            found = self.output_type(*source)
            if not is_generic(found):
                names.add(found.name)
        return names

    def _special(self) -> None:
        for node_id, node_type in self.types.items():
            if node_type == "iterate":
                count = len(self.into.get((node_id, "collection"), []))
                if count != 1:
                    why = "has none" if count == 0 else f"has {count}"
                    self.add(
                        node_id,
                        "collection",
                        f"iterate needs exactly one edge into 'collection' ({why})",
                        "iterate",
                    )
            elif node_type == "collect":
                if not self.into.get((node_id, "item")) and not self.into.get((node_id, "collection")):
                    self.add(
                        node_id,
                        "item",
                        "collect needs at least one edge into 'item' or 'collection'",
                        "collect",
                    )
                elif len(self._collected(node_id)) > 1:
                    kinds = ", ".join(sorted(self._collected(node_id)))
                    self.add(
                        node_id, "item", f"the collected items must be of one type, got {kinds}", "collect"
                    )

    def _cycles(self) -> None:
        children: dict[str, list[str]] = {}
        indegree = dict.fromkeys(self.types, 0)
        for source, _, target, _ in self.edges:
            if source in indegree and target in indegree:
                children.setdefault(source, []).append(target)
                indegree[target] += 1
        ready = [n for n, d in indegree.items() if d == 0]
        while ready:
            node = ready.pop()
            for child in children.get(node, ()):
                indegree[child] -= 1
                if indegree[child] == 0:
                    ready.append(child)
        left = {n for n, d in indegree.items() if d > 0}
        reported: set[str] = set()
        for start in (n for n in self.types if n in left):  # graph order: the same report every time
            if start in reported:
                continue
            cycle = _find_cycle(start, children, left)
            if cycle is None:
                continue
            reported.update(cycle)
            path = " -> ".join([*cycle, cycle[0]])
            self.add(cycle[0], None, f"the graph has a cycle: {path}", "cycle")


_BOOL = FieldSpec(name="flag", kind="boolean")


def _find_cycle(start: str, children: Mapping[str, Sequence[str]], left: set[str]) -> list[str] | None:
    path: list[str] = []
    on_path: dict[str, int] = {}
    seen: set[str] = set()

    def visit(node: str) -> list[str] | None:
        on_path[node] = len(path)
        path.append(node)
        for child in children.get(node, ()):
            if child not in left:
                continue
            if child in on_path:
                return path[on_path[child] :]
            if child not in seen:
                found = visit(child)
                if found is not None:
                    return found
        seen.add(node)
        path.pop()
        del on_path[node]
        return None

    return visit(start)


def _is_map(value: Any) -> bool:
    return type(value) is dict or isinstance(value, Mapping)  # the ABC check only for other mappings


def _edge_ends(edge: Any) -> tuple[str, str, str, str] | None:
    try:
        source, target = edge["source"], edge["destination"]
        parts = (source["node_id"], source["field"], target["node_id"], target["field"])
    except (KeyError, TypeError, IndexError):
        return None
    if type(parts[0]) is str and type(parts[1]) is str and type(parts[2]) is str and type(parts[3]) is str:
        return parts
    return None
