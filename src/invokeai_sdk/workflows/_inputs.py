"""The inputs of a workflow: discovered from its form (or legacy ``exposedFields``), typed, settable.

::

    wf.inputs[0] = "a cat"                      # by position
    wf.inputs["Positive Prompt"] = "a cat"      # by label (ambiguous labels raise, listing candidates)
    wf.inputs["<node id>", "prompt"] = "a cat"  # by node id and field name
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .._errors import WorkflowError, WorkflowInputError
from .._invocation_schema import FieldSpec, InvocationSchemas, start_case
from ._validate import check_form
from ._values import coerce_value, jsonpath_parse

__all__ = ["InputKey", "WorkflowInput", "WorkflowInputs", "discover_fields"]

InputKey = int | str | tuple[str, str]
"""How an input is named: its index, its label, or ``(node_id, field_name)``."""

_SKIPPED_ELEMENTS = frozenset({"text", "heading", "divider"})


class InputStore(Protocol):
    """Where input values live (the workflow document): read one, write one already coerced."""

    def get_value(self, item: WorkflowInput) -> Any:
        """The current value of ``item``."""
        ...

    def _write(self, item: WorkflowInput, value: Any) -> None: ...


@dataclass(frozen=True)
class WorkflowInput:
    """One input of a workflow: where it lives, its label and its type from the server's schema."""

    index: int
    label: str
    node_id: str
    node_type: str
    field_name: str
    spec: FieldSpec | None = field(default=None, compare=False)
    """The field's type from the server (``None`` until the document is bound to a server's schemas)."""
    path: Any = field(default=None, repr=False, compare=False)
    """The compiled jsonpath-ng path of the value in the document."""

    @property
    def kind(self) -> str | None:
        """The value kind (``integer``, ``enum``, ``image``, ``model``, ...) or ``None`` when untyped."""
        return None if self.spec is None else self.spec.kind

    @property
    def choices(self) -> tuple[Any, ...] | None:
        """The allowed values of an enum field."""
        return None if self.spec is None else self.spec.choices

    @property
    def required(self) -> bool:
        """True when the node type requires this field."""
        return bool(self.spec and self.spec.required)

    @property
    def default(self) -> Any:
        """The server's default for this field."""
        return None if self.spec is None else self.spec.default


