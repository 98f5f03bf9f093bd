"""Integration-only hooks: the docs-snippet collector's summary at the end of the run."""

from __future__ import annotations

import sys

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    module = sys.modules.get(f"{__package__}.test_docs_snippets")
    if module is None:  # the docs snippets were not part of this run
        return
    for line in module.summary():
        terminalreporter.write_line(line)
