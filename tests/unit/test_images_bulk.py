"""Bulk zips with a live event stream: no GET before the completion event (respx + a fake stream)."""

from __future__ import annotations

import contextlib
import io
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import respx

from invokeai_sdk import APIConnectionError, AsyncInvokeAI, BulkDownloadError, NotFoundError, ValidationError
from invokeai_sdk.events import BulkDownloadCompleteEvent, BulkDownloadErrorEvent, BulkDownloadStartedEvent
from invokeai_sdk.resources import _bulk_download

from ._fakes import FakeStream

BASE = "http://invoke.test"
ZIP_NAME = "Fotos ä_0001.zip"  # the server keeps letters of the board name, umlauts included
ZIP_PATH = "/api/v1/images/download/Fotos%20%C3%A4_0001.zip"


def zip_bytes(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(f"general/{name}", b"\x89PNG" + name.encode())
    return buffer.getvalue()


def listdir(path: Path) -> list[Path]:
    """The entries of a directory (a sync helper: async tests must not block on pathlib)."""
    return list(path.iterdir())


@pytest.fixture
def stream(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStream]:
    fake = FakeStream()

    @contextlib.asynccontextmanager
    async def events(resource: Any) -> AsyncIterator[FakeStream]:
        yield fake

    monkeypatch.setattr(_bulk_download, "_bulk_events", events)
    yield fake
    fake.close()


@pytest.fixture
async def client() -> AsyncIterator[AsyncInvokeAI]:
    async with AsyncInvokeAI(BASE, max_retries=0) as ivk:
        yield ivk


def mock_post(mock: respx.MockRouter, name: str = ZIP_NAME) -> None:
    mock.post("/api/v1/images/download").mock(
        return_value=httpx.Response(202, json={"bulk_download_item_name": name})
    )


def event(kind: type[Any], name: str = ZIP_NAME, **extra: Any) -> Any:
    return kind(bulk_download_id="default", bulk_download_item_name=name, **extra)


async def test_no_get_before_the_completion_event(
    client: AsyncInvokeAI, stream: FakeStream, tmp_path: Path
) -> None:
    seen_paths: list[bytes] = []
    gets_before_event: list[int] = []

    def serve(request: httpx.Request) -> httpx.Response:
        seen_paths.append(request.url.raw_path)
        return httpx.Response(200, content=zip_bytes("a.png"))

    with respx.mock(base_url=BASE) as mock:
        mock_post(mock)
        route = mock.get(url__regex=r".*/api/v1/images/download/.*").mock(side_effect=serve)

        async def announce() -> None:
            await anyio.sleep(0.3)  # many poll intervals: a poller would have sent GETs by now
            await stream.send.send(event(BulkDownloadStartedEvent))
            await stream.send.send(event(BulkDownloadCompleteEvent, name="someone-elses.zip"))
            await anyio.sleep(0.1)
            gets_before_event.append(route.call_count)
            await stream.send.send(event(BulkDownloadCompleteEvent))

        async with anyio.create_task_group() as tg:
            tg.start_soon(announce)
            result = await client.images.bulk_download(["a.png"], to=tmp_path, poll_interval=0.01)

    assert gets_before_event == [0]
    assert route.call_count == 1 and seen_paths == [ZIP_PATH.encode()]  # one GET, percent-encoded
    assert result.item_name == ZIP_NAME and result.path == (tmp_path / ZIP_NAME).resolve()
    assert [p.name for p in listdir(tmp_path)] == [ZIP_NAME]


async def test_error_event_raises_without_fetching(
    client: AsyncInvokeAI, stream: FakeStream, tmp_path: Path
) -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock_post(mock)
        route = mock.get(url__regex=r".*/download/.*").mock(return_value=httpx.Response(200))
        await stream.send.send(event(BulkDownloadErrorEvent, error="disk full"))
        with pytest.raises(BulkDownloadError, match="disk full"):
            await client.images.bulk_download(["a.png"], to=tmp_path)
    assert route.call_count == 0 and listdir(tmp_path) == []


async def test_a_silent_stream_is_probed_after_the_quiet_period(
    client: AsyncInvokeAI, stream: FakeStream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_bulk_download, "QUIET_PERIOD", 0.2)
    with respx.mock(base_url=BASE) as mock:
        mock_post(mock)
        route = mock.get(ZIP_PATH).mock(
            side_effect=[
                httpx.Response(404, json={"detail": "Not Found"}),
                httpx.Response(200, content=zip_bytes("a.png")),
            ]
        )
        with anyio.fail_after(5):
            started = anyio.current_time()
            result = await client.images.bulk_download(["a.png"], to=tmp_path / "z.zip", poll_interval=0.01)
            elapsed = anyio.current_time() - started
    assert route.call_count == 2 and elapsed >= 0.4  # two quiet periods, not 0.01 s polling
    assert result.path.name == "z.zip"


async def test_polling_takes_over_when_the_stream_ends(
    client: AsyncInvokeAI, stream: FakeStream, tmp_path: Path
) -> None:
    with respx.mock(base_url=BASE) as mock:
        mock_post(mock)
        route = mock.get(ZIP_PATH).mock(
            side_effect=[httpx.Response(404), httpx.Response(200, content=zip_bytes("a.png"))]
        )
        stream.send.close()  # the event socket is gone for good
        result = await client.images.bulk_download(["a.png"], to=tmp_path, poll_interval=0.01)
    assert route.call_count == 2 and result.size == len(zip_bytes("a.png"))


async def test_a_zip_missing_an_image_is_refused(
    client: AsyncInvokeAI, stream: FakeStream, tmp_path: Path
) -> None:
    with respx.mock(base_url=BASE) as mock:
        mock_post(mock)
        mock.get(ZIP_PATH).mock(return_value=httpx.Response(200, content=zip_bytes("a.png")))
        await stream.send.send(event(BulkDownloadCompleteEvent))
        with pytest.raises(APIConnectionError, match=r"lacks \['b.png'\]"):
            await client.images.bulk_download(["a.png", "b.png"], to=tmp_path)
    assert listdir(tmp_path) == []


async def test_unknown_board_is_not_found_before_zipping(client: AsyncInvokeAI, tmp_path: Path) -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.get("/api/v1/boards/no%20such").mock(
            return_value=httpx.Response(404, json={"detail": "Board not found"})
        )
        post = mock.post("/api/v1/images/download").mock(return_value=httpx.Response(500))
        with pytest.raises(NotFoundError, match="Board not found"):
            await client.images.bulk_download(board="no such", to=tmp_path)
        with pytest.raises(ValidationError, match="'/'"):
            await client.images.bulk_download(board="a/b", to=tmp_path)
    assert post.call_count == 0
