"""Regression tests, on the real server, for the defects a fault suite found (issue 13, defects 1-7).

Each test sends the input that used to misbehave and checks both the typed error and that the
server was left as it was (nothing deleted, nothing enqueued, no file written).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from invokeai_sdk import (
    APIResponseValidationError,
    AsyncInvokeAI,
    AuthenticationError,
    NotFoundError,
    ValidationError,
    WorkflowError,
)
from invokeai_sdk._redact import LOGGERS
from invokeai_sdk.events._connection import get_connection
from invokeai_sdk.jobs import JobHandle

from ..conftest import ServerInfo
from ._graphs import image_to_board


class _Requests:
    """Counts the requests a session sends (an httpx event hook)."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def __call__(self, request: httpx.Request) -> None:
        self.sent.append(f"{request.method} {request.url.path}")


@asynccontextmanager
async def _counting_client(base_url: str) -> AsyncIterator[tuple[AsyncInvokeAI, _Requests]]:
    requests = _Requests()
    http = httpx.AsyncClient(event_hooks={"request": [requests]}, timeout=60)
    async with http, AsyncInvokeAI(base_url, http_client=http) as ivk:
        yield ivk, requests


# -- defect 1: dot segments, and a download that is not an image ---------------------------------


@pytest.mark.parametrize("bad", ["..", ".", ""])
async def test_dot_segment_ids_are_refused_before_sending(
    clean: ServerInfo, bad: str, tmp_path: Path
) -> None:
    async with _counting_client(clean.base_url) as (ivk, requests):
        board = await ivk.boards.create("kept")
        batch = await ivk.queue.enqueue(image_to_board(board.board_id))
        await batch.wait(wait_timeout=60)
        (name,) = await batch.images()
        before = list(requests.sent)
        with pytest.raises(ValidationError):
            await ivk.images.download_to(bad, tmp_path / "x.png")
        with pytest.raises(ValidationError):
            await ivk.images.delete(bad)
        with pytest.raises(ValidationError):
            await ivk.boards.delete(bad)
        with pytest.raises(ValidationError):
            await ivk.boards.get(bad)
        with pytest.raises(ValidationError):
            await ivk.workflows.get(bad)
        with pytest.raises(ValidationError):
            await ivk.models.get(bad)
        with pytest.raises(ValidationError):
            await ivk.queue.batch_status(bad)
        assert requests.sent == before  # refused before anything was sent
        assert _files(tmp_path) == []
        # nothing was deleted on the server
        assert (await ivk.boards.get(board.board_id)).board_id == board.board_id
        assert (await ivk.images.get(name)).image_name == name


def _files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


async def test_a_download_that_is_not_an_image_raises_and_writes_nothing(
    ivk: AsyncInvokeAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real server serves its web UI (text/html) at the path ".." used to reach; reach it on
    # purpose through an image URL built by hand, the way a misconfigured proxy would.
    html_path = "/api/v1/images/full"  # what /api/v1/images/i/../full normalised to
    async with ivk.stream("GET", html_path) as probe:
        served = probe.headers.get("content-type", "")
    assert served.startswith("text/html")  # the real server's answer that used to be saved as x.png

    from invokeai_sdk.resources.images import ImagesResource

    monkeypatch.setattr(ImagesResource, "_path", lambda self, name, suffix="": html_path)
    with pytest.raises(APIResponseValidationError, match="not an image"):
        await ivk.images.download_to("x.png", tmp_path)
    with pytest.raises(APIResponseValidationError, match="not an image"):
        await ivk.images.download("x.png")
    assert _files(tmp_path) == []  # neither the file nor a temporary one


# -- defect 2: URLs too long for httpx ----------------------------------------------------------


async def test_an_overlong_id_or_query_is_a_validation_error(ivk: AsyncInvokeAI) -> None:
    with pytest.raises(ValidationError):
        await ivk.images.get("x" * 100_000)
    with pytest.raises(ValidationError):
        await ivk.queue.counts_by_destination("d" * 100_000)
    assert (await ivk.queue.status()).queue.total == 0  # and the session still works


# -- defect 3: no secret in any log; a refused socket token is an authentication error -----------


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name}: {record.getMessage()}")


