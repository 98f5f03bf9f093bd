"""Unit checks of the hardening helpers: path segments, log redaction, URL errors (no server)."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
import respx

from invokeai_sdk import AsyncInvokeAI, EnqueueError, InternalServerError, ValidationError
from invokeai_sdk._redact import RedactSecrets, redact, register
from invokeai_sdk._transport import Credentials, segment
from invokeai_sdk.resources import queue as queue_module
from invokeai_sdk.resources.model_install import InstallJob
from invokeai_sdk.types.models import ModelInstallJobInfo

from .test_queue import BASE as QUEUE_BASE
from .test_queue import GRAPH as QUEUE_GRAPH
from .test_queue import _batch_status
from .test_queue import _mock_server as mock_queue_server


@pytest.mark.parametrize("bad", ["", ".", ".."])
def test_segment_refuses_empty_and_dot_segments(bad: str) -> None:
    with pytest.raises(ValidationError):
        segment(bad)


def test_segment_still_encodes_ordinary_ids() -> None:
    assert segment("a/b?c#d%") == "a%2Fb%3Fc%23d%25"
    assert segment("...") == "..."  # three dots are an ordinary name
    assert segment(".hidden") == ".hidden"


def test_redact_masks_tokens_cookies_and_known_secrets() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    assert jwt not in redact(f"(b'x-refreshed-token', b'{jwt}')")
    assert "abc123" not in redact("set-cookie: invokeai_media_token=abc123; Path=/")
    assert "opaque" not in redact("Authorization: Bearer opaque")
    assert "opaque" not in redact("[(b'x-refreshed-token', b'opaque'), (b'date', b'x')]")
    assert "opaque" not in redact('Sending packet MESSAGE data 0{"token":"opaque"}')
    assert "opaque" not in redact("{'email': 'a@b.c', 'password': 'opaque'}")
    assert redact("GET /api/v1/queue/default/status 200") == "GET /api/v1/queue/default/status 200"
    holder = Credentials(token="plain-session-token", email="a@b.c", password="hunter22")

    register(holder)
    assert redact('{"token": "plain-session-token", "password": "hunter22"}').count("***") == 2


def test_the_filter_rewrites_the_record_and_keeps_it() -> None:
    record = logging.LogRecord("engineio.client", logging.INFO, "x", 1, "Sending %s", ("Bearer xyz",), None)
    assert RedactSecrets().filter(record) is True
    assert record.getMessage() == "Sending Bearer ***"


async def test_a_url_too_long_for_httpx_is_a_validation_error() -> None:
    async with AsyncInvokeAI("http://127.0.0.1:9") as ivk:  # nothing listens: nothing may be sent
        with pytest.raises(ValidationError):
            await ivk.images.get("x" * 100_000)
        with pytest.raises(ValidationError):
            await ivk.queue.counts_by_destination("d" * 100_000)


@respx.mock
async def test_pause_and_resume_of_a_download_send_their_posts() -> None:
    # Why a mock: pausing and resuming act on downloads (URL / Hugging Face sources); the offline test
    # server refuses loopback URLs and has no network. The real-server test proves pause on a waiting
    # local install and the typed errors (tests/integration/test_public_methods.py).
    base = "http://invoke.test"
    paths = ["/api/v2/models/install", "/api/v2/models/install/{id}/pause"]
    respx.get(f"{base}/openapi.json").mock(
        return_value=httpx.Response(200, json={"paths": {p: {"post": {}} for p in paths}})
    )
    respx.get(f"{base}/api/v1/app/version").mock(return_value=httpx.Response(200, json={"version": "6.14.2"}))
    info = {
        "id": 5,
        "status": "downloading",
        "source": {"url": "https://example.invalid/m.safetensors", "type": "url"},
        "config_in": {},
        "inplace": False,
    }
    pause = respx.post(f"{base}/api/v2/models/install/5/pause").mock(
        return_value=httpx.Response(201, json={**info, "status": "paused"})
    )
    resume = respx.post(f"{base}/api/v2/models/install/5/resume").mock(
        return_value=httpx.Response(201, json={**info, "status": "waiting"})
    )
    async with AsyncInvokeAI(base, max_retries=0) as ivk:
        job = InstallJob(ivk.models, ModelInstallJobInfo.model_validate(info))
        await job.pause()
        await job.resume()
    assert pause.call_count == 1 and resume.call_count == 1


@pytest.mark.parametrize("arrived", [True, False])
async def test_a_lost_enqueue_reply_is_looked_up_by_its_batch_id(
    arrived: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Why respx: the real-server trials (tests/integration/test_enqueue_exactly_once.py) drop replies
    # the server did send; a reply lost when the request did not get through cannot be made there.
    monkeypatch.setattr(queue_module, "_LOST_REPLY_LOOKUPS", (0.0, 0.0, 0.0))
    async with respx.mock(base_url=QUEUE_BASE, assert_all_called=False) as router:
        enqueue = mock_queue_server(router)
        enqueue.side_effect = httpx.ReadError("reset")
        status = router.get(path__regex=r"/api/v1/queue/default/b/(?P<batch>[^/]+)/status").mock(
            side_effect=lambda request, batch: httpx.Response(
                200, json=_batch_status(batch, pending=1 if arrived else 0)
            )
        )
        router.get("/api/v1/queue/default/list_all").mock(
            side_effect=lambda request: httpx.Response(200, json=[_item(7, sent_batch_id())])
        )

        def sent_batch_id() -> str:
            return str(json.loads(enqueue.calls.last.request.content)["batch"]["batch_id"])

        async with AsyncInvokeAI(QUEUE_BASE, max_retries=3) as ivk:
            if arrived:
                handle = await ivk.queue.enqueue(QUEUE_GRAPH)
                assert handle.batch_id == sent_batch_id() and handle.item_ids == [7]
            else:
                with pytest.raises(EnqueueError) as caught:
                    await ivk.queue.enqueue(QUEUE_GRAPH)
                assert caught.value.enqueued is False and caught.value.batch_id == sent_batch_id()
                assert sent_batch_id() in str(caught.value)
                assert status.call_count == 3  # looked for it each time before giving up
        assert enqueue.call_count == 1  # never resent


@pytest.mark.parametrize(
    ("status", "lookup", "looks", "says"),
    [
        (500, 200, 2, "so it was not enqueued"),  # the server's own 500: its handler has ended
        (502, 200, 3, "so it was not enqueued"),  # a proxy's: the server may still be writing
        (500, 503, 2, "could not be asked whether it arrived: look for batch_id"),
    ],
)
async def test_a_5xx_enqueue_reply_is_checked_by_its_batch_id(
    status: int, lookup: int, looks: int, says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Why respx: a proxy's 502 and a server that cannot answer the lookup; the real-server trials
    # (test_enqueue_exactly_once.py) cover a 500 with the batch written and without.
    monkeypatch.setattr(queue_module, "_LOST_REPLY_LOOKUPS", (0.0, 0.0, 0.0))
    monkeypatch.setattr(queue_module, "_FAILED_REPLY_LOOKUPS", (0.0, 0.0))
    async with respx.mock(base_url=QUEUE_BASE, assert_all_called=False) as router:
        enqueue = mock_queue_server(router)
        enqueue.respond(status, text="Bad Gateway" if status == 502 else "Internal Server Error")
        status_route = router.get(path__regex=r"/api/v1/queue/default/b/(?P<batch>[^/]+)/status").mock(
            side_effect=lambda request, batch: httpx.Response(lookup, json=_batch_status(batch))
        )
        async with AsyncInvokeAI(QUEUE_BASE, max_retries=0) as ivk:
            with pytest.raises(InternalServerError) as caught:
                await ivk.queue.enqueue(QUEUE_GRAPH)
        batch_id = json.loads(enqueue.calls.last.request.content)["batch"]["batch_id"]
    assert caught.value.status_code == status and f"batch {batch_id}: " in str(caught.value)
    assert says in str(caught.value)
    assert isinstance(caught.value.__cause__, InternalServerError)  # the server's own error, kept
    assert status_route.call_count == looks and enqueue.call_count == 1  # never resent


def _item(item_id: int, batch_id: str) -> dict[str, object]:
    return {
        "item_id": item_id,
        "status": "pending",
        "batch_id": batch_id,
        "queue_id": "default",
        "session_id": "s",
        "priority": 0,
        "session": {"id": "s", "graph": {}, "execution_graph": {}, "results": {}, "errors": {}},
        "created_at": "2026-01-01T00:00:00",
        "updated_at": "2026-01-01T00:00:00",
        "field_values": None,
    }
