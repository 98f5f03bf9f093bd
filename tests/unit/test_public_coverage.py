"""Every public method that talks to the server is called by at least one real-server test.

Namespace methods must appear as ``.<namespace>.<method>`` (``.models.hf.login(``) in
``tests/integration`` or ``examples``; methods of the job handles as ``.<method>(``. A textual check:
it cannot prove the call ran, but it catches a new public method that no integration test names.
"""

from __future__ import annotations

import inspect
import re
from functools import cached_property
from pathlib import Path

from invokeai_sdk import AsyncInvokeAI
from invokeai_sdk._resource import AsyncAPIResource
from invokeai_sdk.jobs import BatchHandle, JobHandle
from invokeai_sdk.resources.model_install import InstallJob

ROOT = Path(__file__).resolve().parents[2]
HANDLES = (BatchHandle, JobHandle, InstallJob)  # a workflow run is a BatchHandle


def _namespaces(obj: object, prefix: str = "") -> dict[str, type]:
    found: dict[str, type] = {}
    for klass in type(obj).__mro__:
        for name, attr in vars(klass).items():
            if isinstance(attr, cached_property) and not name.startswith("_"):
                value = getattr(obj, name)
                if isinstance(value, AsyncAPIResource):
                    found[f"{prefix}{name}"] = type(value)
                    found.update(_namespaces(value, f"{prefix}{name}."))
    return found


def _public_methods(cls: type) -> list[str]:
    return [name for name, _ in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")]


def _real_server_tests() -> str:
    files = [*(ROOT / "tests" / "integration").glob("*.py"), *(ROOT / "examples").glob("*.py")]
    return "\n".join(path.read_text() for path in files)


async def test_every_namespace_method_is_called_by_a_real_server_test() -> None:
    texts = _real_server_tests()
    async with AsyncInvokeAI("http://127.0.0.1:9") as ivk:  # nothing is sent
        namespaces = _namespaces(ivk)
    assert {"queue", "images", "models", "models.hf", "workflows", "auth"} <= set(namespaces)
    missing = [
        f"{ns}.{name}"
        for ns, cls in namespaces.items()
        for name in _public_methods(cls)
        if not re.search(rf"\.{re.escape(ns)}\.{name}\b(?![_.])", texts)  # called, or passed to be called
    ]
    assert missing == []


def test_every_job_handle_method_is_called_by_a_real_server_test() -> None:
    texts = _real_server_tests()
    missing = [
        f"{cls.__name__}.{name}"
        for cls in HANDLES
        for name in _public_methods(cls)
        if not re.search(rf"\.{name}\(", texts)
    ]
    assert missing == []
