"""Integration-only hooks: the docs-snippet collector's summary at the end of the run."""

from __future__ import annotations

import sys

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    module = sys.modules.get(f"{__package__}.test_docs_snippets")
    ran = ("passed", "failed", "error")
    reports = [r for key in ran for r in terminalreporter.stats.get(key, []) if hasattr(r, "nodeid")]
    if module is None or not any("test_docs_snippets" in r.nodeid for r in reports):
        return  # the docs snippets were not part of this run
    for line in module.summary():
        terminalreporter.write_line(line)
