"""Invocation (node) field types read from the server's ``/openapi.json``.

The server describes every node type as a component schema with ``"class": "invocation"``; its
``properties`` are the node's fields with JSON-schema types plus InvokeAI extras (``field_kind``,
``input``, ``orig_required``, ``ui_type``). This module turns them into :class:`FieldSpec` objects
that can check a Python value *before* it is sent, so a bad value never reaches the queue.
Types are taken from the schema only, never guessed from field names.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FieldSpec", "InvocationSchema", "InvocationSchemas", "ValueKind", "field_title", "start_case"]

ValueKind = str
"""One of: ``integer``, ``float``, ``string``, ``boolean``, ``enum``, ``image``, ``board``, ``model``,
``color``, ``collection``, ``object`` (a structured value checked only as a mapping), ``union`` (several
shapes: a value fits when any of :attr:`FieldSpec.variants` accepts it), ``any``."""

_NODE_ATTRIBUTES = frozenset({"id", "type", "is_intermediate", "use_cache"})


@dataclass(frozen=True)
class FieldSpec:
    """The type of one input field of one node type, as the server declares it."""

    name: str
    kind: ValueKind
    title: str | None = None
    description: str | None = None
    default: Any = None
    has_default: bool = False
    required: bool = False
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    multiple_of: float | None = None
    choices: tuple[Any, ...] | None = None
    item: FieldSpec | None = None
    ref: str | None = None
    ui_type: str | None = None
    input: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    variants: tuple[FieldSpec, ...] = ()
    """The accepted shapes of a ``union`` field (e.g. a number or a list of numbers)."""

    def check(self, value: Any) -> str | None:
        """Return why ``value`` does not fit this field, or ``None`` when it does."""
        kind = self.kind
        if value is None:
            if kind == "enum" and not self.nullable:
                return f"None is not one of {', '.join(repr(c) for c in self.choices or ())}"
            return None if self.nullable or not self.required else "a value is required"
        if kind == "union":
            problems: list[str] = []
            for variant in self.variants:
                problem = variant.check(value)
                if problem is None:
                    return None
                problems.append(f"{variant.describe()} ({problem})")
            return f"{value!r} fits none of the allowed shapes: " + "; ".join(problems)
        if kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    return self._check_range(value)
                return f"expected an integer, got {type(value).__name__} {value!r}"
            return self._check_range(value)
        if kind == "float":
            if isinstance(value, bool) or not isinstance(value, int | float):
                return f"expected a number, got {type(value).__name__} {value!r}"
            if isinstance(value, float) and not math.isfinite(value):
                return f"expected a finite number, got {value!r}"
            return self._check_range(value)
        if kind == "string":
            if not isinstance(value, str):
                return f"expected a string, got {type(value).__name__} {value!r}"
            return self._check_length(value)
        if kind == "boolean":
            return None if isinstance(value, bool) else f"expected true or false, got {value!r}"
        if kind == "enum":
            if self.choices is not None and value not in self.choices:
                options = ", ".join(repr(c) for c in self.choices)
                return f"{value!r} is not one of {options}"
            return None
        if kind == "image":
            if isinstance(value, Mapping) and isinstance(value.get("image_name"), str):
                return None
            return f"expected an image reference {{'image_name': ...}}, got {value!r}"
        if kind == "board":
            if isinstance(value, Mapping) and isinstance(value.get("board_id"), str):
                return None
            return f"expected a board reference {{'board_id': ...}}, got {value!r}"
        if kind == "model":
            if isinstance(value, Mapping) and isinstance(value.get("key"), str):
                return None
            return f"expected a model identifier with a 'key', got {value!r}"
        if kind == "color":
            if isinstance(value, Mapping) and all(k in value for k in ("r", "g", "b", "a")):
                return None
            return f"expected a color {{'r','g','b','a'}}, got {value!r}"
        if kind == "collection":
            if not isinstance(value, list | tuple):
                return f"expected a list, got {type(value).__name__} {value!r}"
            if self.item is not None:
                for index, element in enumerate(value):
                    problem = self.item.check(element)
                    if problem:
                        return f"item {index}: {problem}"
            return None
        if kind == "object":
            return None if isinstance(value, Mapping) else f"expected an object, got {value!r}"
        return None

    def describe(self) -> str:
        """A short description of the accepted values (``a number``, ``a list of numbers``, ...)."""
        names = {
            "integer": "an integer",
            "float": "a number",
            "string": "a string",
            "boolean": "true or false",
            "image": "an image reference",
            "board": "a board reference",
            "model": "a model identifier",
            "color": "a color",
        }
        if self.kind == "collection":
            return "a list" if self.item is None else f"a list of ({self.item.describe()})"
        if self.kind == "enum":
            return "one of " + ", ".join(repr(c) for c in self.choices or ())
        if self.kind == "union":
            return " or ".join(v.describe() for v in self.variants)
        if self.kind == "object":
            return f"an object ({self.ref})" if self.ref else "an object"
        bounds = [
            f"{op} {bound:g}"
            for op, bound in (
                (">=", self.minimum),
                ("<=", self.maximum),
                (">", self.exclusive_minimum),
                ("<", self.exclusive_maximum),
            )
            if bound is not None
        ]
        text = names.get(self.kind, "any value")
        return f"{text} {' and '.join(bounds)}" if bounds else text

    def _check_range(self, value: float) -> str | None:
        if self.minimum is not None and value < self.minimum:
            return f"{value!r} is below the minimum {self.minimum:g}"
        if self.maximum is not None and value > self.maximum:
            return f"{value!r} is above the maximum {self.maximum:g}"
        if self.exclusive_minimum is not None and value <= self.exclusive_minimum:
            return f"{value!r} must be greater than {self.exclusive_minimum:g}"
        if self.exclusive_maximum is not None and value >= self.exclusive_maximum:
            return f"{value!r} must be less than {self.exclusive_maximum:g}"
        if self.multiple_of and not math.isclose(value / self.multiple_of, round(value / self.multiple_of)):
            return f"{value!r} is not a multiple of {self.multiple_of:g}"
        return None

    def _check_length(self, value: str) -> str | None:
        low, high = self.raw.get("minLength"), self.raw.get("maxLength")
        if isinstance(low, int) and len(value) < low:
            return f"{value!r} is shorter than {low} characters"
        if isinstance(high, int) and len(value) > high:
            return f"{value!r} is longer than {high} characters"
        return None


@dataclass(frozen=True)
class InvocationSchema:
    """One node type: its ``type`` string, title, category and input fields."""

    type: str
    title: str
    category: str | None
    fields: Mapping[str, FieldSpec]
    output: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @functools.cached_property
    def board_fields(self) -> frozenset[str]:
        """Names of the fields that take a board (read once: graph building asks for every node)."""
        return frozenset(name for name, spec in self.fields.items() if spec.kind == "board")


class InvocationSchemas:
    """Every node type of one server, parsed lazily from its OpenAPI document."""

    def __init__(self, openapi: Mapping[str, Any]) -> None:
        self._components: Mapping[str, Any] = openapi.get("components", {}).get("schemas", {})
        self._by_type: dict[str, str] = {}
        for name, schema in self._components.items():
            if not isinstance(schema, Mapping) or schema.get("class") != "invocation":
                continue
            type_prop = schema.get("properties", {}).get("type", {})
            node_type = type_prop.get("const", type_prop.get("default"))
            if isinstance(node_type, str):
                self._by_type[node_type] = name
        self._cache: dict[str, InvocationSchema] = {}

    @property
    def types(self) -> frozenset[str]:
        """Every node type the server knows."""
        return frozenset(self._by_type)

    def __contains__(self, node_type: object) -> bool:
        return node_type in self._by_type

    def get(self, node_type: str) -> InvocationSchema | None:
        """The schema of ``node_type``, or ``None`` when the server has no such node."""
        cached = self._cache.get(node_type)
        if cached is not None:
            return cached
        name = self._by_type.get(node_type)
        if name is None:
            return None
        raw = self._components[name]
        fields = {
            key: self._field(key, prop, key in raw.get("required", ()))
            for key, prop in raw.get("properties", {}).items()
            if key not in _NODE_ATTRIBUTES
        }
        output = raw.get("output", {}).get("$ref", "").rsplit("/", 1)[-1] or None
        parsed = InvocationSchema(
            type=node_type,
            title=str(raw.get("title", node_type)),
            category=raw.get("category"),
            fields=fields,
            output=output,
            raw=raw,
        )
        self._cache[node_type] = parsed
        return parsed

    def field(self, node_type: str, field_name: str) -> FieldSpec | None:
        """The spec of one field, or ``None`` when the node type or field does not exist."""
        schema = self.get(node_type)
        return None if schema is None else schema.fields.get(field_name)

    def component(self, name: str) -> Mapping[str, Any] | None:
        """A raw component schema by name (e.g. ``ImageOutput``, a node type's output), or ``None``."""
        found = self._components.get(name)
        return found if isinstance(found, Mapping) else None

    # -- parsing -----------------------------------------------------------------------------

    def _field(self, name: str, prop: Mapping[str, Any], required_in_schema: bool) -> FieldSpec:
        nullable = False
        body: Mapping[str, Any] = prop
        base = {k: v for k, v in prop.items() if k not in ("anyOf", "oneOf", "allOf")}
        variants = prop.get("anyOf") or prop.get("oneOf") or prop.get("allOf")
        options: tuple[FieldSpec, ...] = ()
        if isinstance(variants, list):
            shapes = [v for v in variants if isinstance(v, Mapping)]
            non_null = [v for v in shapes if v.get("type") != "null"]
            nullable = len(non_null) < len(shapes)
            if len(non_null) == 1:
                body = {**base, **non_null[0]}
            elif non_null:
                # Several shapes (e.g. a value or a list of values): a value fits when any fits.
                options = tuple(self._field(name, {**base, **v}, True) for v in non_null)
                body = base
        kind, item, ref, choices = ("union", None, None, None) if options else self._kind(body)
        return FieldSpec(
            name=name,
            kind=kind,
            title=field_title(name, prop),
            description=prop.get("description"),
            default=prop.get("default"),
            has_default="default" in prop,
            required=bool(prop.get("orig_required", required_in_schema)),
            nullable=nullable,
            minimum=_number(body.get("minimum")),
            maximum=_number(body.get("maximum")),
            exclusive_minimum=_number(body.get("exclusiveMinimum")),
            exclusive_maximum=_number(body.get("exclusiveMaximum")),
            multiple_of=_number(body.get("multipleOf")),
            choices=choices,
            item=item,
            ref=ref,
            ui_type=prop.get("ui_type"),
            input=prop.get("input"),
            raw=prop,
            variants=options,
        )

    def _kind(
        self, body: Mapping[str, Any]
    ) -> tuple[ValueKind, FieldSpec | None, str | None, tuple[Any, ...] | None]:
        if "enum" in body:
            return "enum", None, None, tuple(body["enum"])
        if "const" in body:
            return "enum", None, None, (body["const"],)
        ref = body.get("$ref")
        if isinstance(ref, str):
            ref_name = ref.rsplit("/", 1)[-1]
            target = self._components.get(ref_name, {})
            if "enum" in target:
                return "enum", None, ref_name, tuple(target["enum"])
            return (
                _REF_KINDS.get(ref_name, "model" if _is_model_ref(ref_name, target) else "object"),
                None,
                ref_name,
                None,
            )
        json_type = body.get("type")
        if json_type == "integer":
            return "integer", None, None, None
        if json_type == "number":
            return "float", None, None, None
        if json_type == "string":
            return "string", None, None, None
        if json_type == "boolean":
            return "boolean", None, None, None
        if json_type == "array":
            items = body.get("items")
            item = self._field("item", items, True) if isinstance(items, Mapping) and items else None
            return "collection", item, None, None
        if json_type == "object":
            return "object", None, None, None
        return "any", None, None, None


_REF_KINDS: dict[str, ValueKind] = {
    "ImageField": "image",
    "BoardField": "board",
    "ModelIdentifierField": "model",
    "ColorField": "color",
}


def _is_model_ref(name: str, target: Mapping[str, Any]) -> bool:
    props = target.get("properties", {})
    return isinstance(props, Mapping) and "key" in props and "base" in props and "type" in props


_WORDS = re.compile(r"[A-Z]{2,}(?=[A-Z][a-z]|[^A-Za-z]|$)|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def start_case(name: str) -> str:
    """``name`` as the GUI titles a field without a schema title (lodash ``startCase``): ``clip_embed_model``
    -> ``Clip Embed Model``, ``t5_encoder`` -> ``T 5 Encoder``."""
    return " ".join(word[:1].upper() + word[1:] for word in _WORDS.findall(name))


def field_title(name: str, prop: Mapping[str, Any]) -> str:
    """The title the GUI shows for a field: the schema's ``title`` (beside or inside ``anyOf`` /
    ``allOf`` / ``oneOf``), else the field name in start case."""
    title = prop.get("title")
    if isinstance(title, str) and title:
        return title
    for key in ("allOf", "anyOf", "oneOf"):
        for variant in prop.get(key) or ():
            inner = variant.get("title") if isinstance(variant, Mapping) else None
            if isinstance(inner, str) and inner and "$ref" not in variant:
                return inner
    return start_case(name)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
