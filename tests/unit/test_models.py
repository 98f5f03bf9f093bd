"""``ivk.models`` edge cases a real server will not produce on demand (respx)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest
import respx

from invokeai_sdk import (
    APIResponseValidationError,
    APITimeoutError,
    AsyncInvokeAI,
    ConflictError,
    EventsUnavailableError,
    FeatureNotSupportedError,
    InstallCanceledError,
    InvalidModelSourceError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
    WaitTimeoutError,
    _transport,
)
from invokeai_sdk.types.models import BaseModelType, HFTokenStatus, InstallStatus, ModelFormat, ModelType

BASE = "http://invoke.test"
MODELS = f"{BASE}/api/v2/models"

NEW_PATHS = [
    "/api/v2/models/",
    "/api/v2/models/install",
    "/api/v2/models/get_by_hash",
    "/api/v2/models/missing",
    "/api/v2/models/stats",
    "/api/v2/models/hf_login",
]


def mock_server(paths: list[str] = NEW_PATHS, version: str = "6.14.2") -> None:
    respx.get(f"{BASE}/openapi.json").mock(
        return_value=httpx.Response(200, json={"paths": {p: {"get": {}} for p in paths}})
    )
    respx.get(f"{BASE}/api/v1/app/version").mock(return_value=httpx.Response(200, json={"version": version}))


def model(key: str, base: str, type: str, format: str, **extra: Any) -> dict[str, Any]:
    return {
        "key": key,
        "name": key,
        "base": base,
        "type": type,
        "format": format,
        "hash": "blake3:x",
        **extra,
    }


def job(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": 7,
        "status": status,
        "source": {"path": "/m/tiny.safetensors", "inplace": True, "type": "local"},
        "config_in": {},
        "inplace": True,
        "bytes": 10,
        "total_bytes": 20,
        **extra,
    }


@pytest.fixture
async def ivk() -> AsyncIterator[AsyncInvokeAI]:
    async with AsyncInvokeAI(BASE, max_retries=0) as client:
        yield client


@respx.mock
async def test_unknown_base_type_and_format_are_kept_as_strings(ivk: AsyncInvokeAI) -> None:
    body = {
        "models": [
            model("a", "sdxl", "main", "checkpoint", variant="normal", default_settings={"steps": 30}),
            model("b", "brand-new-base", "hologram", "quantum_weights", weird={"nested": [1]}),
        ]
    }
    route = respx.get(f"{MODELS}/").mock(return_value=httpx.Response(200, json=body))
    page = await ivk.models.list(base=[BaseModelType.SDXL, "brand-new-base"], type="main")
    assert route.calls.last.request.url.params.get_list("base_models") == ["sdxl", "brand-new-base"]
    assert route.calls.last.request.url.params["model_type"] == "main"
    known, unknown = page.items
    assert known.base is BaseModelType.SDXL and known.type is ModelType.MAIN
    assert known.format is ModelFormat.CHECKPOINT and known.base == "sdxl"
    assert known.model_extra == {"variant": "normal", "default_settings": {"steps": 30}}
    assert unknown.base == "brand-new-base" and not isinstance(unknown.base, BaseModelType)
    assert unknown.type == "hologram" and unknown.format == "quantum_weights"
    assert unknown.to_dict()["weird"] == {"nested": [1]}


@respx.mock
async def test_listing_is_fetched_once_and_paged_locally(ivk: AsyncInvokeAI) -> None:
    body = {"models": [model(f"m{i}", "sd-1", "lora", "lycoris") for i in range(5)]}
    route = respx.get(f"{MODELS}/").mock(return_value=httpx.Response(200, json=body))
    paginator = ivk.models.list(limit=2)
    first = await paginator
    assert [m.key for m in first] == ["m0", "m1"] and first.total == 5 and first.has_next_page()
    assert [m.key async for m in paginator] == [f"m{i}" for i in range(5)]
    assert route.call_count == 1  # the server sends everything at once: one request per paginator
    assert len(await ivk.models.list().to_list()) == 5 and route.call_count == 2


@respx.mock
async def test_bad_input_is_refused_before_sending(ivk: AsyncInvokeAI) -> None:
    route = respx.route(host="invoke.test")
    with pytest.raises(ValidationError, match="unknown_field"):
        await ivk.models.install("/m/x.safetensors", config={"unknown_field": 1})
    with pytest.raises(ValidationError, match="plain file name"):
        await ivk.models.install("/m/x.safetensors", config={"key": "../escape"})
    with pytest.raises(ValidationError, match="source"):
        await ivk.models.install("  ")
    with pytest.raises(ValidationError, match="key cannot be changed"):
        await ivk.models.update("abc", changes={"key": "other"})
    with pytest.raises(ValidationError, match="limit"):
        ivk.models.list(limit=0)
    assert route.call_count == 0


@respx.mock
async def test_methods_missing_on_older_servers_raise_feature_not_supported(ivk: AsyncInvokeAI) -> None:
    mock_server(["/api/v2/models/", "/api/v2/models/install"], version="6.3.0")
    with pytest.raises(FeatureNotSupportedError, match=r"6\.3\.0"):
        await ivk.models.get_by_hash("blake3:abc")
    with pytest.raises(FeatureNotSupportedError):
        await ivk.models.missing()
    with pytest.raises(FeatureNotSupportedError):
        await ivk.models.delete_many(["a"])


class FakeStream:
    """Stands in for the events contract's ``EventStream``."""

    def __init__(self, events: list[Any], *, delay: float) -> None:
        self.events = events
        self.delay = delay

    async def __aiter__(self) -> AsyncIterator[Any]:
        for event in self.events:
            await anyio.sleep(self.delay)
            yield event
        await anyio.sleep_forever()


