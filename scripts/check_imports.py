#!/usr/bin/env python3
"""Check the package's import structure: no circle, and nothing below the client imports it.

Every import counts: at module level, inside functions, and under ``if TYPE_CHECKING:``, because a
type-only import still ties two modules together for a reader and for the type checker. Importing a
package counts as importing its ``__init__``.

    python scripts/check_imports.py            # check; prints the floors, exits 1 on a problem
    python scripts/check_imports.py --quiet    # only problems

The rules:

1. The import graph has no circle (so every module stands on a floor above all that it imports).
2. Only the floors above the client import it: the modules listed in ``ABOVE_CLIENT``.
3. Taken a package at a time (each subpackage one unit, each top-level module one), the graph has
   no circle either, so no import runs back up from a lower package to a higher one, except the
   imports listed in ``BACK_UP``, each with its reason.

Standard library only; reads the source, runs nothing of the package.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "invokeai_sdk"
SOURCE = ROOT / "src" / PACKAGE
CLIENT = f"{PACKAGE}._client"
ABOVE_CLIENT = (f"{PACKAGE}", f"{PACKAGE}.__main__", f"{PACKAGE}._sync", f"{PACKAGE}.cli", f"{PACKAGE}.pool")
"""Modules (and packages, with everything in them) that may import the client."""
BACK_UP = {
    (f"{PACKAGE}.workflows._run", f"{PACKAGE}.jobs"): (
        "WorkflowRun/WorkflowJob, the names workflow runs had before they became the queue's "
        "BatchHandle/JobHandle, are still importable from invokeai_sdk.workflows"
    ),
}
"""(importer, imported) pairs allowed to tie a lower package to a higher one, with the reason."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def resolve(importer: str, package: bool, level: int, target: str | None) -> str:
    """The absolute module name of ``from <level dots><target> import ...`` inside ``importer``."""
    if level == 0:
        return target or ""
    base = importer.split(".")
    if not package:
        base.pop()
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, target] if target else base)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The package's modules that ``path`` imports (any import anywhere in the file)."""
    name = module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            candidates: Iterable[str] = (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = resolve(name, is_package(path), node.level, node.module)
            # ``from pkg import mod`` imports the submodule when there is one, else a name of pkg.
            candidates = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names
            ]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in modules:  # a name inside a module: the module
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                found.add(candidate)
    return found


def import_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in sorted(SOURCE.rglob("*.py"))}
    modules = set(files)
    return {name: imports_of(path, modules) for name, path in files.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def floors(graph: dict[str, set[str]]) -> dict[str, int]:
    """Floor 1 imports nothing of the package; every other module stands one above its highest import."""
    floor: dict[str, int] = {}

    def visit(name: str) -> int:
        if name not in floor:
            floor[name] = 0  # guards against circles (reported separately)
            floor[name] = 1 + max((visit(dep) for dep in graph[name]), default=0)
        return floor[name]

    for name in graph:
        visit(name)
    return floor


def unit(name: str) -> str:
    """The package-level unit of a module: its subpackage of the package, or the top-level module."""
    return ".".join(name.split(".")[:2])


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The import graph a package at a time, without the pairs in ``BACK_UP``."""
    units: dict[str, set[str]] = {unit(name): set() for name in graph}
    for name, deps in graph.items():
        units[unit(name)] |= {unit(dep) for dep in deps if (name, dep) not in BACK_UP} - {unit(name)}
    return units


def above_client(name: str) -> bool:
    return any(name == top or (top != PACKAGE and name.startswith(top + ".")) for top in ABOVE_CLIENT)


def main_problems(graph: dict[str, set[str]]) -> list[str]:
    """Every breach of the rules, each as a readable paragraph."""
    problems: list[str] = []
    for component in circles(graph):
        ties = [f"    {a} -> {b}" for a in component for b in sorted(graph[a]) if b in component]
        problems.append(f"circle of {len(component)} modules:\n" + "\n".join(ties))
    if not circles(graph):  # a circle of modules is one of packages too: reported once, above
        for component in circles(package_graph(graph)):
            ties = [
                f"    {a} -> {b}"
                for a in sorted(graph)
                for b in sorted(graph[a])
                if unit(a) in component
                and unit(b) in component
                and unit(a) != unit(b)
                and (a, b) not in BACK_UP
            ]
            problems.append(
                f"circle of {len(component)} packages ({', '.join(component)}):\n" + "\n".join(ties)
            )
    for name, deps in sorted(graph.items()):
        if CLIENT in deps and not above_client(name):
            allowed = ", ".join(ABOVE_CLIENT)
            problems.append(f"{name} imports {CLIENT}: only {allowed} may (they stand above it)")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", action="store_true", help="print only problems")
    args = parser.parse_args()
    graph = import_graph()
    problems = main_problems(graph)
    if not args.quiet:
        floor = floors(graph)
        for level in sorted(set(floor.values()), reverse=True):
            names = sorted(n.removeprefix(PACKAGE + ".") or PACKAGE for n, f in floor.items() if f == level)
            print(f"floor {level:2d}: {', '.join(names)}")
        print(f"{len(graph)} modules, {sum(len(d) for d in graph.values())} imports")
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(
        "import structure OK: no circle of modules, none of packages (but the listed compatibility "
        f"import{'s' if len(BACK_UP) != 1 else ''}); only the floors above the client import it"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
