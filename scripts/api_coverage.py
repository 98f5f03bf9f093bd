#!/usr/bin/env python3
"""Which operations of an InvokeAI server's API the SDK calls, read from the SDK's own source.

    python scripts/api_coverage.py --url http://127.0.0.1:9090      # the server's /openapi.json
    python scripts/api_coverage.py --openapi openapi.json           # a saved document
    python scripts/api_coverage.py --url ... --list                 # every operation with its SDK method

Nothing here is a hand-kept "covered" list: the routes are found by reading ``src/invokeai_sdk`` with
``ast``. Every call of a request helper (``_request``, ``_json``, ``_parsed``, ``_stream``) gives an
HTTP method and a path expression; the expression is evaluated symbolically (string literals,
f-strings, ``+``, module constants, local assignments, imports, and helper functions such as
``_board_path(board_id, "/image_names")`` inlined with their arguments; anything else is a wildcard
that only fills a ``{parameter}`` segment). Functions that send requests become helpers of their
callers, so a route is credited to every public method that reaches it, e.g. ``ivk.boards.add_images``.

An operation is covered when a public SDK method sends it, or left out when it is listed with a reason
in ``scripts/api_coverage_exclusions.toml``. The script exits 1 when any operation is neither (the next
release's new routes), or when an exclusion names an operation the server does not have or one the SDK
covers (a stale entry). Standard library only.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import urllib.request
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "invokeai_sdk"
EXCLUSIONS = Path(__file__).resolve().parent / "api_coverage_exclusions.toml"
HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS")

# The request helpers of AsyncAPIResource: name -> (index of the HTTP method, index of the path) among
# the positional arguments after ``self``, and the keyword names of the two.
BASE_SINKS: dict[str, tuple[int, int]] = {
    "_request": (0, 1),
    "_json": (0, 1),
    "_stream": (0, 1),
    "_parsed": (1, 2),
    # Transport.request / Transport.stream, used directly where a call must skip the login (auth.login).
    "request": (0, 1),
    "stream": (0, 1),
}
MAX_ALTERNATIVES = 64
MAX_DEPTH = 12


class _Wild:
    def __repr__(self) -> str:
        return "*"


WILD = _Wild()
"""An unknown piece of a string (a percent-encoded id, a number, ...)."""


@dataclass(frozen=True)
class Param:
    """A reference to a parameter of the function being summarised."""

    name: str


Part = str | _Wild | Param
Pattern = tuple[Part, ...]


def _concat(a: Pattern, b: Pattern) -> Pattern:
    out: list[Part] = []
    for part in (*a, *b):
        if isinstance(part, str) and out and isinstance(out[-1], str):
            out[-1] = out[-1] + part
        elif part == "" and not out:
            continue
        else:
            out.append(part)
    return tuple(p for p in out if p != "")


def _product(groups: list[set[Pattern]]) -> set[Pattern]:
    result: set[Pattern] = {()}
    for group in groups:
        result = {_concat(a, b) for a in result for b in group}
        if len(result) > MAX_ALTERNATIVES:
            return {(WILD,)}
    return result


# -- the SDK's source, indexed ---------------------------------------------------------------------


@dataclass
class Function:
    """One ``def`` of the SDK (a module function or a method)."""

    module: Module
    node: ast.FunctionDef | ast.AsyncFunctionDef
    cls: str | None

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def qualname(self) -> str:
        return f"{self.cls}.{self.name}" if self.cls else f"{self.module.name}.{self.name}"

    @property
    def params(self) -> list[str]:
        args = self.node.args
        names = [a.arg for a in (*args.posonlyargs, *args.args)]
        return names[1:] if self.cls and names and names[0] in ("self", "cls") else names

    @property
    def all_params(self) -> set[str]:
        args = self.node.args
        return {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}


@dataclass
class Module:
    """One module: its constants, imports, functions and classes."""

    name: str
    tree: ast.Module
    constants: dict[str, ast.expr] = field(default_factory=dict)
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)  # local name -> (module, name)
    functions: dict[str, Function] = field(default_factory=dict)
    classes: dict[str, tuple[list[str], dict[str, Function]]] = field(default_factory=dict)
    class_constants: dict[str, dict[str, ast.expr]] = field(default_factory=dict)  # cls -> name -> value


def _module_name(path: Path, package: Path) -> str:
    rel = path.relative_to(package.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve_relative(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


class Index:
    """Every module of the package, parsed once."""

    def __init__(self, package: Path) -> None:
        self.modules: dict[str, Module] = {}
        for path in sorted(package.rglob("*.py")):
            if "_sync" in path.parts:  # generated from the async classes: same routes
                continue
            name = _module_name(path, package)
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            module = Module(name, tree)
            for stmt in tree.body:
                if (
                    isinstance(stmt, ast.Assign)
                    and len(stmt.targets) == 1
                    and isinstance(stmt.targets[0], ast.Name)
                ):
                    module.constants[stmt.targets[0].id] = stmt.value
                elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value:
                    module.constants[stmt.target.id] = stmt.value
                elif isinstance(stmt, ast.ImportFrom):
                    source = _resolve_relative(name, stmt, path.name == "__init__.py")
                    for alias in stmt.names:
                        module.imports[alias.asname or alias.name] = (source, alias.name)
                elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                    module.functions[stmt.name] = Function(module, stmt, None)
                elif isinstance(stmt, ast.ClassDef):
                    heads = [b.value if isinstance(b, ast.Subscript) else b for b in stmt.bases]  # Base[T]
                    bases = [b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in heads]
                    methods = {
                        s.name: Function(module, s, stmt.name)
                        for s in stmt.body
                        if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)
                    }
                    module.classes[stmt.name] = (bases, methods)
                    module.class_constants[stmt.name] = {
                        s.targets[0].id: s.value
                        for s in stmt.body
                        if isinstance(s, ast.Assign)
                        and len(s.targets) == 1
                        and isinstance(s.targets[0], ast.Name)
                    }
            self.modules[name] = module
        self.by_name: dict[str, list[Function]] = defaultdict(list)
        self.class_index: dict[str, tuple[list[str], dict[str, Function]]] = {}
        self.class_modules: dict[str, Module] = {}
        for module in self.modules.values():
            self.class_modules.update(dict.fromkeys(module.classes, module))
            for function in module.functions.values():
                self.by_name[function.name].append(function)
            for cls, (bases, methods) in module.classes.items():
                self.class_index[cls] = (bases, methods)
                for function in methods.values():
                    self.by_name[function.name].append(function)

    def lookup(self, module: Module, name: str, depth: int = 0) -> tuple[Module, str] | None:
        """Where the module-level ``name`` seen from ``module`` is defined (following imports)."""
        if name in module.constants or name in module.functions or name in module.classes:
            return module, name
        if name in module.imports and depth < 5:
            source, original = module.imports[name]
            target = self.modules.get(source)
            if target is not None:
                return self.lookup(target, original, depth + 1)
        return None

    def method(self, cls: str, name: str, depth: int = 0) -> Function | None:
        """``cls.name`` or the method inherited from a base class."""
        entry = self.class_index.get(cls)
        if entry is None or depth > 8:
            return None
        bases, methods = entry
        if name in methods:
            return methods[name]
        for base in bases:
            found = self.method(base, name, depth + 1)
            if found is not None:
                return found
        return None


# -- symbolic evaluation --------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """An HTTP method and a path pattern, with ``Param`` parts while not yet bound to a call."""

    method: Pattern
    path: Pattern


class Analyzer:
    """Summarises every function of the index as the routes it sends (with its parameters unbound)."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self._summaries: dict[int, set[Route]] = {}
        self._active: set[int] = set()

    # expressions -> sets of patterns

    def eval(
        self, node: ast.expr | None, fn: Function | None, module: Module, depth: int = 0
    ) -> set[Pattern]:
        if node is None or depth > MAX_DEPTH:
            return {(WILD,)}
        if isinstance(node, ast.Constant):
            return {(node.value,)} if isinstance(node.value, str) else {(WILD,)}
        if isinstance(node, ast.JoinedStr):
            groups: list[set[Pattern]] = []
            for value in node.values:
                if isinstance(value, ast.FormattedValue):
                    groups.append(self.eval(value.value, fn, module, depth + 1))
                else:
                    groups.append(self.eval(value, fn, module, depth + 1))
            return _product(groups)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return _product(
                [self.eval(node.left, fn, module, depth + 1), self.eval(node.right, fn, module, depth + 1)]
            )
        if isinstance(node, ast.IfExp):
            return self.eval(node.body, fn, module, depth + 1) | self.eval(node.orelse, fn, module, depth + 1)
        if isinstance(node, ast.Name):
            return self._eval_name(node.id, fn, module, depth)
        if _is_self(node.value if isinstance(node, ast.Attribute) else None, fn):
            assert isinstance(node, ast.Attribute)
            return {(Param(f"self.{node.attr}"),)}  # bound from the class a public method is called on
        if isinstance(node, ast.Call):
            callee = self._callee(node, fn, module)
            if callee is not None and callee is not fn:
                return self._eval_call_result(callee, node, fn, module, depth)
        return {(WILD,)}

    def _eval_name(self, name: str, fn: Function | None, module: Module, depth: int) -> set[Pattern]:
        if fn is not None:
            assigned = [
                stmt.value
                for stmt in ast.walk(fn.node)
                if isinstance(stmt, ast.Assign | ast.AnnAssign)
                and stmt.value is not None
                and any(isinstance(t, ast.Name) and t.id == name for t in _targets(stmt))
            ]
            if assigned:
                out: set[Pattern] = set()
                for value in assigned:
                    out |= self.eval(value, fn, module, depth + 1)
                return out
            if name in fn.all_params:
                return {(Param(name),)}
        found = self.index.lookup(module, name)
        if found is not None and found[1] in found[0].constants:
            target, original = found
            return self.eval(target.constants[original], None, target, depth + 1)
        return {(WILD,)}

    def _callee(self, call: ast.Call, fn: Function | None, module: Module) -> Function | None:
        func = call.func
        if isinstance(func, ast.Name):
            found = self._local_import(func.id, fn) or self.index.lookup(module, func.id)
            if found is not None and found[1] in found[0].functions:
                return found[0].functions[found[1]]
            return None
        if isinstance(func, ast.Attribute):
            if (
                isinstance(func.value, ast.Name)
                and func.value.id in ("self", "cls")
                and fn is not None
                and fn.cls
            ):
                return self.index.method(fn.cls, func.attr)
            candidates = self.index.by_name.get(func.attr, [])
            if len(candidates) == 1:  # an unambiguous helper called on another object
                return candidates[0]
        return None

    def _local_import(self, name: str, fn: Function | None) -> tuple[Module, str] | None:
        """A name bound by an ``import`` inside the function (lazy imports of private helpers)."""
        if fn is None:
            return None
        for node in ast.walk(fn.node):
            if isinstance(node, ast.ImportFrom):
                source = _resolve_relative(fn.module.name, node, False)
                for alias in node.names:
                    if (alias.asname or alias.name) == name and source in self.index.modules:
                        return self.index.lookup(self.index.modules[source], alias.name)
        return None

    def _bind(
        self, callee: Function, call: ast.Call, fn: Function | None, module: Module, depth: int
    ) -> dict[str, set[Pattern]]:
        bound: dict[str, set[Pattern]] = {}
        params = callee.params
        if isinstance(call.func, ast.Name) and callee.cls is None:
            params = [a.arg for a in (*callee.node.args.posonlyargs, *callee.node.args.args)]
        for name, arg in zip(params, call.args, strict=False):
            if isinstance(arg, ast.Starred):
                break
            bound[name] = self.eval(arg, fn, module, depth + 1)
        for keyword in call.keywords:
            if keyword.arg:
                bound[keyword.arg] = self.eval(keyword.value, fn, module, depth + 1)
        # defaults of parameters not given
        args = callee.node.args
        positional = [a.arg for a in (*args.posonlyargs, *args.args)]
        for name, default in zip(
            positional[len(positional) - len(args.defaults) :], args.defaults, strict=True
        ):
            bound.setdefault(name, self.eval(default, callee, callee.module, depth + 1))
        for kw, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            if kw_default is not None:
                bound.setdefault(kw.arg, self.eval(kw_default, callee, callee.module, depth + 1))
        return bound

    def _eval_call_result(
        self, callee: Function, call: ast.Call, fn: Function | None, module: Module, depth: int
    ) -> set[Pattern]:
        returns = [
            n.value for n in ast.walk(callee.node) if isinstance(n, ast.Return) and n.value is not None
        ]
        if not returns or depth > MAX_DEPTH:
            return {(WILD,)}
        bound = self._bind(callee, call, fn, module, depth)
        out: set[Pattern] = set()
        for value in returns:
            for pattern in self.eval(value, callee, callee.module, depth + 1):
                out |= _substitute(pattern, bound, keep_self=_is_self(call.func, fn, method=True))
        return out if len(out) <= MAX_ALTERNATIVES else {(WILD,)}

    # functions -> routes

    def summary(self, fn: Function) -> set[Route]:
        """The routes ``fn`` sends, directly or through the functions it calls (parameters unbound)."""
        key = id(fn.node)
        if key in self._summaries:
            return self._summaries[key]
        if key in self._active or fn.name in BASE_SINKS:
            return set()
        self._active.add(key)
        routes: set[Route] = set()
        for call in (n for n in ast.walk(fn.node) if isinstance(n, ast.Call)):
            routes |= self._call_routes(call, fn)
        self._active.discard(key)
        self._summaries[key] = routes
        return routes

    def _call_routes(self, call: ast.Call, fn: Function) -> set[Route]:
        func = call.func
        name = (
            func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        )
        if name in BASE_SINKS and isinstance(func, ast.Attribute):
            method_at, path_at = BASE_SINKS[name]
            method_node = _argument(call, method_at, "method")
            path_node = _argument(call, path_at, "path")
            methods = self.eval(method_node, fn, fn.module)
            paths = self.eval(path_node, fn, fn.module)
            return {Route(m, p) for m in methods for p in paths}
        callee = self._callee(call, fn, fn.module)
        if callee is None or callee is fn:
            return set()
        inner = self.summary(callee)
        if not inner:
            return set()
        bound = self._bind(callee, call, fn, fn.module, 0)
        keep_self = _is_self(call.func, fn, method=True)
        out: set[Route] = set()
        for route in inner:
            for method in _substitute(route.method, bound, keep_self=keep_self):
                for path in _substitute(route.path, bound, keep_self=keep_self):
                    out.add(Route(method, path))
        return out


