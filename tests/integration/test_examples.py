"""The examples shipped in examples/ run end to end against the real server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from ..conftest import ServerInfo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_example_runs(script: str, clean: ServerInfo) -> None:
    env = {**os.environ, "INVOKEAI_BASE_URL": clean.base_url}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script)], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip(), "the example printed nothing"
    assert "Traceback" not in result.stderr
    assert leftovers(clean.base_url) == {}, "the example left these behind"


def leftovers(base_url: str) -> dict[str, int]:
    """What is on a server that was clean before: boards, gallery images, user workflows, queue items."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        counts = {
            "boards": len(http.get("/api/v1/boards/", params={"all": True, "include_archived": True}).json()),
            "images": len(
                http.get("/api/v1/images/names", params={"is_intermediate": False}).json()["image_names"]
            ),
            "workflows": http.get("/api/v1/workflows/", params={"categories": "user"}).json()["total"],
            "pending": http.get("/api/v1/queue/default/status").json()["queue"]["pending"],
        }
    return {name: count for name, count in counts.items() if count}
