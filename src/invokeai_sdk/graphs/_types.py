"""Connection types of node inputs and outputs, and which output may feed which input.

Types are parsed from the server's ``/openapi.json`` the way the InvokeAI GUI parses them
(``parseFieldType.ts``): a name (``ImageField``, ``IntegerField``, ``EnumField``, ...) and a
cardinality (single, collection, or single-or-collection). Connections follow the GUI's
``validateConnectionTypes.ts`` (CollectionItem, generic Collection, int to float, int/float to string,
Any), plus the server's own rule that an enum output feeds an enum input only when its choices are a
subset of the input's.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .._invocation_schema import InvocationSchemas

__all__ = [
    "ANY",
    "COLLECTION",
    "SINGLE",
    "SINGLE_OR_COLLECTION",
    "PortType",
    "TypeIndex",
    "compatible",
    "is_generic",
    "parse_port",
    "type_index",
]

SINGLE = "SINGLE"
COLLECTION = "COLLECTION"
SINGLE_OR_COLLECTION = "SINGLE_OR_COLLECTION"

_PRIMITIVES = {
    "integer": "IntegerField",
    "number": "FloatField",
    "string": "StringField",
    "boolean": "BooleanField",
}
_NODE_ATTRIBUTES = frozenset({"id", "type", "is_intermediate", "use_cache"})


@dataclass(frozen=True, slots=True)
class PortType:
    """The type of one input or output, as the GUI names it."""

    name: str
    cardinality: str = SINGLE
    choices: tuple[Any, ...] | None = None

    def __str__(self) -> str:
        if self.cardinality == COLLECTION:
            return f"list[{self.name}]"
        if self.cardinality == SINGLE_OR_COLLECTION:
            return f"{self.name} | list[{self.name}]"
        return self.name


ANY = PortType("AnyField")
Lookup = Callable[[str], Mapping[str, Any] | None]
"""Finds a component schema by name (``InvocationSchemas.component``)."""
_GENERIC = frozenset({"AnyField", "CollectionItemField", "CollectionField"})


def parse_port(prop: Any, components: Lookup) -> PortType:
    """The type of one schema property (an input field or an output field)."""
    if not isinstance(prop, Mapping):
        return ANY
    ui_type = prop.get("ui_type")
    if isinstance(ui_type, str) and ui_type:
        if ui_type.endswith("ModelField"):  # older servers name model kinds; all are one type
            return PortType("ModelIdentifierField")
        return PortType(ui_type, COLLECTION if ui_type == "CollectionField" else SINGLE)
    for key in ("allOf", "anyOf", "oneOf"):
        variants = prop.get(key)
        if not isinstance(variants, list):
            continue
        shapes = [v for v in variants if isinstance(v, Mapping) and v.get("type") != "null"]
        if len(shapes) == 1:
            return parse_port(shapes[0], components)
        if len(shapes) == 2:
            first, second = (parse_port(shape, components) for shape in shapes)
            if first.name == second.name and {first.cardinality, second.cardinality} == {SINGLE, COLLECTION}:
                return PortType(first.name, SINGLE_OR_COLLECTION, first.choices)
        return ANY  # a union the GUI cannot type: accept what the server accepts
    if "enum" in prop:
        return PortType("EnumField", SINGLE, tuple(prop["enum"]))
    if "const" in prop:
        return PortType("EnumField", SINGLE, (prop["const"],))
    ref = prop.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        target = components(name)
        if isinstance(target, Mapping) and "enum" in target:
            return PortType("EnumField", SINGLE, tuple(target["enum"]))
        return PortType(name)
    json_type = prop.get("type")
    if json_type == "array":
        item = parse_port(prop.get("items"), components)
        if item.cardinality != SINGLE:
            return PortType("AnyField", COLLECTION)
        return PortType(item.name, COLLECTION, item.choices)
    if isinstance(json_type, str) and json_type in _PRIMITIVES:
        return PortType(_PRIMITIVES[json_type])
    return ANY


def compatible(source: PortType, target: PortType) -> bool:
    """True when an output of type ``source`` may feed an input of type ``target``."""
    if source.name == "AnyField" or target.name == "AnyField":
        return True
    if source.name == target.name and source.cardinality == target.cardinality:
        if source.choices is not None and target.choices is not None:
            return set(source.choices) <= set(target.choices)
        return True
    source_collection = source.cardinality == COLLECTION
    target_collection = target.cardinality == COLLECTION
    if source.name == "CollectionItemField" and not target_collection:
        return True
    if target.name == "CollectionItemField" and not source_collection:
        return True
    if target.cardinality == SINGLE_OR_COLLECTION and source.name == target.name:
        return True
    if source.name == "CollectionField" and target.cardinality in (COLLECTION, SINGLE_OR_COLLECTION):
        return True
    if target.name == "CollectionField" and source_collection:
        return True
    if source.cardinality == SINGLE and target.cardinality == SINGLE:
        if source.name == "IntegerField" and target.name in ("FloatField", "StringField"):
            return True
        if source.name == "FloatField" and target.name == "StringField":
            return True
    return False


def is_generic(port: PortType) -> bool:
    """True for the GUI's untyped ports (Any, CollectionItem, Collection)."""
    return port.name in _GENERIC


class TypeIndex:
    """Input and output port types of every node type of one server, parsed once per node type."""

    def __init__(self, schemas: InvocationSchemas) -> None:
        self.schemas = schemas
        self._inputs: dict[str, dict[str, PortType]] = {}
        self._outputs: dict[str, dict[str, PortType]] = {}
        self._required: dict[str, tuple[str, ...]] = {}
        self._components: Lookup = schemas.component

    def inputs(self, node_type: str) -> dict[str, PortType]:
        """``{field: type}`` of the node type's input fields (empty for an unknown type)."""
        found = self._inputs.get(node_type)
        if found is None:
            schema = self.schemas.get(node_type)
            found = {}
            if schema is not None:
                props = schema.raw.get("properties", {})
                found = {
                    name: parse_port(prop, self._components)
                    for name, prop in props.items()
                    if name not in _NODE_ATTRIBUTES
                }
            self._inputs[node_type] = found
        return found

    def required(self, node_type: str) -> tuple[str, ...]:
        """The input fields of the node type that need a value or an edge (none for an unknown type)."""
        found = self._required.get(node_type)
        if found is None:
            schema = self.schemas.get(node_type)
            fields = schema.fields.items() if schema is not None else ()
            found = self._required[node_type] = tuple(name for name, spec in fields if spec.required)
        return found

    def outputs(self, node_type: str) -> dict[str, PortType]:
        """``{field: type}`` of the node type's outputs (empty for an unknown type)."""
        found = self._outputs.get(node_type)
        if found is None:
            schema = self.schemas.get(node_type)
            found = {}
            output = self.schemas.component(schema.output) if schema is not None and schema.output else None
            if output is not None:
                found = {
                    name: parse_port(prop, self._components)
                    for name, prop in output.get("properties", {}).items()
                    if isinstance(prop, Mapping) and prop.get("field_kind") == "output"
                }
            self._outputs[node_type] = found
        return found


_INDEXES: weakref.WeakKeyDictionary[InvocationSchemas, TypeIndex] = weakref.WeakKeyDictionary()


def type_index(schemas: InvocationSchemas) -> TypeIndex:
    """The (cached) :class:`TypeIndex` of ``schemas``."""
    index = _INDEXES.get(schemas)
    if index is None:
        index = _INDEXES[schemas] = TypeIndex(schemas)
    return index