def _targets(stmt: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    return list(stmt.targets) if isinstance(stmt, ast.Assign) else [stmt.target]


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if len(call.args) > position and not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
        return call.args[position]
    return None


def _is_self(node: ast.expr | None, fn: Function | None, *, method: bool = False) -> bool:
    """True for ``self`` (or ``cls``) in a method; with ``method``, for ``self.<name>`` instead."""
    if method:
        node = node.value if isinstance(node, ast.Attribute) else None
    return isinstance(node, ast.Name) and node.id in ("self", "cls") and fn is not None and bool(fn.cls)


def _substitute(pattern: Pattern, bound: dict[str, set[Pattern]], *, keep_self: bool = False) -> set[Pattern]:
    """``pattern`` with its parameters bound; ``keep_self`` keeps ``self.<attr>`` for the caller to bind
    (a call on ``self``: the same object), else such a part is unknown."""
    groups: list[set[Pattern]] = []
    for part in pattern:
        if isinstance(part, Param) and part.name.startswith("self.") and part.name not in bound:
            groups.append({(part,)} if keep_self else {(WILD,)})
        elif isinstance(part, Param):
            groups.append(bound.get(part.name, {(WILD,)}))
        else:
            groups.append({(part,)})
    return _product(groups)


def _literal(pattern: Pattern) -> str | None:
    return pattern[0] if len(pattern) == 1 and isinstance(pattern[0], str) else None


def _matches(path: Pattern, template: str) -> bool:
    """True when the SDK's path pattern fills the OpenAPI template (``{x}`` takes any one segment)."""
    segments: list[list[Part]] = [[]]
    for part in path:
        if isinstance(part, str):
            pieces = part.split("?", 1)[0].split("/")
            segments[-1].append(pieces[0])
            for piece in pieces[1:]:
                segments.append([piece])
            if "?" in part:
                break
        else:
            segments[-1].append(WILD)
    wanted = template.split("/")
    if len(segments) != len(wanted):
        return False
    for have, want in zip(segments, wanted, strict=True):
        if want.startswith("{") and want.endswith("}"):
            if have in ([], [""]):
                return False
            continue
        if have != [want] and not (want == "" and have in ([], [""])):
            return False
    return True


# -- the report -----------------------------------------------------------------------------------


def namespaces(index: Index) -> dict[str, str]:
    """Resource class name -> ``ivk.<namespace>`` (from the cached properties of ``AsyncInvokeAI``)."""
    out: dict[str, str] = {}
    client = index.modules.get("invokeai_sdk._client")
    if client is None:
        return out

    def walk(cls: str, prefix: str, seen: set[str]) -> None:
        entry = index.class_index.get(cls)
        if entry is None or cls in seen:
            return
        seen = seen | {cls}
        for name, method in entry[1].items():
            returns = method.node.returns
            target = returns.value if isinstance(returns, ast.Constant) else getattr(returns, "id", None)
            is_property = any(
                getattr(d, "id", getattr(d, "attr", "")) in ("cached_property", "property")
                for d in method.node.decorator_list
            )
            if (
                is_property
                and isinstance(target, str)
                and target in index.class_index
                and not name.startswith("_")
            ):
                out.setdefault(target, f"{prefix}.{name}")
                walk(target, f"{prefix}.{name}", seen)

    walk("AsyncInvokeAI", "ivk", set())
    return out


def _method_names(index: Index, cls: str, depth: int = 0) -> set[str]:
    """The methods of ``cls`` and of its base classes in the package."""
    entry = index.class_index.get(cls)
    if entry is None or depth > 8:
        return set()
    names = set(entry[1])
    for base in entry[0]:
        names |= _method_names(index, base, depth + 1)
    return names


def public_methods(index: Index) -> Iterator[tuple[str, Function]]:
    """Every public method of a public class, named as a user calls it."""
    names = namespaces(index)
    for module in index.modules.values():
        private = any(part.startswith("_") and part != "__init__" for part in module.name.split(".")[1:])
        if private and module.name != "invokeai_sdk._client":
            continue
        for cls in module.classes:
            if cls.startswith("_"):
                continue
            label = names.get(cls, cls)
            for name in _method_names(index, cls):
                function = index.method(cls, name)
                if function is not None and not name.startswith("_"):
                    yield f"{label}.{name}", function
        for name, function in module.functions.items():
            if not name.startswith("_"):
                yield f"{module.name}.{name}", function


def _literal_values(
    node: ast.expr | None, index: Index, module: Module, depth: int = 0
) -> set[Pattern] | None:
    """The strings of a ``Literal[...]`` annotation (through type aliases), else ``None``."""
    if node is None or depth > 5:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):  # a string annotation or alias
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    if (
        isinstance(node, ast.Subscript)
        and getattr(node.value, "id", getattr(node.value, "attr", "")) == "Literal"
    ):
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        values = {(i.value,) for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)}
        return values or None
    if isinstance(node, ast.Name):
        found = index.lookup(module, node.id)
        if found is not None and found[1] in found[0].constants:
            return _literal_values(found[0].constants[found[1]], index, found[0], depth + 1)
    return None


