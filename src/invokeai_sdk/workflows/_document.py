"""``WorkflowDocument``: a workflow exported from the InvokeAI GUI (schema 3.x or 4.x), ready to run.

::

    wf = WorkflowDocument.load("workflows/blur-to-board.json")
    wf.inputs["Blur Radius"] = 4
    batch = wf.to_batch(sweep={"Blur Radius": [1, 2, 3]})

The document given is deep-copied once at load: ``raw`` stays exactly as loaded; values are written
to a working copy through jsonpath-ng paths compiled once per input.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._errors import WorkflowError, WorkflowInputError
from .._invocation_schema import FieldSpec, InvocationSchemas
from ._graph import build_graph, embedded_workflow, is_batch_node, parse_flag
from ._inputs import WorkflowInput, WorkflowInputs, build_inputs
from ._sweep import SweepKey, batch_node_data, generator_feeds, sweep_data
from ._validate import check_document
from ._values import Pending

__all__ = ["OutputNode", "WorkflowDocument", "WorkflowSource"]

WorkflowSource = str | os.PathLike[str] | bytes | Mapping[str, Any]
"""A file path, JSON text (str or bytes) or a parsed dict."""


@dataclass(frozen=True)
class OutputNode:
    """A node whose results the workflow keeps: not intermediate (it saves to the gallery)."""

    node_id: str
    node_type: str
    label: str


class WorkflowDocument:
    """A GUI workflow: typed inputs to set, and the graph and batch the GUI would build from it."""

    def __init__(self, data: Mapping[str, Any], *, schemas: InvocationSchemas | None = None) -> None:
        check_document(data)
        self._raw: dict[str, Any] = copy.deepcopy(dict(data))
        self._data: dict[str, Any] = copy.deepcopy(self._raw)
        self._schemas = schemas
        self._pending: dict[tuple[str, str], Any] = {}
        self._inputs: WorkflowInputs | None = None

    # -- loading -----------------------------------------------------------------------------

    @classmethod
    def load(cls, source: WorkflowSource, *, schemas: InvocationSchemas | None = None) -> WorkflowDocument:
        """Load from a dict, JSON text or bytes, or a file path; raise :class:`WorkflowError` if malformed."""
        if isinstance(source, Mapping):
            return cls(source, schemas=schemas)
        if isinstance(source, bytes):
            return cls.from_json(source, schemas=schemas)
        if isinstance(source, str) and source.lstrip().startswith("{"):
            return cls.from_json(source, schemas=schemas)
        return cls.from_file(source, schemas=schemas)

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], *, schemas: InvocationSchemas | None = None
    ) -> WorkflowDocument:
        """Load a workflow exported from the GUI (a ``.json`` file)."""
        try:
            text = Path(path).read_bytes()
        except OSError as exc:
            raise WorkflowError(f"cannot read workflow file {os.fspath(path)!r}: {exc}") from exc
        return cls.from_json(text, schemas=schemas)

    @classmethod
    def from_json(cls, text: str | bytes, *, schemas: InvocationSchemas | None = None) -> WorkflowDocument:
        """Load from JSON text."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise WorkflowError(f"not valid JSON: {exc}", path="$") from exc
        return cls(data, schemas=schemas)

    # -- properties --------------------------------------------------------------------------

    @property
    def raw(self) -> dict[str, Any]:
        """The document exactly as loaded (a copy; edits do not show here)."""
        return copy.deepcopy(self._raw)

    def to_dict(self) -> dict[str, Any]:
        """The document as edited (a copy), in the GUI's export format."""
        return copy.deepcopy(self._data)

    def to_json(self, *, indent: int | None = 2) -> str:
        """The document as edited, as JSON text (loadable by the GUI)."""
        return json.dumps(self._data, indent=indent)

    @property
    def id(self) -> str | None:
        """The library id, when the document came from (or was saved to) a server library."""
        value = self._data.get("id")
        return value if isinstance(value, str) and value else None

    @property
    def name(self) -> str:
        """The workflow's name."""
        return str(self._data.get("name") or "")

    @property
    def schema_version(self) -> str:
        """The document's schema version (``meta.version``), e.g. ``"3.0.0"`` or ``"4.0.0"``."""
        return str(self._data["meta"]["version"])

    @property
    def category(self) -> str | None:
        """The library category (``user``, ``default``, ...) from ``meta.category``."""
        value = self._data["meta"].get("category")
        return value if isinstance(value, str) else None

    @property
    def schemas(self) -> InvocationSchemas | None:
        """The server node schemas the inputs are typed with (``None`` when unbound)."""
        return self._schemas

    def bind(self, schemas: InvocationSchemas) -> WorkflowDocument:
        """Type the inputs with a server's node schemas; checks every value already set. Returns ``self``."""
        self._schemas = schemas
        self._inputs = None
        for item in self.inputs:
            value = self.get_value(item)
            if (
                item.spec is not None
                and value is not None
                and (item.node_id, item.field_name) not in self._pending
            ):
                from ._values import coerce_value

                self._write(item, coerce_value(item.spec, value, f"input {item.label!r}"))
        return self

    @property
    def unknown_node_types(self) -> list[str]:
        """Node types of this workflow the bound server does not have (empty when unbound)."""
        if self._schemas is None:
            return []
        types = (node["data"]["type"] for node in self._data["nodes"] if node["type"] == "invocation")
        return sorted({t for t in types if t not in self._schemas})

    @property
    def inputs(self) -> WorkflowInputs:
        """The inputs (form order, else ``exposedFields``), settable by index, label or (node, field)."""
        if self._inputs is None:
            self._inputs = WorkflowInputs(self, build_inputs(self._data, self._schemas))
        return self._inputs

    def set(self, **by_label: Any) -> WorkflowDocument:
        """Set inputs by label (``wf.set(Seed=1, Steps=20)``); returns ``self`` for chaining."""
        for label, value in by_label.items():
            self.inputs[label] = value
        return self

    def get_value(self, item: WorkflowInput) -> Any:
        """The current value of one input (a :class:`Pending` marker for uploads/model names to resolve)."""
        pending = self._pending.get((item.node_id, item.field_name))
        if pending is not None:
            return pending
        found = item.path.find(self._data)
        return found[0].value if found else None

    def _write(self, item: WorkflowInput, value: Any) -> None:
        key = (item.node_id, item.field_name)
        if isinstance(value, Pending) or (
            isinstance(value, list) and any(isinstance(v, Pending) for v in value)
        ):
            self._pending[key] = value
            return
        self._pending.pop(key, None)
        item.path.update_or_create(self._data, value)

    @property
    def pending(self) -> dict[tuple[str, str], Any]:
        """Values set that still need the server (uploads, model names), keyed by ``(node_id, field)``."""
        return dict(self._pending)

    def copy(self) -> WorkflowDocument:
        """An independent copy with the same values and schemas."""
        other = WorkflowDocument.__new__(WorkflowDocument)
        other._raw = self._raw
        other._data = copy.deepcopy(self._data)
        other._schemas = self._schemas
        other._pending = dict(self._pending)
        other._inputs = None
        return other

    # -- nodes -------------------------------------------------------------------------------

    def field_spec(self, node_id: str, field_name: str) -> FieldSpec | None:
        """The server's type of any field of any node (``None`` when unbound or unknown)."""
        node = self._node(node_id)
        if self._schemas is None:
            return None
        return self._schemas.field(node["data"]["type"], field_name)

    def _node(self, node_id: str) -> dict[str, Any]:
        for node in self._data["nodes"]:
            if node["id"] == node_id and node["type"] == "invocation":
                return node  # type: ignore[no-any-return]
        raise WorkflowInputError(f"no invocation node {node_id!r} in this workflow")

    @property
    def generators(self) -> dict[str, dict[str, Any]]:
        """The generator nodes feeding batch nodes: ``{generator node id: its generator setting}``."""
        by_id = {node["id"]: node for node in self._data["nodes"]}
        out: dict[str, dict[str, Any]] = {}
        for generator_id in generator_feeds(self._data).values():
            value = (by_id[generator_id]["data"].get("inputs", {}).get("generator") or {}).get("value")
            out[generator_id] = copy.deepcopy(value) if isinstance(value, dict) else {}
        return out

    @property
    def outputs(self) -> list[OutputNode]:
        """The nodes whose results are kept (not intermediate), in workflow order."""
        out: list[OutputNode] = []
        for index, node in enumerate(self._data["nodes"]):
            if node["type"] != "invocation" or is_batch_node(node["data"]["type"]):
                continue
            data = node["data"]
            if not parse_flag(data.get("isIntermediate"), True, f"$.nodes[{index}].data.isIntermediate"):
                label = data.get("label") or (self._title(data["type"]))
                out.append(OutputNode(node_id=node["id"], node_type=data["type"], label=str(label)))
        return out

    def _title(self, node_type: str) -> str:
        schema = self._schemas.get(node_type) if self._schemas is not None else None
        return schema.title if schema is not None else node_type

    # -- graph and batch ---------------------------------------------------------------------

    def _check_ready(self) -> None:
        if self._pending:
            names = ", ".join(f"{n}.{f}" for n, f in self._pending)
            raise WorkflowInputError(
                f"inputs {names} need the server (uploads or model names): "
                "run through ivk.workflows (run/prepare) to resolve them"
            )

    def to_graph(self, *, auto_board: str | None = None) -> dict[str, Any]:
        """The graph the GUI builds: ``{"nodes": {...}, "edges": [...]}``.

        ``auto_board`` is the board id that board fields set to ``"auto"`` (or unset) save to; without
        it such fields are left out, as the GUI does when its auto-add board is "Uncategorized".
        """
        self._check_ready()
        unknown = self.unknown_node_types
        if unknown:
            raise WorkflowError(
                f"the server has no node type {', '.join(map(repr, unknown))}: update it in the GUI",
                path="$.nodes",
            )
        graph = build_graph(self._data, schemas=self._schemas, auto_board=auto_board)
        if self._schemas is not None:
            self._check_required(graph)
        return graph

    def _check_required(self, graph: Mapping[str, Any]) -> None:
        """Fields the server's schema requires (it answers 422 without them) must have a value or an edge."""
        fed = {(e["destination"]["node_id"], e["destination"]["field"]) for e in graph["edges"]}
        missing: list[str] = []
        for node_id, node in graph["nodes"].items():
            schema = self._schemas.get(node["type"]) if self._schemas is not None else None
            for name in schema.raw.get("required", ()) if schema is not None else ():
                if name not in ("id", "type") and name not in node and (node_id, name) not in fed:
                    missing.append(f"{node_id}.{name} ({node['type']})")
        if missing:
            raise WorkflowInputError("required fields have no value: " + ", ".join(missing))

    def to_batch(
        self,
        *,
        runs: int = 1,
        sweep: Mapping[SweepKey, Sequence[Any]] | None = None,
        zip: Iterable[Iterable[SweepKey]] = (),
        auto_board: str | None = None,
        origin: str = "workflows",
        destination: str = "gallery",
        embed_workflow: bool = True,
        generated: Mapping[str, Sequence[Any]] | None = None,
    ) -> dict[str, Any]:
        """The ``batch`` object of an ``enqueue_batch`` body, as the GUI builds it.

        ``sweep`` maps inputs (label, index or ``(node_id, field)``) to lists of values: each list
        becomes one ``batch.data`` entry (the server multiplies entries; ``zip`` groups entries that
        advance together). Every value is checked against the field's type first
        (:class:`BatchDataError`). ``runs`` repeats the whole batch. Generator nodes are expanded as
        the GUI does; ``generated`` gives the items of generators that need the server (dynamic
        prompts, board images), by generator node id (``ivk.workflows.build_batch`` fills it).
        """
        if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
            raise WorkflowInputError(f"runs must be a positive integer, got {runs!r}")
        graph = self.to_graph(auto_board=auto_board)
        data = batch_node_data(self._data, self._schemas, generated)
        if sweep:
            targets: dict[tuple[str, str], tuple[FieldSpec | None, Sequence[Any]]] = {}
            names: dict[SweepKey, tuple[str, str]] = {}
            fed = {(e["destination"]["node_id"], e["destination"]["field"]) for e in graph["edges"]}
            batch_fed = {(d["node_path"], d["field_name"]) for entry in data for d in entry}
            for key, values in sweep.items():
                target = self._sweep_target(key)
                if target[0] not in graph["nodes"]:
                    raise WorkflowInputError(f"sweep target {key!r} is not an executable node")
                if target in fed:
                    raise WorkflowInputError(
                        f"sweep target {key!r} ({target[0]}.{target[1]}) is fed by an edge of the graph: "
                        "the edge's value would replace the swept one; sweep the node feeding it instead"
                    )
                if target in batch_fed:
                    raise WorkflowInputError(
                        f"sweep target {key!r}: {target[0]}.{target[1]} is fed by a batch node of the "
                        "workflow already (the server refuses two batch data for one field)"
                    )
                names[key] = target
                targets[target] = (self.field_spec(*target), values)
            zipped = [[names[k] if k in names else self._sweep_target(k) for k in group] for group in zip]
            data.extend(sweep_data(targets, zipped))
        batch: dict[str, Any] = {
            "graph": graph,
            "runs": runs,
            "data": data,
            "origin": origin,
            "destination": destination,
        }
        if embed_workflow:
            batch["workflow"] = embedded_workflow(self._data)
        return batch

    def _sweep_target(self, key: SweepKey) -> tuple[str, str]:
        if isinstance(key, tuple):
            if len(key) != 2:
                raise WorkflowInputError(f"a sweep key tuple is (node_id, field_name), got {key!r}")
            self._node(key[0])
            return key[0], key[1]
        item = self.inputs.find(key)
        return item.node_id, item.field_name

    def __repr__(self) -> str:
        return (
            f"WorkflowDocument(name={self.name!r}, schema={self.schema_version}, inputs={len(self.inputs)})"
        )