@pytest.fixture
def every_log() -> Iterator[_Collect]:
    """Every logger (the SDK's and third parties') at DEBUG, collected at the root."""
    handler = _Collect()
    root = logging.getLogger()
    names = [*LOGGERS, "engineio.client", "socketio.client", "httpcore", "httpx", "aiohttp.client", "asyncio"]
    saved = {name: logging.getLogger(name).level for name in names}
    saved_root = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_root)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


@pytest.mark.multiuser
async def test_no_token_or_password_in_any_log(multiuser_server: ServerInfo, every_log: _Collect) -> None:
    assert multiuser_server.admin_email and multiuser_server.admin_password
    secrets: set[str] = {multiuser_server.admin_password}
    async with AsyncInvokeAI(
        multiuser_server.base_url,
        email=multiuser_server.admin_email,
        password=multiuser_server.admin_password,
    ) as ivk:
        me = await ivk.auth.me()  # the login
        assert me.email == multiuser_server.admin_email
        creds = ivk.transport.credentials
        assert creds.token
        secrets.add(creds.token)
        board = await ivk.boards.create("refresh me")  # a POST: the server sends X-Refreshed-Token
        secrets.add(creds.token)
        async with ivk.events.subscribe(queue_id="default") as _stream:  # the socket's auth packet
            assert get_connection(ivk).connected
        creds.token = "stale-" + creds.token[6:]  # the next request gets a 401, then logs in again
        secrets.add(creds.token)
        assert (await ivk.auth.me()).email == me.email
        secrets.add(creds.token)
        await ivk.boards.delete(board)
        secrets.add(creds.token)
    lines = "\n".join(every_log.lines)
    assert "x-refreshed-token" in lines.lower()  # the headers really were logged (masked)
    assert "engineio.client" in lines  # and so were the socket's packets
    leaked = [s for s in secrets if s and s in lines]
    assert leaked == [], "a secret reached the logs"
    assert "eyJ" not in lines  # no JSON Web Token at all


@pytest.mark.multiuser
async def test_a_bad_token_on_the_socket_is_an_authentication_error(multiuser_server: ServerInfo) -> None:
    async with AsyncInvokeAI(multiuser_server.base_url, token="not-a-valid-token") as ivk:
        with pytest.raises(AuthenticationError):
            async with ivk.events.subscribe(queue_id="default"):
                pass


# -- defect 5: item ids outside SQLite's range ---------------------------------------------------


@pytest.mark.parametrize("bad", [2**63, -1, True, 10**30])
async def test_item_ids_outside_int64_are_refused_before_sending(clean: ServerInfo, bad: int) -> None:
    async with _counting_client(clean.base_url) as (ivk, requests):
        for call in (
            ivk.queue.get(bad),
            ivk.queue.cancel(bad),
            ivk.queue.delete(bad),
            ivk.queue.items_by_ids([bad]),
            ivk.queue.summaries([1, bad]),
            ivk.queue.retry([bad]),
        ):
            with pytest.raises(ValidationError):
                await call
        assert requests.sent == []
        with pytest.raises(ValidationError):
            await JobHandle(ivk, bad).wait(wait_timeout=10)
        assert not any("item_summaries" in r for r in requests.sent)
    # the largest id the server can hold is still asked for: a plain 404
    async with AsyncInvokeAI(clean.base_url) as ivk:
        with pytest.raises(NotFoundError):
            await ivk.queue.get(2**63 - 1)


# -- defect 7: text that is no workflow ---------------------------------------------------------


@pytest.mark.parametrize("text", ["[1, 2, 3]", "not a workflow at all", "no/such/file.json", "  "])
async def test_workflow_text_that_is_nothing_is_refused_before_sending(clean: ServerInfo, text: str) -> None:
    async with _counting_client(clean.base_url) as (ivk, requests):
        with pytest.raises(WorkflowError):
            await ivk.workflows.load(text)
        assert requests.sent == []
        # an id-shaped text is still looked up in the library (and not found there)
        with pytest.raises(WorkflowError, match="neither"):
            await ivk.workflows.load("no-such-workflow-id")
        assert any("/workflows/i/no-such-workflow-id" in r for r in requests.sent)