def _entry_bindings(fn: Function, index: Index, analyzer: Analyzer) -> dict[str, set[Pattern]]:
    """What a caller may pass to ``fn``: the values of ``Literal`` parameters, anything for the rest;
    ``self.<attr>`` is the string constant its class (or a base class) sets, e.g. a route prefix."""
    args = fn.node.args
    bound = {
        a.arg: _literal_values(a.annotation, index, fn.module) or {(WILD,)}
        for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)
    }
    classes = [fn.cls] if fn.cls else []
    for depth, cls in enumerate(classes):  # the class first, then its bases (the nearest value wins)
        module = index.class_modules.get(cls)
        if module is None or depth > 8:
            continue
        for name, value in module.class_constants.get(cls, {}).items():
            bound.setdefault(f"self.{name}", analyzer.eval(value, None, module))
        classes += index.class_index[cls][0]
    return bound


def sdk_routes(package: Path = PACKAGE) -> list[tuple[str, str, Pattern]]:
    """(public method, HTTP method, path pattern) for every request the SDK's public API sends."""
    index = Index(package)
    analyzer = Analyzer(index)
    out: list[tuple[str, str, Pattern]] = []
    for label, function in public_methods(index):
        bound = _entry_bindings(function, index, analyzer)
        for route in analyzer.summary(function):
            for method_pattern in _substitute(route.method, bound):
                method = _literal(method_pattern)
                if method is None or method.upper() not in HTTP_METHODS:
                    continue
                for path in _substitute(route.path, bound):
                    out.append((label, method.upper(), path))
    return out


