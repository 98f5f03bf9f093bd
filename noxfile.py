"""Developer and CI tasks. ``nox`` (no arguments) runs everything CI runs.

Sessions: lint, typecheck, codegen (generated sync facade is current), tests (unit), integration
(real InvokeAI server, started here), compat (the compat-marked tests against several InvokeAI
releases), demo (the quickstart tour), bench (benchmarks as ratios).
"""

from __future__ import annotations

import os
import re
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml("pyproject.toml")

nox.needs_version = ">=2024.10.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True
nox.options.sessions = [
    "lint",
    "typecheck",
    "codegen",
    "tests",
    "docs",
    "integration",
    "coverage_api",
    "compat",
]

SERVER_SCRIPT = str(ROOT / "scripts" / "invokeai_server.py")
# Releases `nox -s compat` runs without arguments (CI): the unpinned install users get, one release
# of 6.8-6.12 and the oldest supported. `-- all` runs every release below.
COMPAT_CI = ["6.14.2-unpinned", "6.12.0", "5.15.0"]
COMPAT_ALL = ["5.15.0", "6.3.0", "6.8.1", "6.11.1", "6.12.0", "6.13.8", "6.14.2", "6.14.2-unpinned"]
_RELEASE = re.compile(r"^\d+\.\d+\.\d+(-unpinned)?$")


def _install(session: nox.Session, *groups: str, extras: str = "") -> None:
    session.install("-e", f".{extras}")
    for group in groups:
        session.install(*nox.project.dependency_groups(PYPROJECT, group))


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check, and the import structure (no circle, the client on top)."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", "src", "tests", "scripts", "examples", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "scripts", "examples", "noxfile.py")
    session.run("python", "scripts/check_imports.py", "--quiet")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Strict mypy on src/ and on the typed usage examples."""
    _install(session, "typecheck")
    session.run("mypy")
    session.run("mypy", "--strict", "tests/typing", "examples")


@nox.session
def codegen(session: nox.Session) -> None:
    """Fail when the generated sync facade or typed core nodes are stale (``-- --write`` regenerates them)."""
    _install(session, "lint")
    write = "--write" in session.posargs
    session.run("python", "scripts/gen_sync.py", "--write" if write else "--check")
    session.run("python", "scripts/gen_nodes.py", "--write" if write else "--check")


@nox.session
def tests(session: nox.Session) -> None:
    """Unit tests (respx, in-process servers): no InvokeAI needed."""
    _install(session, "test")
    session.run("pytest", "-m", "not integration", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site strictly (broken links and references fail); ``-- serve`` serves it."""
    _install(session, "docs")
    session.env["NO_MKDOCS_2_WARNING"] = "1"
    if session.posargs[:1] == ["serve"]:
        session.run("mkdocs", "serve", *session.posargs[1:])
    else:
        site = str(ROOT / ".nox" / "site")
        session.run("mkdocs", "build", "--strict", "--site-dir", site, *session.posargs)


@nox.session
def integration(session: nox.Session) -> None:
    """Tests against real InvokeAI servers (installed into a cache folder once, started per run)."""
    _install(session, "test", "ray")
    session.run("python", SERVER_SCRIPT, "install", external=True)
    session.run("pytest", "-m", "integration", *session.posargs)


@nox.session
def coverage_api(session: nox.Session) -> None:
    """Every operation of a real server's /openapi.json is sent by the SDK or left out with a reason."""
    session.run("python", SERVER_SCRIPT, "install", external=True)
    check = ["python", "scripts/api_coverage.py", *session.posargs]
    if os.environ.get("INVOKEAI_BASE_URL"):
        session.run(*check, "--url", os.environ["INVOKEAI_BASE_URL"])
    else:
        # The script reads INVOKEAI_BASE_URL itself when no --url/--openapi is given.
        session.run("python", SERVER_SCRIPT, "run", "--", *check, external=True)


@nox.session
def compat(session: nox.Session) -> None:
    """The ``compat`` tests against InvokeAI releases: ``nox -s compat -- 5.15.0 6.13.8 [pytest args]``.

    Each release is installed once into its own venv in the cache folder and started for its run.
    No release given: CI's three; ``all``: every supported release. Pytest arguments replace the
    default ``-m compat`` selection (``-- 6.13.8 -m integration`` runs the whole integration suite).
    """
    _install(session, "test")
    releases = [a for a in session.posargs if _RELEASE.match(a)]
    if "all" in session.posargs:
        releases = COMPAT_ALL
    pytest_args = [a for a in session.posargs if not _RELEASE.match(a) and a != "all"] or ["-m", "compat"]
    reports = ROOT / ".nox" / "compat-reports"
    reports.mkdir(parents=True, exist_ok=True)
    rows: list[str] = []
    failed: list[str] = []
    for release in releases or COMPAT_CI:
        env = {"INVOKEAI_SERVER_VERSION": release, "INVOKEAI_TEST_BASE_URL": ""}
        started = time.monotonic()
        session.run("python", SERVER_SCRIPT, "install", external=True, env=env)
        report = reports / f"{release}.xml"
        report.unlink(missing_ok=True)
        session.run(
            "pytest", *pytest_args, f"--junitxml={report}", env=env, success_codes=[0, 1, 5]
        )  # 1 (failures) is recorded, then the next release runs
        counts = _junit_counts(report)
        rows.append(f"{release}: {counts} in {time.monotonic() - started:.0f} s")
        if "failed" in counts or "error" in counts or not report.exists():
            failed.append(release)
    session.log("compat matrix:\n  " + "\n  ".join(rows))
    if failed:
        session.error(f"compat tests failed on {', '.join(failed)}")


def _junit_counts(report: Path) -> str:
    if not report.exists():
        return "no report"
    suite = ElementTree.parse(report).getroot()
    suite = suite if suite.tag == "testsuite" else suite[0]
    total, failures, errors, skipped = (
        int(suite.get(k, "0")) for k in ("tests", "failures", "errors", "skipped")
    )
    parts = [f"{total - failures - errors - skipped} passed"]
    parts += [
        f"{n} {label}" for n, label in ((failures, "failed"), (errors, "error"), (skipped, "skipped")) if n
    ]
    return ", ".join(parts)


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
