"""Write a typed Python module of a server's node types, for IDEs and type checkers (custom nodes too).

::

    python -m invokeai_sdk.graphs.stubgen --url http://127.0.0.1:9090 --output my_nodes.py

then, in code::

    from my_nodes import typed
    nodes = typed(await ivk.graphs.nodes())
    blur = nodes.img_blur(image=image_dto, radius=4)     # keywords and values checked by mypy/pyright
    blur.image                                          # an Output, completed by the IDE

The module holds one ``Protocol`` with a method per node type (its inputs as keyword arguments,
``Literal`` choices, image/board/model types) returning a ``Node`` subclass whose outputs are typed
attributes. ``typed()`` is a cast: nodes are still made by the catalog of the connected server.
The core nodes of the SDK's target release ship as :mod:`invokeai_sdk.graphs.core_nodes`.
"""

from __future__ import annotations

import argparse
import json
import keyword
import re
import sys
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

from .._invocation_schema import FieldSpec, InvocationSchemas
from ._types import type_index

__all__ = ["generate", "load_openapi", "main"]

_NODE_ATTRIBUTES = frozenset(
    {"type", "id", "values", "connections", "label", "schema", "set", "output", "output_names", "connect"}
) | frozenset({"upstream", "is_intermediate", "use_cache"})
_SIMPLE = {"integer": "_Int", "float": "_Float", "string": "_Str", "boolean": "_Bool"}
"""Aliases of the builtins: node types named ``float``, ``string``, ... would shadow them in the Protocol."""
_ATTRIBUTE_PARAMS = (("id", "Str"), ("is_intermediate", "Bool"), ("use_cache", "Bool"))
_REFS = {"image": "ImageLike", "board": "BoardLike", "model": "ModelLike", "color": "ColorLike"}


def _class_name(node_type: str, used: set[str]) -> str:
    parts = re.split(r"[^0-9A-Za-z]+", node_type)
    base = "".join(part[:1].upper() + part[1:] for part in parts if part) or "Node"
    if base[0].isdigit():
        base = f"N{base}"
    name, n = f"{base}Node", 2
    while name in used:
        name, n = f"{base}{n}Node", n + 1
    used.add(name)
    return name


def _py(spec: FieldSpec) -> str:
    kind = spec.kind
    if kind in _SIMPLE:
        return _SIMPLE[kind]
    if kind in _REFS:
        return _REFS[kind]
    choices = spec.choices or ()
    literal = all(isinstance(c, str | int) and not isinstance(c, bool) for c in choices)
    if kind == "enum" and choices and literal:
        return f"Literal[{', '.join(repr(c) for c in choices)}]"
    if kind == "collection":
        return f"Sequence[{_py(spec.item)}]" if spec.item is not None else "Sequence[Any]"
    if kind == "union":
        parts: list[str] = []
        for variant in spec.variants:
            text = _py(variant)
            if text not in parts:
                parts.append(text)
        return "Any" if "Any" in parts or not parts else " | ".join(parts)
    return "Any"


def _doc(text: str) -> str:
    return " ".join(text.split()).replace("\\", "\\\\").replace('"', "'")


def _param(node_type: str, spec: FieldSpec) -> str:
    if node_type == "collect" and spec.name == "item":
        return f"{spec.name}: Output | Sequence[Output] | None = ..."
    kind = _py(spec)
    allowed = "Output" if kind == "Any" else f"{kind} | Output"
    if kind != "Any":
        allowed += " | None"
    return f"{spec.name}: {allowed} = ..."


