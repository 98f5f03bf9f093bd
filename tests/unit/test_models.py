"""``ivk.models`` edge cases a real server will not produce on demand (respx)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest
import respx

from invokeai_sdk import (
    AsyncInvokeAI,
    EventsUnavailableError,
    FeatureNotSupportedError,
    InstallCanceledError,
    NotFoundError,
    ValidationError,
    WaitTimeoutError,
)
from invokeai_sdk.types.models import BaseModelType, InstallStatus, ModelFormat, ModelType

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
    with anyio.fail_after(5):  # the poll interval is 60 s: only the event can end this early
        result = await install.wait(poll_interval=60)
    assert result.model is not None and result.model.key == "k1"
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


@respx.mock
async def test_wait_timeout_and_cancel_of_unknown_job(ivk: AsyncInvokeAI) -> None:
    mock_server()
    respx.get(f"{MODELS}/install/7").mock(return_value=httpx.Response(200, json=job("downloading")))
    respx.delete(f"{MODELS}/install/7").mock(
        return_value=httpx.Response(415, json={"detail": "No job with id 7 known"})
    )
    ivk.__dict__["events"] = FakeEvents(None)
    install = await ivk.models.get_install_job(7)
    with pytest.raises(WaitTimeoutError, match="did not finish"):
        await install.wait(timeout=0.2, poll_interval=0.05)
    with pytest.raises(NotFoundError, match="No job with id 7"):
        await install.cancel()
