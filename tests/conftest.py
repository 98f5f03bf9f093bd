"""Test harness: one real InvokeAI server per test run, cleaned between tests.

Tests under ``tests/integration`` are marked ``integration`` automatically and use the ``server``
fixture: the server named by ``INVOKEAI_TEST_BASE_URL`` when set, else one this run starts (and
installs, the first time) through ``scripts/invokeai_server.py``. Tests marked ``multiuser`` get a
second server in multi-user mode (``INVOKEAI_TEST_MULTIUSER_BASE_URL`` + ``INVOKEAI_TEST_ADMIN_EMAIL``
/ ``INVOKEAI_TEST_ADMIN_PASSWORD`` to reuse one). Nothing here skips: a server that cannot start fails
the tests that need it.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from invokeai_sdk import AsyncInvokeAI

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import invokeai_server  # noqa: E402

T = TypeVar("T")


@dataclass(frozen=True)
class ServerInfo:
    """Where a test server runs, and its admin account when it is multi-user."""

    base_url: str
    admin_email: str | None = None
    admin_password: str | None = None


def run_under_trio(main: Callable[[], Awaitable[T]]) -> T:
    """``main()`` under trio, in a worker thread.

    pytest-asyncio's session loop owns the main thread's signal wakeup fd; trio would collide with it
    there, but only installs its own on the main thread.
    """
    import trio

    results: list[T] = []
    worker = threading.Thread(target=lambda: results.append(trio.run(main)))
    worker.start()
    worker.join(60)
    assert results, "the trio run raised or did not finish"
    return results[0]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in item.path.parts:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def server() -> Iterator[ServerInfo]:
    """The shared single-user server of this test run."""
    url = os.environ.get("INVOKEAI_TEST_BASE_URL")
    if url:
        yield ServerInfo(url.rstrip("/"))
        return
    running = invokeai_server.start()
    try:
        yield ServerInfo(running.base_url)
    finally:
        running.stop()


@pytest.fixture(scope="session")
def multiuser_session_server() -> Iterator[ServerInfo]:
    """A second server with ``multiuser: true`` and an admin account already set up (not cleaned)."""
    url = os.environ.get("INVOKEAI_TEST_MULTIUSER_BASE_URL")
    if url:
        yield ServerInfo(
            url.rstrip("/"),
            os.environ["INVOKEAI_TEST_ADMIN_EMAIL"],
            os.environ["INVOKEAI_TEST_ADMIN_PASSWORD"],
        )
        return
    running = invokeai_server.start(multiuser=True)
    try:
        yield ServerInfo(running.base_url, running.admin_email, running.admin_password)
    finally:
        running.stop()


def clean_server(base_url: str, headers: dict[str, str] | None = None) -> None:
    """Empty the queue, gallery (images and videos), boards, user workflows and models of a test server."""
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
        http.put("/api/v1/queue/default/clear").raise_for_status()
        boards = http.get("/api/v1/boards/", params={"all": True, "include_archived": True})
        boards.raise_for_status()
        for board in boards.json():
            http.delete(f"/api/v1/boards/{board['board_id']}", params={"include_images": True})
        for intermediate in (False, True):
            image_names = _image_names(http, intermediate)
            if image_names:
                http.post("/api/v1/images/delete", json={"image_names": image_names}).raise_for_status()
        # Videos too (servers with the videos API): a leftover video would break exact totals.
        for intermediate in (False, True):
            videos = http.get("/api/v1/videos/names", params={"is_intermediate": intermediate})
            if videos.status_code in (404, 405) or "json" not in videos.headers.get("content-type", ""):
                break  # a server without the (current) videos API (some answer with the web UI's page)
            videos.raise_for_status()
            video_names = videos.json()["video_names"]
            for start in range(0, len(video_names), 500):
                batch = {"video_names": video_names[start : start + 500]}
                http.post("/api/v1/videos/delete", json=batch).raise_for_status()
        workflows = http.get("/api/v1/workflows/", params={"categories": "user", "per_page": 1000})
        workflows.raise_for_status()
        for workflow in workflows.json()["items"]:
            http.delete(f"/api/v1/workflows/i/{workflow['workflow_id']}")
        models = http.get("/api/v2/models/")
        models.raise_for_status()
        # No gzip for these 204 replies: the unpinned 6.14 server answers them with a 500 otherwise.
        identity = {"Accept-Encoding": "identity"}
        for model in models.json()["models"]:
            http.delete(f"/api/v2/models/i/{model['key']}", headers=identity)
        http.delete("/api/v2/models/install", headers=identity)
        resumed = http.put("/api/v1/queue/default/processor/resume")
        resumed.raise_for_status()


def admin_headers(info: ServerInfo) -> dict[str, str]:
    """``Authorization`` for the multi-user server's admin (a fresh login)."""
    with httpx.Client(base_url=info.base_url, timeout=60) as http:
        login = http.post(
            "/api/v1/auth/login", json={"email": info.admin_email, "password": info.admin_password}
        )
        login.raise_for_status()
        return {"Authorization": f"Bearer {login.json()['token']}"}


@pytest.fixture
def multiuser_server(multiuser_session_server: ServerInfo) -> Iterator[ServerInfo]:
    """The multi-user server, emptied (as its admin) before and after the test."""
    clean_server(multiuser_session_server.base_url, admin_headers(multiuser_session_server))
    yield multiuser_session_server
    clean_server(multiuser_session_server.base_url, admin_headers(multiuser_session_server))


def _image_names(http: httpx.Client, intermediate: bool) -> list[str]:
    """Every image name (the paged listing on servers before 6.3, which have no ``/images/names``)."""
    names = http.get("/api/v1/images/names", params={"is_intermediate": intermediate})
    if names.status_code not in (404, 405):
        names.raise_for_status()
        return list(names.json()["image_names"])
    found: list[str] = []
    while True:
        page = http.get(
            "/api/v1/images/", params={"is_intermediate": intermediate, "offset": len(found), "limit": 500}
        )
        page.raise_for_status()
        items = page.json()["items"]
        found += [item["image_name"] for item in items]
        if not items:
            return found


@pytest.fixture
def clean(server: ServerInfo) -> Iterator[ServerInfo]:
    """The shared server, emptied before and after the test."""
    clean_server(server.base_url)
    yield server
    clean_server(server.base_url)


@pytest.fixture
async def ivk(clean: ServerInfo) -> AsyncIterator[AsyncInvokeAI]:
    """An ``AsyncInvokeAI`` session with the (clean) shared server."""
    async with AsyncInvokeAI(clean.base_url) as client:
        yield client
