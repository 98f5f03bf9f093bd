"""The generated sync facade: up to date, and a twin of the async API (names and signatures)."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import sys
import textwrap
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

import invokeai_sdk
from invokeai_sdk import AsyncInvokeAI, AsyncPage, AsyncPaginator, InvokeAI, SyncPage, SyncPaginator
from invokeai_sdk._resource import AsyncAPIResource
from invokeai_sdk._sync import generated

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import gen_sync  # noqa: E402

SYNC_ONLY_DUNDERS = {"__iter__", "__next__", "__enter__", "__exit__", "__len__", "__getitem__"}


def _instance_attributes(cls: type) -> set[str]:
    """Public attributes assigned in ``cls.__init__`` (``self.items = ...``)."""
    init = cls.__dict__.get("__init__")
    if init is None:
        return set()
    tree = ast.parse(textwrap.dedent(inspect.getsource(init)))
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.ctx, ast.Store)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
        and not node.attr.startswith("_")
    }


def _public(cls: type, *, sync: bool) -> dict[str, str]:
    """Public names of ``cls`` (async names renamed to their sync spelling) -> async/sync name."""
    names: dict[str, str] = {}
    own_sync_iter = "__iter__" in dir(cls) and not sync and "__aiter__" in dir(cls)
    for name in dir(cls):
        if name.startswith("_") and name not in (*gen_sync.METHOD_RENAMES, *SYNC_ONLY_DUNDERS):
            continue
        if name in ("__init__", "__aiter__") and own_sync_iter:
            continue
        if not sync and name in SYNC_ONLY_DUNDERS and name not in gen_sync.FORWARDED_DUNDERS:
            continue
        if cls is not object and getattr(object, name, None) is getattr(cls, name, None):
            continue
        names[name if sync else gen_sync.METHOD_RENAMES.get(name, name)] = name
    if not sync and issubclass(cls, AsyncAPIResource):
        names = {k: v for k, v in names.items() if not hasattr(AsyncAPIResource, v) or v in cls.__dict__}
    if not sync:
        names.update({attr: attr for attr in _instance_attributes(cls)})
    return names


def _params(fn: Any) -> list[tuple[str, Any, Any, Any]]:
    signature = inspect.signature(fn)
    return [(p.name, p.kind, p.default, p.annotation) for p in signature.parameters.values()]


def _twin_pairs() -> list[tuple[type, type]]:
    pairs = []
    for sync_name, (module_name, async_name) in generated.TWINS.items():
        async_cls = getattr(importlib.import_module(module_name), async_name)
        pairs.append((async_cls, getattr(invokeai_sdk._sync, sync_name)))
    return pairs


def test_generated_module_is_up_to_date() -> None:
    assert gen_sync.generate() == gen_sync.OUTPUT.read_text(), "run: python scripts/gen_sync.py --write"


def test_every_async_namespace_has_a_sync_twin() -> None:
    def namespaces(cls: type) -> set[str]:
        return {n for n, v in vars(cls).items() if isinstance(v, cached_property)}

    async_names = namespaces(AsyncInvokeAI)
    assert async_names >= {"app", "auth"}
    assert namespaces(InvokeAI) == async_names
    ivk = InvokeAI("http://127.0.0.1:1")
    aivk = ivk._target
    for name in async_names:
        sync_ns, async_ns = getattr(ivk, name), getattr(aivk, name)
        assert isinstance(async_ns, AsyncAPIResource)
        assert sync_ns._target is async_ns


def test_core_classes_are_paired() -> None:
    pairs = set(_twin_pairs())
    assert (AsyncInvokeAI, InvokeAI) in pairs
    assert (AsyncPaginator, SyncPaginator) in pairs
    assert (AsyncPage, SyncPage) in pairs


@pytest.mark.parametrize("pair", _twin_pairs(), ids=lambda p: p[1].__name__ if isinstance(p, tuple) else "")
def test_same_public_names_and_parameters(pair: tuple[type, type]) -> None:
    async_cls, sync_cls = pair
    sources = {sync: (async_cls, name) for sync, name in _public(async_cls, sync=False).items()}
    sync_names = _public(sync_cls, sync=True)
    if async_cls is AsyncPaginator:
        # Awaiting has no sync spelling: the sync paginator offers the awaited page's members itself.
        page_names = _public(AsyncPage, sync=False)
        sources.update({sync: (AsyncPage, name) for sync, name in page_names.items() if sync not in sources})
    sources.pop("__await__", None)
    if async_cls is AsyncInvokeAI:
        for internal in gen_sync.ASYNC_ONLY_CLIENT_MEMBERS:
            sources.pop(internal)
    assert set(sync_names) == set(sources), f"{sync_cls.__name__} vs {async_cls.__name__}"
    for sync_name, (owner, async_name) in sources.items():
        async_attr = inspect.getattr_static(owner, async_name, None)
        sync_attr = inspect.getattr_static(sync_cls, sync_name)
        if async_attr is None:  # an instance attribute: the twin exposes it as a property
            assert isinstance(sync_attr, property)
            continue
        if isinstance(async_attr, property | cached_property):
            assert isinstance(sync_attr, property | cached_property), sync_name
            continue
        if sync_name == "__init__" or not callable(async_attr):
            continue
        assert _params(getattr(sync_cls, sync_name)) == _params(getattr(owner, async_name)), sync_name
        doc = inspect.getdoc(getattr(owner, async_name, None))
        if not async_name.startswith("_") and sync_cls.__name__ not in gen_sync.HANDWRITTEN:
            assert doc and inspect.getdoc(getattr(sync_cls, sync_name)) == gen_sync.sync_doc(doc)


def _sync_docstrings() -> list[tuple[str, str]]:
    found = []
    for module in (generated, importlib.import_module("invokeai_sdk._sync.pages")):
        for name in module.__all__:
            cls = getattr(module, name)
            found.append((name, inspect.getdoc(cls) or ""))
            for attr, value in vars(cls).items():
                doc = inspect.getdoc(value) if not attr.startswith("__") else None
                if doc:
                    found.append((f"{name}.{attr}", doc))
    return found


def test_sync_docstrings_speak_sync() -> None:
    docs = _sync_docstrings()
    assert len(docs) > 100
    for where, doc in docs:
        assert "async for" not in doc and "async with" not in doc, where
        assert not re.search(r"\bawait\b", doc), where


def test_sync_doc_translates_the_async_wording() -> None:
    assert gen_sync.sync_doc("``await`` it for one page, ``async for`` for all of them.") == (
        "read it as one page, ``for`` for all of them."
    )
    assert gen_sync.sync_doc("``await job.wait()``") == "``job.wait()``"
    assert gen_sync.sync_doc("    async with ivk.events.subscribe() as s:\n        async for e in s:") == (
        "    with ivk.events.subscribe() as s:\n        for e in s:"
    )


def test_client_constructor_matches() -> None:
    assert _params(InvokeAI.__init__) == _params(AsyncInvokeAI.__init__)


def test_sync_names_are_exported() -> None:
    for name in ("InvokeAI", "SyncPage", "SyncPaginator", "SyncEventStream", "SyncRuntimeError"):
        assert name in invokeai_sdk.__all__
        assert getattr(invokeai_sdk, name) is not None


# -- the generator on a small fake package --------------------------------------------------------

FAKE_CLIENT = '''
from __future__ import annotations
from functools import cached_property
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from .resources.widgets import WidgetsResource

class AsyncInvokeAI:
    """A client."""

    def __init__(self, base_url: str | None = None) -> None:
        self.base_url = base_url

    @cached_property
    def widgets(self) -> WidgetsResource:
        """Widgets."""
        from .resources.widgets import WidgetsResource
        return WidgetsResource(self)

    async def aclose(self) -> None:
        """Close."""
'''

FAKE_BASE = """
class AsyncAPIResource:
    def __init__(self, client: object) -> None:
        self._client = client
