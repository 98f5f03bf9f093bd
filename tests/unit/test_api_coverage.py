"""``scripts/api_coverage.py``: routes are read from the SDK's source, and gaps fail the check."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import api_coverage  # noqa: E402


@pytest.fixture(scope="module")
def routes() -> list[tuple[str, str, api_coverage.Pattern]]:
    return api_coverage.sdk_routes()


def senders(routes: list[tuple[str, str, api_coverage.Pattern]], method: str, template: str) -> set[str]:
    return {label for label, m, path in routes if m == method and api_coverage._matches(path, template)}


def document(*operations: tuple[str, str, str]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for method, path, tag in operations:
        paths.setdefault(path, {})[method.lower()] = {"tags": [tag]}
    return {"paths": paths}


def test_paths_built_by_helpers_are_resolved(routes: list[tuple[str, str, api_coverage.Pattern]]) -> None:
    # _board_path(board_id, "/image_names"): a helper inlined with its argument
    assert "ivk.boards.image_names" in senders(routes, "GET", "/api/v1/boards/{board_id}/image_names")
    # InstallJob._control("POST", "/pause"): the HTTP method comes through a parameter
    assert senders(routes, "POST", "/api/v2/models/install/{id}/pause") == {"InstallJob.pause"}
    # size: Literal["full", "thumbnail"] reaches both routes
    assert "ivk.images.download" in senders(routes, "GET", "/api/v1/images/i/{image_name}/full")
    assert "ivk.images.download" in senders(routes, "GET", "/api/v1/images/i/{image_name}/thumbnail")
    # a prefix a namespace class sets (self._prefix), read through the shared base's helpers
    assert senders(routes, "POST", "/api/v1/videos/star") == {"ivk.videos.star"}
    assert senders(routes, "POST", "/api/v1/images/star") == {"ivk.images.star"}
    assert "ivk.videos.get" in senders(routes, "GET", "/api/v1/videos/i/{video_name}")
    # inherited methods, nested namespaces and lazily imported helpers
    assert "ivk.workflows.tags" in senders(routes, "GET", "/api/v1/workflows/tags")
    assert "ivk.auth.users.delete" in senders(routes, "DELETE", "/api/v1/auth/users/{user_id}")
    assert "ivk.images.bulk_download" in senders(routes, "POST", "/api/v1/images/download")
    # the wrong method or a literal segment that differs is not a match
    assert senders(routes, "PUT", "/api/v1/boards/{board_id}/image_names") == set()
    assert senders(routes, "GET", "/api/v1/boards/{board_id}/video_names") == set()


def test_a_new_route_fails_and_a_stale_exclusion_fails() -> None:
    routes = api_coverage.sdk_routes()
    doc = document(
        ("GET", "/api/v1/boards/{board_id}", "boards"),
        ("GET", "/api/v1/shiny/new", "shiny"),
        ("POST", "/api/v1/auth/media-cookie", "authentication"),
    )
    exclusions = {("POST", "/api/v1/auth/media-cookie"): "browser-only"}
    lines, code = api_coverage.report(doc, exclusions, routes)
    text = "\n".join(lines)
    assert code == 1 and "GET /api/v1/shiny/new  [shiny]" in text
    assert "boards                        1         0      1" in text

    covered_doc = document(("GET", "/api/v1/boards/{board_id}", "boards"))
    _, ok = api_coverage.report(covered_doc, {}, routes)
    assert ok == 0
    stale = {("GET", "/api/v1/boards/{board_id}"): "no reason any more"}
    lines, code = api_coverage.report(covered_doc, stale, routes)
    assert code == 1 and any("sent by the SDK" in line for line in lines)


def test_every_exclusion_has_a_reason() -> None:
    exclusions = api_coverage.load_exclusions()
    assert exclusions and all(len(reason) > 20 for reason in exclusions.values())