def routes_at(ref: str) -> list[tuple[str, str, Pattern]]:
    """The routes of the SDK as it was at git ``ref`` (its source is read from ``git archive``)."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "archive", ref, "src/invokeai_sdk"], cwd=ROOT, check=True, capture_output=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        return sdk_routes(Path(tmp) / "src" / "invokeai_sdk")


def operations(openapi: dict[str, object]) -> list[tuple[str, str, str]]:
    """(HTTP method, path template, tag) of every operation of the document."""
    out: list[tuple[str, str, str]] = []
    paths = openapi.get("paths", {})
    assert isinstance(paths, dict)
    for path, item in paths.items():
        for method, op in item.items():
            if method.upper() in HTTP_METHODS:
                tags = op.get("tags") or ["untagged"]
                out.append((method.upper(), path, str(tags[0])))
    return out


def load_exclusions(path: Path = EXCLUSIONS) -> dict[tuple[str, str], str]:
    """``(METHOD, path) -> reason`` from the exclusions file."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[tuple[str, str], str] = {}
    for entry in data.get("excluded", []):
        method, _, route = str(entry["operation"]).partition(" ")
        reason = str(entry.get("reason", "")).strip()
        if not reason:
            raise SystemExit(f"{path.name}: {entry['operation']} has no reason")
        out[(method.upper(), route)] = reason
    return out


