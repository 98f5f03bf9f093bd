"""Every ```python block of README.md and docs/ runs against the real server, page by page.

Each page runs in a fresh interpreter in an empty folder, with ``INVOKEAI_BASE_URL`` set to the shared
test server; its blocks share one namespace in order (as in ``python -m asyncio`` or a notebook).
A block that cannot run here is preceded by ``<!-- no-run: REASON -->``: it is listed in the test
run's summary with its reason, and a marker without a reason fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import ServerInfo
from ._snippets import RUNNER, Block, blocks_of

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCKS = {page.relative_to(ROOT).as_posix(): blocks_of(page, ROOT) for page in PAGES}
RUNNABLE = sorted(name for name, blocks in BLOCKS.items() if any(b.no_run is None for b in blocks))


def summary() -> list[str]:
    """What the run covers, and each block not run with its reason (printed at the end of the run)."""
    skipped = [b for blocks in BLOCKS.values() for b in blocks if b.no_run is not None]
    total = sum(len(blocks) for blocks in BLOCKS.values())
    lines = [f"docs snippets: {total - len(skipped)} of {total} python blocks run, in {len(RUNNABLE)} pages"]
    return lines + [f"  not run: {b.where}: {b.no_run}" for b in skipped]


def test_pages_have_code_and_every_skipped_block_says_why() -> None:
    assert "README.md" in RUNNABLE
    skipped = [b for blocks in BLOCKS.values() for b in blocks if b.no_run is not None]
    assert all(b.no_run for b in skipped), [b.where for b in skipped if not b.no_run]
    assert summary()[0].startswith("docs snippets:")


@pytest.mark.parametrize("page", RUNNABLE)
def test_page_snippets_run(page: str, clean: ServerInfo, tmp_path: Path) -> None:
    blocks: list[Block] = [b for b in BLOCKS[page] if b.no_run is None]
    payload = json.dumps([{"where": b.where, "source": b.source} for b in blocks])
    env = {**os.environ, "INVOKEAI_BASE_URL": clean.base_url}
    env.pop("INVOKEAI_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-c", RUNNER],
        input=payload,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    ran = result.stdout.count("--- running ")
    assert result.returncode == 0, f"{result.stderr[-4000:]}\n(stdout tail) {result.stdout[-1500:]}"
    assert ran == len(blocks)