"""

FAKE_WIDGETS = '''
from __future__ import annotations
from .._resource import AsyncAPIResource

class WidgetJob:
    """A handle."""

    async def wait(self, *, timeout: float | None = None) -> str:
        """Wait."""
        return "done"

class WidgetsResource(AsyncAPIResource):
    """Widgets."""

    async def start(self, name: str, *, timeout: float | None = None) -> WidgetJob:
        """Start one."""
        return WidgetJob()

    async def count(self, *, timeout: float | None = None) -> int:
        """How many."""
        return 1
'''


@pytest.fixture
def fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    package = tmp_path / "invokeai_sdk"
    (package / "resources").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "_client.py").write_text(FAKE_CLIENT)
    (package / "resources" / "__init__.py").write_text("")
    (package / "_resource.py").write_text(FAKE_BASE)
    (package / "resources" / "widgets.py").write_text(FAKE_WIDGETS)
    monkeypatch.setattr(gen_sync, "SRC", tmp_path)
    gen_sync._MODULES.clear()
    return package


def test_an_async_return_type_without_translation_is_an_error(fake_package: Path) -> None:
    with pytest.raises(gen_sync.GenerationError, match="WidgetJob"):
        gen_sync.Generator().run()
    assert gen_sync.main(["--check"]) == 1


def test_one_table_line_translates_a_new_handle(fake_package: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(gen_sync.TRANSLATIONS, "WidgetJob", "SyncWidgetJob")
    source = gen_sync.format_source(gen_sync.Generator().run())
    assert "class SyncWidgetJob(SyncObject):" in source
    assert "def start(self, name: str, *, timeout: float | None = None) -> SyncWidgetJob:" in source
    assert "return SyncWidgetJob(_call(self._target.start, name, timeout=timeout))" in source
    assert "def count(self, *, timeout: float | None = None) -> int:" in source
    assert "class SyncWidgetsResource(SyncResource):" in source
    compile(source, "generated.py", "exec")


def test_new_namespaces_are_discovered_from_the_code(
    fake_package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(gen_sync.TRANSLATIONS, "WidgetJob", "SyncWidgetJob")
    client = fake_package / "_client.py"
    client.write_text(
        client.read_text().replace(
            "    async def aclose",
            '    @cached_property\n    def gadgets(self) -> WidgetsResource:\n        """Gadgets."""\n'
            "        return WidgetsResource(self)\n\n    async def aclose",
        )
    )
    source = gen_sync.Generator().run()
    assert 'return SyncWidgetsResource(self, ("gadgets",))' in source.replace("'", '"')


def test_generator_formats_with_the_pinned_ruff() -> None:
    import tomllib

    groups = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]
    assert f"ruff=={gen_sync.RUFF_VERSION}" in groups["lint"]
    assert f"ruff=={gen_sync.RUFF_VERSION}" in groups["test"]


NESTED = '''

class GizmosResource(AsyncAPIResource):
    """Gizmos, under widgets."""

    async def spin(self, *, timeout: float | None = None) -> WidgetJob:
        """Spin one."""
        return WidgetJob()
'''


def test_nested_namespaces_are_translated_and_checked(fake_package: Path) -> None:
    widgets = fake_package / "resources" / "widgets.py"
    widgets.write_text(
        widgets.read_text()
        .replace(
            '    """Widgets."""\n',
            '    """Widgets."""\n\n    @cached_property\n    def gizmos(self) -> GizmosResource:\n'
            '        """Gizmos."""\n        return GizmosResource(self._client)\n',
            1,
        )
        .replace("from .._resource import", "from functools import cached_property\nfrom .._resource import")
        + NESTED
    )
    with pytest.raises(gen_sync.GenerationError, match=r"GizmosResource\.spin|WidgetJob"):
        gen_sync.Generator().run()  # the nested namespace's untranslated return is caught too
    assert gen_sync.main(["--check"]) == 1
    gen_sync._MODULES.clear()
    gen_sync.TRANSLATIONS["WidgetJob"] = "SyncWidgetJob"
    try:
        source = gen_sync.Generator().run().replace("'", '"')
    finally:
        del gen_sync.TRANSLATIONS["WidgetJob"]
    assert "class SyncGizmosResource(SyncResource):" in source
    assert 'return SyncGizmosResource(self._client, (*self._path, "gizmos"))' in source


def test_the_models_hf_namespace_resolves_to_the_async_one() -> None:
    ivk = InvokeAI("http://127.0.0.1:1")
    assert isinstance(ivk.models.hf, generated.SyncHuggingFaceResource)
    assert ivk.models.hf._target is ivk._target.models.hf
    ivk.close()
