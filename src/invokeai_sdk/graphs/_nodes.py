"""Nodes of a graph built in code: a node type's factory, the node it makes, and a node's outputs.

A :class:`NodeFactory` is called with a node type's input fields as keyword arguments (plus ``id``,
``is_intermediate``, ``use_cache``) and checks each value against the server's schema; passing another
node's :class:`Output` (``src.image``) makes an edge. :mod:`._builder` puts nodes into graphs.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .._errors import GraphValidationError, ValidationError
from .._invocation_schema import FieldSpec, InvocationSchema, InvocationSchemas
from ..workflows._graph import clone
from ..workflows._values import MODEL_KEYS
from ._types import type_index
from ._validate import GraphProblem, _suggest

__all__ = ["GraphView", "Node", "NodeFactory", "Output", "refuse"]


@dataclass(frozen=True, eq=False)
class Output:
    """One output of a node (``blur.image``); pass it as another node's input to make an edge."""

    node: Node
    field: str

    def __repr__(self) -> str:
        return f"<Output {self.node.id or self.node.type}.{self.field}>"


def refuse(
    node_type: str, field: str | None, message: str, code: str = "unknown_field"
) -> GraphValidationError:
    return GraphValidationError([GraphProblem(None, field, message, code, node_type)])


class Node:
    """One node: its type, literal inputs, incoming connections, and its outputs as attributes."""

    def __init__(
        self,
        schema: InvocationSchema,
        schemas: InvocationSchemas,
        inputs: Mapping[str, Any],
        *,
        id: str | None = None,
        is_intermediate: bool | None = None,
        use_cache: bool | None = None,
        label: str | None = None,
    ) -> None:
        self.type: str = schema.type
        """The node type (``img_blur``)."""
        self.id: str | None = id
        """The node id (set when the node is added to a graph without one)."""
        self.is_intermediate = is_intermediate
        """Whether outputs are intermediate (``None``: the server's default)."""
        self.use_cache = use_cache
        """Whether the server may reuse a cached result (``None``: the server's default)."""
        self.label = label
        """A label for the GUI (workflow export); not sent in the graph."""
        self.values: dict[str, Any] = {}
        """Literal input values, as sent to the server."""
        self.connections: dict[str, list[Output]] = {}
        """Inputs fed by edges: field -> the outputs feeding it (several only for ``collect.item``)."""
        self._schema = schema
        self._schemas = schemas
        self._outputs = type_index(schemas).outputs(schema.type)
        self.set(**inputs)

    @property
    def schema(self) -> InvocationSchema:
        """The server's schema of this node type."""
        return self._schema

    @property
    def output_names(self) -> list[str]:
        """The names of this node type's outputs."""
        return list(self._outputs)

    def output(self, name: str) -> Output:
        """One output by name (``node.output("image")`` is ``node.image``)."""
        if name not in self._outputs:
            raise refuse(
                self.type,
                name,
                f"{self.type} has no output {name!r}{_suggest(name, self._outputs)}"
                f" (outputs: {', '.join(self._outputs)})",
                "unknown_output",
            )
        return Output(self, name)

    def __getattr__(self, name: str) -> Output:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self.output(name)
        except GraphValidationError as exc:
            raise AttributeError(str(exc.problems[0])) from None

    def __getitem__(self, name: str) -> Output:
        return self.output(name)

    def set(self, **inputs: Any) -> Node:
        """Set inputs (literals or outputs of other nodes); returns ``self``."""
        fields = self._schema.fields
        for name, value in inputs.items():
            spec = fields.get(name)
            if spec is None:
                raise refuse(self.type, name, f"{self.type} has no input {name!r}{_suggest(name, fields)}")
            self.values.pop(name, None)
            self.connections.pop(name, None)
            if isinstance(value, Output):
                self.connections[name] = [value]
            elif isinstance(value, Node):
                raise ValidationError(
                    f"{self.type}.{name}: pass one of the node's outputs ({', '.join(value.output_names)}),"
                    " not the node"
                )
            elif isinstance(value, list | tuple) and value and all(isinstance(v, Output) for v in value):
                if not (self.type == "collect" and name == "item"):
                    raise ValidationError(
                        f"{self.type}.{name}: only collect.item takes several edges; collect them first"
                    )
                self.connections[name] = list(value)
            elif value is not None:
                self.values[name] = convert_value(spec, value, f"{self.type}.{name}")
        return self

    def connect(self, field: str, *outputs: Output) -> Node:
        """Add edges into ``field`` without dropping its literal (as the GUI keeps a batch-fed value)."""
        if field not in self._schema.fields:
            raise refuse(
                self.type, field, f"{self.type} has no input {field!r}{_suggest(field, self._schema.fields)}"
            )
        self.connections.setdefault(field, []).extend(outputs)
        return self

    def upstream(self) -> Iterator[Node]:
        """The nodes feeding this one directly."""
        for outputs in self.connections.values():
            for output in outputs:
                yield output.node

    def __repr__(self) -> str:
        return f"<Node {self.id or '?'}: {self.type}>"


