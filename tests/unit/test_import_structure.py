"""``scripts/check_imports.py``: it finds every import (type-only and local ones too) and every circle."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import check_imports  # noqa: E402


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    source = tmp_path / "src" / "invokeai_sdk"
    for name, text in files.items():
        path = source / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return source


def test_type_only_and_local_imports_close_a_circle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = _package(
        tmp_path,
        {
            "__init__.py": "",
            "_client.py": "from .jobs import Handle\n",
            "jobs.py": """
                from typing import TYPE_CHECKING
                if TYPE_CHECKING:
                    from .resources.queue import Queue
                """,
            "resources/__init__.py": "",
            "resources/queue.py": """
                def make():
                    from ..jobs import Handle
                    from .. import _client
                """,
        },
    )
    monkeypatch.setattr(check_imports, "SOURCE", source)
    graph = check_imports.import_graph()
    assert graph["invokeai_sdk.jobs"] == {"invokeai_sdk.resources.queue"}
    assert graph["invokeai_sdk.resources.queue"] == {"invokeai_sdk.jobs", "invokeai_sdk._client"}
    assert check_imports.circles(graph) == [
        ["invokeai_sdk._client", "invokeai_sdk.jobs", "invokeai_sdk.resources.queue"]
    ]
    assert check_imports.main_problems(graph) == [
        "circle of 3 modules:\n"
        "    invokeai_sdk._client -> invokeai_sdk.jobs\n"
        "    invokeai_sdk.jobs -> invokeai_sdk.resources.queue\n"
        "    invokeai_sdk.resources.queue -> invokeai_sdk._client\n"
        "    invokeai_sdk.resources.queue -> invokeai_sdk.jobs",
        "invokeai_sdk.resources.queue imports invokeai_sdk._client: only invokeai_sdk, invokeai_sdk.__main__,"
        " invokeai_sdk._sync, invokeai_sdk.cli, invokeai_sdk.pool may (they stand above it)",
    ]


def test_floors_stand_above_what_they_import() -> None:
    graph = {"a": {"b", "c"}, "b": {"c"}, "c": set()}
    assert check_imports.floors(graph) == {"a": 3, "b": 2, "c": 1}


def test_the_package_has_no_circle_and_the_client_is_on_top() -> None:
    graph = check_imports.import_graph()
    assert "invokeai_sdk._client" in graph and len(graph) > 50
    assert check_imports.main_problems(graph) == []


def test_a_lower_package_importing_a_higher_one_is_a_circle_of_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No module imports itself back, but events/ imports resources/, which imports jobs, which imports
    # events/: the packages stand in a circle (an import that runs back up), which rule 3 refuses.
    source = _package(
        tmp_path,
        {
            "__init__.py": "",
            "events/__init__.py": "",
            "events/_stream.py": "",
            "events/_resource.py": "from ..resources._base import Base\n",
            "resources/__init__.py": "",
            "resources/_base.py": "",
            "resources/queue.py": "from ..jobs import Handle\n",
            "jobs.py": "from .events._stream import Stream\n",
        },
    )
    monkeypatch.setattr(check_imports, "SOURCE", source)
    graph = check_imports.import_graph()
    assert check_imports.circles(graph) == []
    assert check_imports.main_problems(graph) == [
        "circle of 3 packages (invokeai_sdk.events, invokeai_sdk.jobs, invokeai_sdk.resources):\n"
        "    invokeai_sdk.events._resource -> invokeai_sdk.resources._base\n"
        "    invokeai_sdk.jobs -> invokeai_sdk.events._stream\n"
        "    invokeai_sdk.resources.queue -> invokeai_sdk.jobs"
    ]
    # An import listed in BACK_UP, with its reason, does not tie the packages.
    monkeypatch.setitem(
        check_imports.BACK_UP, ("invokeai_sdk.events._resource", "invokeai_sdk.resources._base"), "a test"
    )
    assert check_imports.main_problems(graph) == []
