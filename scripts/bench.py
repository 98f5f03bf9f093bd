#!/usr/bin/env python3
"""Run every benchmark in ``scripts/benchmarks/bench_*.py`` against one InvokeAI server.

Each module defines ``async def main(base_url: str) -> None`` and prints its figures as ratios
against a baseline measured in the same run (raw httpx, a bare Socket.IO client, a deep copy, ...):
absolute timings on a shared 2-core machine mean little, ratios measured side by side do.

    python scripts/bench.py [NAME ...]     # e.g. "images" runs bench_images.py only

Uses ``INVOKEAI_BASE_URL`` when set, else starts a local server for the run.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "benchmarks"))

import invokeai_server  # noqa: E402


@contextlib.contextmanager
def server_url() -> Iterator[str]:
    url = os.environ.get("INVOKEAI_BASE_URL")
    if url:
        yield url
        return
    with invokeai_server.running() as server:
        yield server.base_url


def main(argv: list[str]) -> int:
    modules = sorted((HERE / "benchmarks").glob("bench_*.py"))
    if argv:
        modules = [m for m in modules if any(name in m.stem for name in argv)]
    if not modules:
        print("no benchmarks selected", file=sys.stderr)
        return 1
    with server_url() as url:
        for path in modules:
            spec = importlib.util.spec_from_file_location(path.stem, path)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            print(f"\n== {path.stem} ==", flush=True)
            anyio.run(module.main, url)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
