"""Unit checks of the hardening helpers: path segments, log redaction, URL errors (no server)."""

from __future__ import annotations

import logging

import httpx
import pytest
import respx

from invokeai_sdk import AsyncInvokeAI, ValidationError
from invokeai_sdk._redact import RedactSecrets, redact, register
from invokeai_sdk._transport import Credentials, segment
from invokeai_sdk.resources.model_install import InstallJob
from invokeai_sdk.types.models import ModelInstallJobInfo


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