def _attr(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, Mapping) else getattr(value, name, None)


def convert_value(spec: FieldSpec, value: Any, where: str) -> Any:
    """A Python value (enum, DTO, model config, name) as the JSON the server expects for the field."""
    kind = spec.kind
    if isinstance(value, enum.Enum):
        return value.value
    if kind == "image":
        name = value if isinstance(value, str) else _attr(value, "image_name")
        return {"image_name": name} if isinstance(name, str) else value
    if kind == "board":
        board_id = value if isinstance(value, str) else _attr(value, "board_id")
        return {"board_id": board_id} if isinstance(board_id, str) else value
    if kind == "model" and not isinstance(value, Mapping):
        if isinstance(value, str):
            raise ValidationError(
                f"{where}: pass a model config (from ivk.models) rather than the string {value!r}"
            )
        if isinstance(_attr(value, "key"), str):
            out = {key: _attr(value, key) for key in MODEL_KEYS}
            return {k: (v.value if isinstance(v, enum.Enum) else v) for k, v in out.items() if v is not None}
    if kind == "color" and isinstance(value, tuple) and len(value) in (3, 4):
        return dict(zip("rgba", (*value, 255)[:4], strict=True))
    if kind == "collection" and spec.item is not None and isinstance(value, list | tuple):
        return [convert_value(spec.item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if kind == "union" and not isinstance(value, Mapping | list | tuple | str | int | float | bool):
        for variant in spec.variants:
            converted = convert_value(variant, value, where)
            if converted is not value:
                return converted
    return clone(value)


class NodeFactory:
    """A callable making nodes of one type: ``nodes.img_blur(image=..., radius=4)``."""

    def __init__(self, schema: InvocationSchema, schemas: InvocationSchemas) -> None:
        self.schema = schema
        self._schemas = schemas
        self.__doc__ = _factory_doc(schema)

    @property
    def type(self) -> str:
        """The node type made."""
        return self.schema.type

    def __call__(
        self,
        *,
        id: str | None = None,
        is_intermediate: bool | None = None,
        use_cache: bool | None = None,
        **inputs: Any,
    ) -> Node:
        return Node(
            self.schema, self._schemas, inputs, id=id, is_intermediate=is_intermediate, use_cache=use_cache
        )

    def __repr__(self) -> str:
        return f"<NodeFactory {self.schema.type}: {self.schema.title}>"


def _factory_doc(schema: InvocationSchema) -> str:
    lines = [f"{schema.title} ({schema.type}): {schema.raw.get('description') or ''}".rstrip(": "), ""]
    for name, spec in schema.fields.items():
        default = f" = {spec.default!r}" if spec.has_default and spec.default is not None else ""
        need = " (required)" if spec.required else ""
        lines.append(f"{name}: {spec.describe()}{default}{need}")
    return "\n".join(lines)


class GraphView(Protocol):
    """What exporters read of a builder graph (:class:`~invokeai_sdk.graphs.Graph` is one)."""

    id: str | None

    @property
    def nodes(self) -> dict[str, Node]: ...

    @property
    def schemas(self) -> InvocationSchemas: ...

    def __getitem__(self, node_id: str) -> Node: ...

    def __contains__(self, node: object) -> bool: ...

    def __len__(self) -> int: ...

    def edges(self) -> list[tuple[Output, Node, str]]: ...

    def to_dict(self) -> dict[str, Any]: ...