def load_openapi(url: str | None, file: str | None) -> dict[str, object]:
    if file:
        return json.loads(Path(file).read_text(encoding="utf-8"))
    assert url is not None
    with urllib.request.urlopen(url.rstrip("/") + "/openapi.json", timeout=60) as response:
        return json.loads(response.read())


def report(
    openapi: dict[str, object],
    exclusions: dict[tuple[str, str], str],
    routes: Iterable[tuple[str, str, Pattern]],
    before: Iterable[tuple[str, str, Pattern]] | None = None,
) -> tuple[list[str], int]:
    """The lines to print and the exit code; ``before``: the routes of an older SDK, for a "before" column."""
    routes = list(routes)
    ops = operations(openapi)
    known = {(m, p) for m, p, _ in ops}
    by_op: dict[tuple[str, str], list[str]] = defaultdict(list)
    for method, path, _tag in ops:
        for label, route_method, pattern in routes:
            if route_method == method and _matches(pattern, path) and label not in by_op[(method, path)]:
                by_op[(method, path)].append(label)
    old_routes = list(before or [])
    old_counts: dict[str, int] = defaultdict(int)
    for method, path, tag in ops:
        if any(m == method and _matches(p, path) for _label, m, p in old_routes):
            old_counts[tag] += 1
    per_tag: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    lines: list[str] = []
    missing: list[str] = []
    for method, path, tag in ops:
        counts = per_tag[tag]
        counts[2] += 1
        if by_op.get((method, path)):
            counts[0] += 1
        elif (method, path) in exclusions:
            counts[1] += 1
        else:
            missing.append(f"{method} {path}  [{tag}]")
    stale = [f"{m} {p}" for (m, p) in exclusions if (m, p) in known and by_op.get((m, p))]
    unknown = [f"{m} {p}" for (m, p) in exclusions if (m, p) not in known]
    head = f"{'before':>8}" if before is not None else ""
    lines.append(f"{'tag':<22}{head}{'covered':>9}{'left out':>10}{'total':>7}")
    for tag in sorted(per_tag):
        covered, left, total = per_tag[tag]
        old = f"{old_counts[tag]:>8}" if before is not None else ""
        lines.append(f"{tag:<22}{old}{covered:>9}{left:>10}{total:>7}")
    total_covered = sum(c[0] for c in per_tag.values())
    total_left = sum(c[1] for c in per_tag.values())
    old_total = f"{sum(old_counts.values()):>8}" if before is not None else ""
    lines.append(f"{'all':<22}{old_total}{total_covered:>9}{total_left:>10}{len(ops):>7}")
    code = 0
    if missing:
        code = 1
        lines.append(f"\n{len(missing)} operation(s) neither sent by the SDK nor left out with a reason:")
        lines.extend(f"  {m}" for m in missing)
    if stale:
        code = 1
        lines.append("\nLeft out in the exclusions file but sent by the SDK (remove the entry):")
        lines.extend(f"  {s}" for s in stale)
    if unknown:
        lines.append("\nLeft out in the exclusions file but not on this server (other release?):")
        lines.extend(f"  {u}" for u in unknown)
    return lines, code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--url", help="the server's base URL (default: $INVOKEAI_BASE_URL)")
    source.add_argument("--openapi", help="a saved openapi.json")
    parser.add_argument("--list", action="store_true", help="print every operation with its SDK method(s)")
    parser.add_argument("--before", metavar="GIT_REF", help="add a column: what the SDK at GIT_REF covered")
    args = parser.parse_args(argv)
    if not args.openapi and not args.url:
        args.url = os.environ.get("INVOKEAI_BASE_URL")
        if not args.url:
            parser.error("give --url, --openapi or INVOKEAI_BASE_URL")
    openapi = load_openapi(args.url, args.openapi)
    exclusions = load_exclusions()
    routes = sdk_routes()
    if args.list:
        for method, path, tag in operations(openapi):
            users = sorted({label for label, m, p in routes if m == method and _matches(p, path)})
            shown = ", ".join(users[:6]) + (f" (+{len(users) - 6} more)" if len(users) > 6 else "")
            where = shown if users else f"LEFT OUT: {exclusions.get((method, path), '-- MISSING --')}"
            print(f"{method:<7}{path:<62}[{tag}] {where}")
        print()
    lines, code = report(openapi, exclusions, routes, routes_at(args.before) if args.before else None)
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main())
