"""Turn what users pass for a workflow field into the JSON the server expects, and check it.

Image fields take an image name, an image DTO (anything with ``image_name``) or a path/bytes to
upload; board fields take a board id, a board DTO, ``"auto"`` or ``"none"``; model fields take a
model config (anything with ``key``), a key or a name. Values that need the server (an upload, a
model name) become :class:`Pending` markers that ``ivk.workflows`` resolves before enqueueing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._errors import WorkflowInputError
from .._invocation_schema import FieldSpec

__all__ = ["MODEL_KEYS", "Pending", "coerce_value", "jsonpath_parse"]


def jsonpath_parse(expression: str) -> Any:
    """Compile a jsonpath-ng path; jsonpath-ng (and its parser tables) loads with the first workflow."""
    from jsonpath_ng.parser import parse

    return parse(expression)


MODEL_KEYS = ("key", "hash", "name", "base", "type", "submodel_type")
"""The parts of a model config a node's model field carries."""


@dataclass(frozen=True)
class Pending:
    """A value that needs the server before it can be sent: an upload or a model name to resolve."""

    kind: str
    """``"upload"`` (``value`` is a path or bytes) or ``"model"`` (``value`` is a name or key)."""
    value: Any


def _attr(value: Any, name: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(name)
    return getattr(value, name, None)


def _image(value: Any, where: str) -> Any:
    if isinstance(value, str):
        return {"image_name": value}
    if isinstance(value, bytes | bytearray | Path | os.PathLike):
        return Pending("upload", bytes(value) if isinstance(value, bytearray) else value)
    name = _attr(value, "image_name")
    if isinstance(name, str):
        return {"image_name": name}
    raise WorkflowInputError(f"{where}: expected an image name, image DTO, path or bytes, got {value!r}")


def _board(value: Any, where: str) -> Any:
    if value in ("auto", "none") or value is None:
        return "auto" if value is None else value
    if isinstance(value, str):
        return {"board_id": value}
    board_id = _attr(value, "board_id")
    if isinstance(board_id, str):
        return {"board_id": board_id}
    raise WorkflowInputError(f"{where}: expected a board id, board DTO, 'auto' or 'none', got {value!r}")


def _model(value: Any, where: str) -> Any:
    if isinstance(value, str):
        return Pending("model", value)
    key = _attr(value, "key")
    if isinstance(key, str):
        out = {name: _attr(value, name) for name in MODEL_KEYS}
        return {k: (v.value if hasattr(v, "value") else v) for k, v in out.items() if v is not None}
    raise WorkflowInputError(f"{where}: expected a model config, key or name, got {value!r}")


def _union(spec: FieldSpec, value: Any, where: str) -> Any:
    """The value converted for the first of the field's shapes that accepts it."""
    problems: list[str] = []
    for variant in spec.variants:
        try:
            return coerce_value(variant, value, where)
        except WorkflowInputError as exc:
            problems.append(f"{variant.describe()}: {str(exc).removeprefix(where + ': ')}")
    raise WorkflowInputError(f"{where}: {value!r} is not allowed; expected " + " or ".join(problems))


def coerce_value(spec: FieldSpec | None, value: Any, where: str) -> Any:
    """Convert ``value`` for the field ``spec`` describes and check it; raise :class:`WorkflowInputError`."""
    if spec is None:
        # Untyped (no server schema yet): only values that cannot be JSON are recognised.
        if isinstance(value, bytes | bytearray | Path | os.PathLike):
            return _image(value, where)
        return value
    kind = spec.kind
    if kind == "union" and value is not None:
        return _union(spec, value, where)
    if kind == "image" and value is not None:
        value = _image(value, where)
    elif kind == "board":
        return _board(value, where)
    elif kind == "model" and value is not None:
        value = _model(value, where)
    elif kind == "collection" and spec.item is not None and spec.item.kind == "image" and value is not None:
        if not isinstance(value, list | tuple):
            raise WorkflowInputError(f"{where}: expected a list of images, got {value!r}")
        value = [_image(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if any(isinstance(v, Pending) for v in value):
            return value
    elif kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    elif kind == "integer" and isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, Pending):
        return value
    problem = spec.check(value)
    if problem is not None:
        raise WorkflowInputError(f"{where}: {problem}")
    return value
