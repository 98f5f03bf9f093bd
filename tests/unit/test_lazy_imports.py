"""``import invokeai_sdk`` stays lean: heavy parts load on first use; every public name still resolves."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import invokeai_sdk

HEAVY = (
    "socketio",
    "engineio",
    "aiohttp",
    "PIL",
    "jsonpath_ng",
    "pydantic",
    "typer",  # (not rich: httpx imports it for its own command line when it is installed)
    "invokeai_sdk.cli._app",
    "invokeai_sdk._sync.generated",
)


def _modules_after(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return set(json.loads(out))


def test_import_loads_none_of_the_heavy_modules() -> None:
    loaded = _modules_after("import invokeai_sdk")
    assert "httpx" in loaded and "invokeai_sdk._client" in loaded
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_the_async_session_and_errors_need_no_heavy_module() -> None:
    loaded = _modules_after("from invokeai_sdk import UNCATEGORIZED, AsyncInvokeAI, NotFoundError")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_the_sync_facade_loads_on_first_use_but_not_socketio() -> None:
    loaded = _modules_after("from invokeai_sdk import InvokeAI")
    assert "invokeai_sdk._sync.generated" in loaded
    assert not loaded & {"socketio", "aiohttp", "PIL"}, sorted(loaded & {"socketio", "aiohttp", "PIL"})


def test_star_import_resolves_every_public_name() -> None:
    namespace: dict[str, object] = {}
    exec("from invokeai_sdk import *", namespace)
    missing = [name for name in invokeai_sdk.__all__ if name not in namespace]
    assert missing == []
    assert namespace["InvokeAI"].__module__ == "invokeai_sdk._sync.generated"
    assert set(invokeai_sdk.__all__) <= set(dir(invokeai_sdk))


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        invokeai_sdk.NoSuchThing  # noqa: B018


def test_the_sync_facade_and_workflows_never_load_the_command_line() -> None:
    loaded = _modules_after("from invokeai_sdk import *\nimport invokeai_sdk.workflows, invokeai_sdk.events")
    assert not loaded & {"typer", "invokeai_sdk.cli._app"}


def test_without_the_cli_extra_the_command_says_what_to_install() -> None:
    code = "import sys; sys.modules['typer'] = None; from invokeai_sdk.cli import main; main()"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 2
    assert "pip install 'invokeai-sdk[cli]'" in result.stderr