def discover_fields(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(node_id, field_name)`` of every input, in form order (depth first), else ``exposedFields``.

    A malformed form raises :class:`WorkflowError` naming the JSON path at fault.
    """
    found: list[tuple[str, str]] = []
    form = doc.get("form")
    check_form(form)
    if isinstance(form, Mapping):
        elements = form.get("elements") or {}
        root = form.get("rootElementId")
        stack = [root] if isinstance(root, str) else []
        seen: set[str] = set()
        while stack:
            element_id = stack.pop()
            element = elements.get(element_id)
            if element_id in seen or not isinstance(element, Mapping):
                continue
            seen.add(element_id)
            kind = element.get("type")
            data = element.get("data") or {}
            if kind == "container":
                stack.extend(reversed(data.get("children", [])))
            elif kind == "node-field":
                ident = data["fieldIdentifier"]
                found.append((ident["nodeId"], ident["fieldName"]))
            elif kind in _SKIPPED_ELEMENTS:
                continue
    if not found:
        for index, item in enumerate(doc.get("exposedFields") or []):
            if not (
                isinstance(item, Mapping)
                and isinstance(item.get("nodeId"), str)
                and isinstance(item.get("fieldName"), str)
            ):
                raise WorkflowError(
                    f"expected an object {{nodeId, fieldName}} of strings, got {item!r}",
                    path=f"$.exposedFields[{index}]",
                )
            found.append((item["nodeId"], item["fieldName"]))
    unique: list[tuple[str, str]] = []
    for pair in found:
        if pair not in unique:
            unique.append(pair)
    return unique


def build_inputs(doc: Mapping[str, Any], schemas: InvocationSchemas | None) -> list[WorkflowInput]:
    """The typed inputs of ``doc`` (fields pointing at unknown nodes or fields are left out)."""
    positions = {node["id"]: i for i, node in enumerate(doc["nodes"]) if node["type"] == "invocation"}
    inputs: list[WorkflowInput] = []
    for node_id, field_name in discover_fields(doc):
        position = positions.get(node_id)
        if position is None:
            continue
        node_data = doc["nodes"][position]["data"]
        node_type = node_data["type"]
        spec = schemas.field(node_type, field_name) if schemas is not None else None
        field_data = node_data.get("inputs", {}).get(field_name)
        if field_data is None and spec is None:
            continue
        field_label = (field_data or {}).get("label") or ""
        # As the GUI: the field's label, else (here) the node's, else the field template's title (the
        # schema's title, else the field name in start case).
        label = (
            field_label
            or node_data.get("label")
            or (spec.title if spec and spec.title else start_case(field_name))
        )
        path = jsonpath_parse(f"nodes[{position}].data.inputs.'{field_name}'.value")
        inputs.append(
            WorkflowInput(
                index=len(inputs),
                label=str(label),
                node_id=node_id,
                node_type=node_type,
                field_name=field_name,
                spec=spec,
                path=path,
            )
        )
    return inputs


class WorkflowInputs:
    """The inputs of a :class:`WorkflowDocument`, indexable by position, label or ``(node_id, field)``."""

    def __init__(self, document: InputStore, inputs: list[WorkflowInput]) -> None:
        self._document = document
        self._inputs = inputs

    def find(self, key: InputKey) -> WorkflowInput:
        """The input named by ``key``; raise :class:`WorkflowInputError` when none or several match."""
        if isinstance(key, bool):
            raise WorkflowInputError(f"not an input key: {key!r}")
        if isinstance(key, int):
            try:
                return self._inputs[key]
            except IndexError:
                raise WorkflowInputError(
                    f"no input #{key}: the workflow has {len(self._inputs)} inputs"
                ) from None
        if isinstance(key, tuple):
            for item in self._inputs:
                if (item.node_id, item.field_name) == key:
                    return item
            raise WorkflowInputError(
                f"no input for node {key[0]!r} field {key[1]!r}; inputs: {self._names()}"
            )
        matches = [item for item in self._inputs if item.label == key]
        if not matches:
            matches = [item for item in self._inputs if item.label.casefold() == str(key).casefold()]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise WorkflowInputError(f"no input labelled {key!r}; inputs: {self._names()}")
        candidates = ", ".join(f"#{m.index} ({m.node_id!r}, {m.field_name!r})" for m in matches)
        raise WorkflowInputError(
            f"the label {key!r} is ambiguous: {candidates}; use an index or (node_id, field_name)"
        )

    def _names(self) -> str:
        return ", ".join(f"#{i.index} {i.label!r}" for i in self._inputs) or "(none)"

    def __getitem__(self, key: InputKey) -> Any:
        return self._document.get_value(self.find(key))

    def __setitem__(self, key: InputKey, value: Any) -> None:
        item = self.find(key)
        self._document._write(item, coerce_value(item.spec, value, f"input {item.label!r}"))

    def __iter__(self) -> Iterator[WorkflowInput]:
        return iter(self._inputs)

    def __len__(self) -> int:
        return len(self._inputs)

    def __contains__(self, key: object) -> bool:
        try:
            self.find(key)  # type: ignore[arg-type]
        except WorkflowInputError:
            return False
        return True

    def values(self) -> dict[str, Any]:
        """``{label: current value}`` (a later duplicate label is keyed ``label #index``)."""
        out: dict[str, Any] = {}
        for item in self._inputs:
            key = item.label if item.label not in out else f"{item.label} #{item.index}"
            out[key] = self._document.get_value(item)
        return out

    def __repr__(self) -> str:
        return f"WorkflowInputs({self._names()})"
