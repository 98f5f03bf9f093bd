"""Developer and CI tasks. ``nox`` (no arguments) runs everything CI runs.

Sessions: lint, typecheck, codegen (generated sync facade is current), tests (unit), integration
(real InvokeAI server, started here), demo (the quickstart tour), bench (benchmarks as ratios).
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml("pyproject.toml")

nox.needs_version = ">=2024.10.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["lint", "typecheck", "codegen", "tests", "integration"]

SERVER_SCRIPT = str(ROOT / "scripts" / "invokeai_server.py")


def _install(session: nox.Session, *groups: str, extras: str = "") -> None:
    session.install("-e", f".{extras}")
    for group in groups:
        session.install(*nox.project.dependency_groups(PYPROJECT, group))


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", "src", "tests", "scripts", "examples", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "scripts", "examples", "noxfile.py")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Strict mypy on src/ and on the typed usage examples."""
    _install(session, "typecheck")
    session.run("mypy")
    session.run("mypy", "--strict", "tests/typing", "examples")


@nox.session
def codegen(session: nox.Session) -> None:
    """Fail when the generated sync facade is stale (``-- --write`` regenerates it)."""
    _install(session, "lint")
    write = "--write" in session.posargs
    session.run("python", "scripts/gen_sync.py", *([] if write else ["--check"]))


@nox.session
def tests(session: nox.Session) -> None:
    """Unit tests (respx, in-process servers): no InvokeAI needed."""
    _install(session, "test")
    session.run("pytest", "-m", "not integration", *session.posargs)


@nox.session
def integration(session: nox.Session) -> None:
    """Tests against real InvokeAI servers (installed into a cache folder once, started per run)."""
    _install(session, "test", "ray")
    session.run("python", SERVER_SCRIPT, "install", external=True)
    session.run("pytest", "-m", "integration", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """The quickstart tour against ``INVOKEAI_BASE_URL``, or against a local server started here."""
    _install(session, extras="[pillow]")
    example = session.posargs[0] if session.posargs else "examples/quickstart.py"
    if os.environ.get("INVOKEAI_BASE_URL"):
        session.run("python", example)
    else:
        # "python" inside the session resolves to this session's interpreter.
        session.run("python", SERVER_SCRIPT, "run", "--", "python", example, external=True)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks, printed as ratios against baselines measured in the same run."""
    _install(session, "test")
    session.run("python", SERVER_SCRIPT, "install", external=True)
    session.run("python", "scripts/bench.py", *session.posargs)