class Event:
    def __init__(self, event_name: str, id: int) -> None:
        self.event_name = event_name
        self.id = id


class FakeEvents:
    def __init__(self, stream: FakeStream | None) -> None:
        self.stream = stream
        self.calls: list[dict[str, Any]] = []

    def subscribe(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)

        @asynccontextmanager
        async def manager() -> AsyncIterator[FakeStream]:
            if self.stream is None:
                raise EventsUnavailableError("no socket")
            yield self.stream

        return manager()


@respx.mock
async def test_wait_wakes_on_the_terminal_event_not_the_poll(ivk: AsyncInvokeAI) -> None:
    respx.post(f"{MODELS}/install").mock(return_value=httpx.Response(201, json=job("running")))
    mock_server()
    done = job("completed", config_out=model("k1", "unknown", "unknown", "unknown"))
    status = respx.get(f"{MODELS}/install/7").mock(
        side_effect=[httpx.Response(200, json=job("running")), httpx.Response(200, json=done)]
    )
    events = FakeEvents(
        FakeStream([Event("model_install_complete", 99), Event("model_install_complete", 7)], delay=0.05)
    )
    ivk.__dict__["events"] = events
    install = await ivk.models.install("/m/tiny.safetensors", inplace=True)
    assert install.settled_by is None
    with anyio.fail_after(5):  # the poll interval is 60 s: only the event can end this early
        result = await install.wait(poll_interval=60)
    assert result.model is not None and result.model.key == "k1"
    assert install.settled_by == "event"
    assert status.call_count == 2 and install.status is InstallStatus.COMPLETED
    assert events.calls[0]["types"] == [
        "model_install_complete",
        "model_install_error",
        "model_install_cancelled",
    ]


@respx.mock
async def test_wait_polls_when_events_are_unavailable_and_maps_cancel(ivk: AsyncInvokeAI) -> None:
    mock_server()
    respx.get(f"{MODELS}/install/7").mock(
        side_effect=[
            httpx.Response(200, json=job("running")),
            httpx.Response(200, json=job("running")),
            httpx.Response(200, json=job("cancelled")),
        ]
    )
    ivk.__dict__["events"] = FakeEvents(None)
    install = await ivk.models.get_install_job(7)
    assert (await install.progress()).fraction == 0.5
    with pytest.raises(InstallCanceledError, match="cancelled") as info:
        await install.wait(poll_interval=0.01)
    assert info.value.job_id == 7 and info.value.source == "/m/tiny.safetensors"
    assert install.settled_by == "poll"


@respx.mock
async def test_wait_timeout_and_cancel_of_unknown_job(ivk: AsyncInvokeAI) -> None:
    mock_server()
    respx.get(f"{MODELS}/install/7").mock(return_value=httpx.Response(200, json=job("downloading")))
    respx.delete(f"{MODELS}/install/7").mock(
        return_value=httpx.Response(415, json={"detail": "No job with id 7 known"})
    )
    ivk.__dict__["events"] = FakeEvents(None)
    install = await ivk.models.get_install_job(7)
    with pytest.raises(WaitTimeoutError, match=r"job 7 did not finish within 0\.2 s \(status downloading\)"):
        await install.wait(wait_timeout=0.2, poll_interval=0.05)
    old_name = pytest.warns(DeprecationWarning, match="wait_timeout")  # the deadline's old name
    with old_name, pytest.raises(WaitTimeoutError, match=r"within 0\.1 s"):
        await install.wait(timeout=0.1, poll_interval=0.05)
    with pytest.raises(TypeError, match="not both"):
        await install.wait(wait_timeout=1, timeout=1)
    with pytest.raises(NotFoundError, match="No job with id 7"):
        await install.cancel()


@respx.mock
async def test_get_by_attrs_takes_base_and_type_by_position(ivk: AsyncInvokeAI) -> None:
    route = respx.get(f"{MODELS}/get_by_attrs").mock(
        return_value=httpx.Response(200, json=model("v1", "sdxl", "vae", "diffusers"))
    )
    found = await ivk.models.get_by_attrs("v1", BaseModelType.SDXL, "vae")
    assert found.key == "v1" and found.type is ModelType.VAE
    assert dict(route.calls.last.request.url.params) == {"name": "v1", "base": "sdxl", "type": "vae"}