def generate(openapi: Mapping[str, Any], *, version: str, class_name: str = "ServerNodes") -> str:
    """The source of a typed module for every node type of ``openapi`` (a server's ``/openapi.json``)."""
    schemas = InvocationSchemas(openapi)
    index = type_index(schemas)
    used: set[str] = set()
    classes: list[str] = []
    methods: list[str] = []
    for node_type in sorted(schemas.types):
        schema = schemas.get(node_type)
        assert schema is not None
        node_class = _class_name(node_type, used)
        outputs = [n for n in index.outputs(node_type) if n.isidentifier() and not keyword.iskeyword(n)]
        attributes = [f"    {name}: Output" for name in outputs if name not in _NODE_ATTRIBUTES]
        summary = f"The outputs of ``{node_type}`` ({_doc(schema.title)}): {', '.join(outputs) or 'none'}."
        fields = "\n" + "\n".join(attributes) if attributes else ""
        classes.append(f'class {node_class}(Node):\n    """{summary}"""\n{fields}')
        plain = node_type.isidentifier() and not keyword.iskeyword(node_type)
        method = node_type if plain else f"{node_type}_"
        if not method.isidentifier():
            continue  # only reachable as nodes["..."]
        params = [
            _param(node_type, spec)
            for name, spec in schema.fields.items()
            if name.isidentifier() and not keyword.iskeyword(name)
        ]
        params += [f"{flag}: _{kind} | None = ..." for flag, kind in _ATTRIBUTE_PARAMS]
        description = _doc(str(schema.raw.get("description") or ""))
        doc = _doc(schema.title) + (f": {description}" if description else "")
        body = ",\n".join(f"        {p}" for p in ["self", "*", *params])
        signature = f"    def {method}(\n{body},\n    ) -> {node_class}:"
        methods.append(f'{signature}\n        """{doc}"""\n        ...')
    header = f'''"""Typed node types of an InvokeAI {version} server.

Generated by ``invokeai_sdk.graphs.stubgen``: do not edit, regenerate it.

::

    nodes = typed(await ivk.graphs.nodes())
    blur = nodes.img_blur(image=image_dto, radius=4)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol, TypeAlias, cast

from invokeai_sdk.graphs import (
    BoardLike,
    ColorLike,
    Graph,
    ImageLike,
    ModelLike,
    Node,
    NodeCatalog,
    NodeFactory,
    Output,
)

__all__ = ["SERVER_VERSION", "{class_name}", "typed"]

SERVER_VERSION = {version!r}
"""The server release these node types were read from."""

_Int: TypeAlias = int
_Float: TypeAlias = float
_Str: TypeAlias = str
_Bool: TypeAlias = bool
'''
    protocol = f'''class {class_name}(Protocol):
    """Every node type of the server as a typed callable (``typed(await ivk.graphs.nodes())``)."""

    def graph(self, *, id: _Str | None = ...) -> Graph:
        """A new, empty graph for these node types."""
        ...

    def __getitem__(self, node_type: _Str) -> NodeFactory:
        """A node type by name (for names that are not identifiers)."""
        ...

''' + "\n\n".join(methods)
    footer = f'''

def typed(nodes: NodeCatalog) -> {class_name}:
    """``nodes`` (``await ivk.graphs.nodes()``) typed as these node types; a cast, nothing is checked."""
    return cast("{class_name}", nodes)
'''
    return header + "\n\n" + "\n\n\n".join(classes) + "\n\n\n" + protocol + "\n" + footer


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m invokeai_sdk.graphs.stubgen --url URL --output FILE`` (or ``--openapi FILE``)."""
    parser = argparse.ArgumentParser(description="Write a typed module of an InvokeAI server's node types.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--url", help="the server's base URL (its /openapi.json is read)")
    source.add_argument("--openapi", help="a saved /openapi.json (.json or .json.gz)")
    parser.add_argument("--output", "-o", help="the module to write (default: stdout)")
    parser.add_argument("--version", default=None, help="the server release named in the module")
    parser.add_argument("--class-name", default="ServerNodes", help="the name of the Protocol class")
    options = parser.parse_args(argv)
    version = options.version
    if options.url:
        base = options.url.rstrip("/")
        with urllib.request.urlopen(f"{base}/openapi.json", timeout=60) as response:
            openapi = json.loads(response.read())
        if version is None:
            with urllib.request.urlopen(f"{base}/api/v1/app/version", timeout=60) as response:
                version = json.loads(response.read()).get("version")
    else:
        openapi = load_openapi(options.openapi)
    source_text = generate(openapi, version=version or "unknown", class_name=options.class_name)
    if options.output:
        with open(options.output, "w", encoding="utf-8") as handle:
            handle.write(source_text)
    else:
        sys.stdout.write(source_text)
    return 0


def load_openapi(path: str) -> dict[str, Any]:
    """A saved ``/openapi.json`` (plain or gzipped)."""
    import gzip

    with open(path, "rb") as handle:
        raw = handle.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not an OpenAPI document")
    return data


if __name__ == "__main__":
    raise SystemExit(main())
