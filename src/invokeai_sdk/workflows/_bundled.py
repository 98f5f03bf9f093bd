"""The workflows shipped with the SDK: model-free ones that run on any server, and text-to-image ones.

In an installed wheel they live in ``invokeai_sdk/_workflows/``; in a source checkout (an editable
install) they are read from the repository's ``workflows/`` folder.
"""

from __future__ import annotations

from pathlib import Path

from .._errors import ValidationError

__all__ = ["bundled_workflow", "bundled_workflows"]

_PACKAGE = Path(__file__).resolve().parent.parent


def _folder() -> Path | None:
    for candidate in (_PACKAGE / "_workflows", _PACKAGE.parent.parent / "workflows"):
        if candidate.is_dir():
            return candidate
    return None


def bundled_workflows() -> dict[str, Path]:
    """The shipped workflows by name (the file name without ``.json``), e.g. ``"blur-to-board"``."""
    folder = _folder()
    if folder is None:
        return {}
    return {path.stem: path for path in sorted(folder.glob("*.json"))}


def bundled_workflow(name: str) -> Path:
    """The path of the shipped workflow ``name`` (with or without ``.json``), for
    ``ivk.workflows.load(bundled_workflow("blur-to-board"))``; :class:`ValidationError` names the
    shipped ones when there is no such workflow."""
    found = bundled_workflows()
    stem = name.removesuffix(".json")
    if stem not in found:
        raise ValidationError(f"No shipped workflow {name!r}; shipped: {', '.join(found) or 'none'}.")
    return found[stem]