@respx.mock
async def test_keys_are_sent_as_one_path_segment(ivk: AsyncInvokeAI) -> None:
    route = respx.get(url__regex=rf"{MODELS}/i/.*").mock(
        return_value=httpx.Response(200, json=model("a/b c", "sdxl", "vae", "diffusers"))
    )
    await ivk.models.get("a/b c?x")
    assert route.calls.last.request.url.raw_path == b"/api/v2/models/i/a%2Fb%20c%3Fx"


@respx.mock
async def test_hf_namespace_status_login_logout(ivk: AsyncInvokeAI) -> None:
    mock_server()
    status = respx.get(f"{MODELS}/hf_login").mock(return_value=httpx.Response(200, json="unknown"))
    login = respx.post(f"{MODELS}/hf_login").mock(
        side_effect=[httpx.Response(200, json="valid"), httpx.Response(200, json="invalid")]
    )
    logout = respx.delete(f"{MODELS}/hf_login").mock(return_value=httpx.Response(200, json="invalid"))
    assert ivk.models.hf is ivk.models.hf  # one cached namespace
    assert await ivk.models.hf.status() is HFTokenStatus.UNKNOWN and status.call_count == 1
    assert await ivk.models.hf.login("hf_good") is HFTokenStatus.VALID
    assert json.loads(login.calls.last.request.content) == {"token": "hf_good"}
    assert await ivk.models.hf.login("hf_refused") is HFTokenStatus.INVALID  # a status, not an error
    assert await ivk.models.hf.logout() is HFTokenStatus.INVALID and logout.call_count == 1
    with pytest.raises(ValidationError, match="token must be a non-empty string"):
        await ivk.models.hf.login(" ")
    assert login.call_count == 2
    assert not hasattr(ivk.models, "hf_status")  # the old flat names are gone


@respx.mock
async def test_hf_login_and_logout_error_shapes(ivk: AsyncInvokeAI) -> None:
    mock_server()
    respx.post(f"{MODELS}/hf_login").mock(
        side_effect=[
            httpx.Response(403, json={"detail": "Admin privileges required"}),
            httpx.Response(200, json="expired-ish"),
            httpx.Response(200, json={"status": "valid"}),
        ]
    )
    respx.delete(f"{MODELS}/hf_login").mock(return_value=httpx.Response(200, text="<html>proxy</html>"))
    with pytest.raises(PermissionDeniedError, match="Admin privileges required") as denied:
        await ivk.models.hf.login("hf_x")
    assert denied.value.status_code == 403
    kept = await ivk.models.hf.login("hf_x")  # a status this SDK does not know stays a str
    assert kept == "expired-ish" and not isinstance(kept, HFTokenStatus)
    with pytest.raises(APIResponseValidationError, match="not a Hugging Face token status"):
        await ivk.models.hf.login("hf_x")
    with pytest.raises(APIResponseValidationError, match=r"DELETE /api/v2/models/hf_login answered '<html>"):
        await ivk.models.hf.logout()


@respx.mock
async def test_hf_on_a_server_without_the_route_is_feature_not_supported(ivk: AsyncInvokeAI) -> None:
    mock_server(["/api/v2/models/"], version="6.0.0")
    route = respx.route(path="/api/v2/models/hf_login")
    with pytest.raises(FeatureNotSupportedError, match=r"6\.0\.0"):
        await ivk.models.hf.status()
    with pytest.raises(FeatureNotSupportedError):
        await ivk.models.hf.logout()
    assert route.call_count == 0


@respx.mock
async def test_a_timed_out_convert_is_sent_exactly_once(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def no_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(_transport, "_sleep", no_sleep)
    convert = respx.put(f"{MODELS}/convert/ckpt-1").mock(side_effect=httpx.ReadTimeout("slow"))
    get = respx.get(f"{MODELS}/i/ckpt-1").mock(side_effect=httpx.ReadTimeout("slow"))
    async with AsyncInvokeAI(BASE, max_retries=2) as client:
        with pytest.raises(APITimeoutError):
            await client.models.convert("ckpt-1")
        assert convert.call_count == 1 and slept == []  # never repeated: a conversion is not idempotent
        timeout = convert.calls.last.request.extensions["timeout"]
        assert timeout["read"] == 1800.0 and timeout["connect"] == 10.0
        with pytest.raises(APITimeoutError):
            await client.models.convert("ckpt-1", timeout=5)
        assert convert.call_count == 2 and convert.calls.last.request.extensions["timeout"]["read"] == 5
        with pytest.raises(APITimeoutError):  # the same client does retry an idempotent GET
            await client.models.get("ckpt-1")
        assert get.call_count == 3 and len(slept) == 2


@respx.mock
async def test_install_424_unknown_model_is_an_invalid_source(ivk: AsyncInvokeAI) -> None:
    mock_server()
    detail = "unknown model: owner/gone"
    respx.post(f"{MODELS}/install").mock(return_value=httpx.Response(424, json={"detail": detail}))
    with pytest.raises(InvalidModelSourceError, match="knows no model for the source 'owner/gone'") as info:
        await ivk.models.install("owner/gone")
    assert info.value.status_code == 424 and info.value.detail == detail
    assert isinstance(info.value, ConflictError)  # one except clause catches both 409 and 424
