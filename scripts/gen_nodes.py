#!/usr/bin/env python3
"""Generate ``src/invokeai_sdk/graphs/core_nodes.py``: typed core nodes of the SDK's target InvokeAI release.

The node types are read from a saved copy of the server's ``/openapi.json`` (only the invocation
and output schemas and what they reference), ``tests/fixtures/openapi/invokeai-<version>-nodes.json.gz``.
The module is written by :mod:`invokeai_sdk.graphs.stubgen` (the same generator users run against
their own server for custom nodes) and formatted like the sync facade.

Usage::

    python scripts/gen_nodes.py --write              # regenerate core_nodes.py
    python scripts/gen_nodes.py --check              # exit 1 when it is stale (CI: nox -s codegen)
    python scripts/gen_nodes.py --fetch URL          # refresh the saved schema from a running server
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from gen_sync import format_source  # noqa: E402
from invokeai_sdk.graphs.stubgen import generate, load_openapi  # noqa: E402

VERSION = "6.14.2"
SCHEMA = ROOT / "tests" / "fixtures" / "openapi" / f"invokeai-{VERSION}-nodes.json.gz"
OUTPUT = ROOT / "src" / "invokeai_sdk" / "graphs" / "core_nodes.py"
CLASS_NAME = "CoreNodes"


def node_schemas(openapi: dict[str, Any]) -> dict[str, Any]:
    """The part of an OpenAPI document that describes nodes: invocations, outputs and their references."""
    components = openapi["components"]["schemas"]

    def refs(value: Any) -> list[str]:
        if isinstance(value, dict):
            found = [v.rsplit("/", 1)[-1] for k, v in value.items() if k == "$ref" and isinstance(v, str)]
            return found + [r for v in value.values() for r in refs(v)]
        if isinstance(value, list):
            return [r for v in value for r in refs(v)]
        return []

    todo = [k for k, v in components.items() if v.get("class") in ("invocation", "output")]
    keep: dict[str, Any] = {}
    while todo:
        name = todo.pop()
        if name in keep or name not in components:
            continue
        keep[name] = components[name]
        todo.extend(refs(components[name]))
    return {"openapi": openapi.get("openapi"), "components": {"schemas": dict(sorted(keep.items()))}}


def render() -> str:
    """The formatted module generated from the saved schema."""
    return format_source(generate(load_openapi(str(SCHEMA)), version=VERSION, class_name=CLASS_NAME))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="exit 1 if core_nodes.py is stale")
    mode.add_argument("--write", action="store_true", help="regenerate core_nodes.py")
    mode.add_argument("--fetch", metavar="URL", help="save the node schemas of the server at URL")
    options = parser.parse_args(argv)
    if options.fetch:
        with urllib.request.urlopen(f"{options.fetch.rstrip('/')}/openapi.json", timeout=60) as response:
            openapi = json.loads(response.read())
        SCHEMA.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(node_schemas(openapi), separators=(",", ":"))  # field order kept
        SCHEMA.write_bytes(gzip.compress(text.encode(), mtime=0))
        print(f"gen_nodes: wrote {SCHEMA.relative_to(ROOT)}")
        return 0
    source = render()
    current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
    if options.check:
        if current != source:
            print(f"gen_nodes: {OUTPUT.relative_to(ROOT)} is stale; run python scripts/gen_nodes.py --write")
            return 1
        print(f"gen_nodes: {OUTPUT.relative_to(ROOT)} is up to date")
        return 0
    if current == source:
        print(f"gen_nodes: {OUTPUT.relative_to(ROOT)} already up to date")
    else:
        OUTPUT.write_text(source, encoding="utf-8")
        print(f"gen_nodes: wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
