"""Conventions every namespace keeps: ``timeout=`` on every call, docstrings on every public name."""

from __future__ import annotations

import inspect
from functools import cached_property

import pytest

import invokeai_sdk
from invokeai_sdk import AsyncInvokeAI

# Streams stay open as long as the caller reads them: a request timeout has no meaning there.
NO_TIMEOUT = {("events", "subscribe")}


def _namespaces() -> list[tuple[str, type]]:
    client = AsyncInvokeAI("http://invoke.test")
    names = sorted(name for name, attr in vars(AsyncInvokeAI).items() if isinstance(attr, cached_property))
    return [(name, type(getattr(client, name))) for name in names]


def _public_methods(cls: type) -> list[tuple[str, object]]:
    return [
        (name, member)
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_")
    ]


def test_every_product_namespace_is_there() -> None:
    names = {name for name, _ in _namespaces()}
    assert {"app", "auth", "boards", "images", "videos", "queue", "events", "models", "workflows"} <= names


@pytest.mark.parametrize(("namespace", "cls"), _namespaces())
def test_every_call_takes_a_timeout(namespace: str, cls: type) -> None:
    missing = [
        name
        for name, method in _public_methods(cls)
        if (namespace, name) not in NO_TIMEOUT and "timeout" not in inspect.signature(method).parameters  # type: ignore[arg-type]
    ]
    assert missing == [], f"ivk.{namespace} methods without timeout=: {missing}"


@pytest.mark.parametrize(("namespace", "cls"), _namespaces())
def test_every_public_method_has_a_docstring(namespace: str, cls: type) -> None:
    assert cls.__doc__
    undocumented = [name for name, method in _public_methods(cls) if not inspect.getdoc(method)]
    assert undocumented == [], f"ivk.{namespace} methods without docstrings: {undocumented}"


def test_every_exported_name_is_documented() -> None:
    undocumented = [
        name
        for name in invokeai_sdk.__all__
        if (inspect.isclass(obj := getattr(invokeai_sdk, name)) or inspect.isfunction(obj))
        and not inspect.getdoc(obj)
    ]
    assert undocumented == []
