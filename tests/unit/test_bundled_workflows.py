"""The shipped workflows are found from the package, and the wheel carries them."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from invokeai_sdk import ValidationError
from invokeai_sdk.workflows import WorkflowDocument, bundled_workflow, bundled_workflows

REPO = Path(__file__).resolve().parents[2]


def test_every_repository_workflow_is_bundled_and_loads() -> None:
    found = bundled_workflows()
    assert sorted(found) == sorted(p.stem for p in (REPO / "workflows").glob("*.json"))
    assert "blur-to-board" in found
    for path in found.values():
        assert WorkflowDocument.load(path).name
    assert bundled_workflow("blur-to-board.json") == found["blur-to-board"]


def test_unknown_name_lists_the_shipped_ones() -> None:
    with pytest.raises(ValidationError, match="blur-to-board"):
        bundled_workflow("no-such-workflow")


def test_the_wheel_ships_the_workflows(tmp_path: Path) -> None:
    uv = shutil.which("uv")  # the development setup installs it (README: pip install nox uv)
    assert uv is not None
    subprocess.run(
        [uv, "build", "--wheel", "-q", "-o", str(tmp_path), str(REPO)], check=True, capture_output=True
    )
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        shipped = {n for n in names if n.startswith("invokeai_sdk/_workflows/") and n.endswith(".json")}
        assert {f"invokeai_sdk/_workflows/{p.name}" for p in (REPO / "workflows").glob("*.json")} == shipped
        json.loads(archive.read("invokeai_sdk/_workflows/blur-to-board.json"))
