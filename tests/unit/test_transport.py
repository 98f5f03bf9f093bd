"""The request loop: retries, backoff, error mapping, auth, base-URL prefixes (respx)."""

from __future__ import annotations

import httpx
import pytest
import respx

from invokeai_sdk import (
    APIConnectionError,
    APITimeoutError,
    AsyncInvokeAI,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
    UnsupportedMediaTypeError,
    _transport,
)

from ..conftest import run_under_trio

BASE = "http://invoke.test"


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record backoff sleeps instead of waiting."""
    recorded: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(_transport, "_sleep", fake_sleep)
    return recorded


@pytest.fixture
async def client() -> AsyncInvokeAI:
    return AsyncInvokeAI(BASE, max_retries=2)


@respx.mock
async def test_get_503_is_retried_then_succeeds(client: AsyncInvokeAI, sleeps: list[float]) -> None:
    route = respx.get(f"{BASE}/api/v1/app/version").mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(503),
            httpx.Response(200, json={"version": "6.14.2"}),
        ]
    )
    version = await client.app.version()
    assert version == "6.14.2"
    assert route.call_count == 3
    assert len(sleeps) == 2
    assert 0.375 <= sleeps[0] <= 0.5 and 0.75 <= sleeps[1] <= 1.0  # exponential with jitter


@respx.mock
async def test_get_gives_up_after_max_retries(client: AsyncInvokeAI, sleeps: list[float]) -> None:
    route = respx.get(f"{BASE}/api/v1/app/version").mock(return_value=httpx.Response(503, text="busy"))
    with pytest.raises(InternalServerError) as info:
        await client.app.version()
    assert route.call_count == 3
    assert info.value.status_code == 503
    assert info.value.detail == "busy"


@respx.mock
async def test_post_503_is_never_retried(client: AsyncInvokeAI, sleeps: list[float]) -> None:
    route = respx.post(f"{BASE}/api/v1/app/logging").mock(return_value=httpx.Response(503))
    with pytest.raises(InternalServerError):
        await client.app.set_log_level(10)
    assert route.call_count == 1
    assert sleeps == []


@respx.mock
async def test_post_read_error_is_never_retried(client: AsyncInvokeAI, sleeps: list[float]) -> None:
    route = respx.post(f"{BASE}/api/v1/app/logging").mock(side_effect=httpx.RemoteProtocolError("reset"))
    with pytest.raises(APIConnectionError) as info:
        await client.app.set_log_level(10)
    assert route.call_count == 1
    assert isinstance(info.value.__cause__, httpx.RemoteProtocolError)


@respx.mock
@pytest.mark.parametrize(("idempotent", "sent"), [(True, 2), (None, 1), (False, 1)])
async def test_a_post_marked_idempotent_is_retried_after_a_reset(
    client: AsyncInvokeAI, sleeps: list[float], idempotent: bool | None, sent: int
) -> None:
    route = respx.post(f"{BASE}/api/v1/queue/default/items_by_ids").mock(
        side_effect=[httpx.ReadError("reset"), httpx.Response(200, json=[])]
    )
    call = client.request(
        "POST", "/api/v1/queue/default/items_by_ids", json={"item_ids": [1]}, idempotent=idempotent
    )
    if sent == 2:
        assert (await call).json() == []
    else:
        with pytest.raises(APIConnectionError):
            await call
    assert route.call_count == sent


@respx.mock
async def test_a_get_marked_not_idempotent_is_sent_once(client: AsyncInvokeAI, sleeps: list[float]) -> None:
    route = respx.get(f"{BASE}/api/v1/app/version").mock(return_value=httpx.Response(503))
    with pytest.raises(InternalServerError):
        await client.request("GET", "/api/v1/app/version", idempotent=False)
    assert route.call_count == 1 and sleeps == []


@respx.mock
async def test_post_refused_connection_is_retried(client: AsyncInvokeAI, sleeps: list[float]) -> None:
    # A refused connection never reached the server: retrying cannot run anything twice.
    route = respx.post(f"{BASE}/api/v1/app/logging").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json=10)]
    )
    assert await client.app.set_log_level(10) == 10
    assert route.call_count == 2


@respx.mock
async def test_connection_reset_after_500_is_retried_for_get(
    client: AsyncInvokeAI, sleeps: list[float]
) -> None:
    route = respx.get(f"{BASE}/api/v1/app/version").mock(
        side_effect=[
            httpx.ReadError("Connection reset by peer"),
            httpx.Response(200, json={"version": "6.14.2"}),
        ]
    )
    assert (await client.app.version()).version == "6.14.2"
    assert route.call_count == 2


@respx.mock
async def test_retry_after_is_honoured_and_capped(client: AsyncInvokeAI, sleeps: list[float]) -> None:
    respx.get(f"{BASE}/api/v1/app/version").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(503, headers={"Retry-After": "3600"}),
            httpx.Response(200, json={"version": "1.2.3"}),
        ]
    )
    await client.app.version()
    assert sleeps == [7.0, _transport.MAX_RETRY_AFTER]


@respx.mock
async def test_retry_after_http_date(client: AsyncInvokeAI, sleeps: list[float]) -> None:
    respx.get(f"{BASE}/api/v1/app/version").mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
            httpx.Response(200, json={"version": "1.2.3"}),
        ]
    )
    await client.app.version()
    assert sleeps == [0.0]  # a date in the past means "now"


@respx.mock
async def test_422_detail_is_parsed(client: AsyncInvokeAI) -> None:
    detail = [
        {
            "type": "int_parsing",
            "loc": ["body", "batch", "graph", "nodes", "a", "value"],
            "msg": "Input should be a valid integer",
            "input": "notint",
        }
    ]
    respx.post(f"{BASE}/api/v1/app/logging").mock(return_value=httpx.Response(422, json={"detail": detail}))
    with pytest.raises(UnprocessableEntityError) as info:
        await client.app.set_log_level(10)
    error = info.value
    assert error.status_code == 422
    assert len(error.errors) == 1
    assert error.errors[0].loc == ("body", "batch", "graph", "nodes", "a", "value")
    assert error.errors[0].type == "int_parsing"
    assert error.errors[0].input == "notint"
    assert "body.batch.graph.nodes.a.value: Input should be a valid integer" in str(error)


@respx.mock
async def test_text_plain_500_is_internal_server_error(client: AsyncInvokeAI, sleeps: list[float]) -> None:
    respx.post(f"{BASE}/api/v1/app/logging").mock(
        return_value=httpx.Response(500, text="Internal Server Error", headers={"content-type": "text/plain"})
    )
    with pytest.raises(InternalServerError) as info:
        await client.app.set_log_level(10)
    assert info.value.detail == "Internal Server Error"
    assert "500 from POST /api/v1/app/logging: Internal Server Error" in str(info.value)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (415, UnsupportedMediaTypeError),
        (429, RateLimitError),
        (502, InternalServerError),
    ],
)
@respx.mock
async def test_one_exception_per_status(status: int, cls: type[Exception], sleeps: list[float]) -> None:
    client = AsyncInvokeAI(BASE, max_retries=0)
    respx.get(f"{BASE}/api/v1/app/version").mock(return_value=httpx.Response(status, json={"detail": "nope"}))
    with pytest.raises(cls) as info:
        await client.app.version()
    assert info.value.detail == "nope"  # type: ignore[attr-defined]


@respx.mock
async def test_timeout_becomes_api_timeout_error(sleeps: list[float]) -> None:
    client = AsyncInvokeAI(BASE, max_retries=1)
    route = respx.get(f"{BASE}/api/v1/app/version").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(APITimeoutError):
        await client.app.version(timeout=0.5)
    assert route.call_count == 2


async def test_refused_connection_is_api_connection_error(sleeps: list[float]) -> None:
    # Port 9 on loopback: nothing listens there.
    async with AsyncInvokeAI("http://127.0.0.1:9", max_retries=1) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.app.version()
    assert not isinstance(info.value, APITimeoutError)
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert len(sleeps) == 1


@respx.mock
async def test_base_url_path_prefix_is_kept_for_v1_and_v2() -> None:
    client = AsyncInvokeAI("https://proxy.test/invoke/", max_retries=0)
    v1 = respx.get("https://proxy.test/invoke/api/v1/app/version").mock(
        return_value=httpx.Response(200, json={"version": "6.14.2"})
    )
    assert client._transport.url("/api/v2/models/") == httpx.URL("https://proxy.test/invoke/api/v2/models/")
    await client.app.version()
    assert v1.called


@respx.mock
async def test_login_on_first_use_and_refreshed_token_adopted() -> None:
    client = AsyncInvokeAI(BASE, email="a@example.com", password="secret", max_retries=0)
    status = respx.get(f"{BASE}/api/v1/auth/status").mock(
        return_value=httpx.Response(200, json={"multiuser_enabled": True, "setup_required": False})
    )
    login = respx.post(f"{BASE}/api/v1/auth/login").mock(
        return_value=httpx.Response(
            200, json={"token": "t1", "user": {"user_id": "u", "email": "a@example.com"}}
        )
    )
    version = respx.get(f"{BASE}/api/v1/app/version").mock(
        side_effect=[
            httpx.Response(200, json={"version": "6.14.2"}, headers={"X-Refreshed-Token": "t2"}),
            httpx.Response(200, json={"version": "6.14.2"}),
        ]
    )
    await client.app.version()
    await client.app.version()
    assert login.call_count == 1
    assert (
        login.calls[0].request.content == b'{"email":"a@example.com","password":"secret","remember_me":false}'
    )
    assert version.calls[0].request.headers["authorization"] == "Bearer t1"
    assert version.calls[1].request.headers["authorization"] == "Bearer t2"
    assert status.call_count == 1


@pytest.mark.parametrize(
    "status_response",
    [
        httpx.Response(200, json={"multiuser_enabled": False, "setup_required": False}),
        httpx.Response(404, json={"detail": "Not Found"}),  # servers before 6.12 have no auth API
    ],
)
@respx.mock
async def test_credentials_are_not_used_on_a_single_user_server(status_response: httpx.Response) -> None:
    client = AsyncInvokeAI(BASE, email="a@example.com", password="secret", max_retries=0)
    status = respx.get(f"{BASE}/api/v1/auth/status").mock(return_value=status_response)
    login = respx.post(f"{BASE}/api/v1/auth/login").mock(
        return_value=httpx.Response(403, json={"detail": "Multiuser mode is disabled"})
    )
    version = respx.get(f"{BASE}/api/v1/app/version").mock(
        return_value=httpx.Response(200, json={"version": "6.14.2"})
    )
    assert str(await client.app.version()) == "6.14.2"
    assert str(await client.app.version()) == "6.14.2"
    assert not login.called and status.call_count == 1 and version.call_count == 2
    assert "authorization" not in version.calls[0].request.headers


@respx.mock
async def test_path_segments_are_percent_encoded() -> None:
    client = AsyncInvokeAI(BASE, max_retries=0)
    route = respx.get(url__startswith=f"{BASE}/api/v2/models/i/").mock(
        return_value=httpx.Response(404, json={"detail": "not found"})
    )
    for key in ("a?b", "Fotos ä", "x#y"):
        with pytest.raises(NotFoundError):
            await client.models.get(key)
    paths = [call.request.url.raw_path for call in route.calls]
    assert paths == [b"/api/v2/models/i/a%3Fb", b"/api/v2/models/i/Fotos%20%C3%A4", b"/api/v2/models/i/x%23y"]
    assert all(not call.request.url.query for call in route.calls)


@respx.mock
async def test_logs_never_show_secret_query_values(caplog: pytest.LogCaptureFixture) -> None:
    client = AsyncInvokeAI("http://user:pw@invoke.test", max_retries=1)
    respx.post(url__startswith=f"{BASE}/api/v2/models/install").mock(
        return_value=httpx.Response(500, text="boom")
    )
    caplog.set_level("DEBUG", logger="invokeai_sdk")
    with pytest.raises(InternalServerError):
        await client.request(
            "POST", "/api/v2/models/install", params={"source": "x", "access_token": "hf_s3cr3t"}
        )
    text = caplog.text
    assert "install" in text and "source=x" in text
    assert "hf_s3cr3t" not in text and ":pw@" not in text


async def test_aclose_runs_every_closer_and_closes_the_pool_even_when_one_fails() -> None:
    client = AsyncInvokeAI(BASE)
    ran: list[str] = []

    async def bad() -> None:
        ran.append("bad")
        raise RuntimeError("closer failed")

    async def good() -> None:
        ran.append("good")

    client.session.closers.extend([good, bad])
    with pytest.raises(RuntimeError, match="closer failed"):
        await client.aclose()
    assert ran == ["bad", "good"] and client._transport.is_closed


@respx.mock
async def test_401_with_credentials_logs_in_again_and_retries_once() -> None:
    client = AsyncInvokeAI(BASE, token="expired", email="a@example.com", password="secret", max_retries=0)
    respx.post(f"{BASE}/api/v1/auth/login").mock(
        return_value=httpx.Response(
            200, json={"token": "fresh", "user": {"user_id": "u", "email": "a@example.com"}}
        )
    )
    route = respx.post(f"{BASE}/api/v1/app/logging").mock(
        side_effect=[httpx.Response(401, json={"detail": "Token expired"}), httpx.Response(200, json=20)]
    )
    assert await client.app.set_log_level(20) == 20
    assert [c.request.headers["authorization"] for c in route.calls] == ["Bearer expired", "Bearer fresh"]


@respx.mock
async def test_401_twice_raises_authentication_error() -> None:
    client = AsyncInvokeAI(BASE, token="expired", email="a@example.com", password="secret", max_retries=0)
    respx.post(f"{BASE}/api/v1/auth/login").mock(
        return_value=httpx.Response(
            200, json={"token": "fresh", "user": {"user_id": "u", "email": "a@example.com"}}
        )
    )
    route = respx.get(f"{BASE}/api/v1/boards/").mock(
        return_value=httpx.Response(401, json={"detail": "Authentication required"})
    )
    with pytest.raises(AuthenticationError, match="Authentication required"):
        await client.get("/api/v1/boards/")
    assert route.call_count == 2


def test_repr_never_shows_secrets() -> None:
    client = AsyncInvokeAI(BASE, token="s3cr3t-token", email="a@example.com", password="hunter2")
    text = repr(client) + repr(client._transport.credentials)
    assert "s3cr3t-token" not in text and "hunter2" not in text
    assert "invoke.test" in text


def test_environment_fallbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INVOKEAI_BASE_URL", "http://env.test:1234/x")
    monkeypatch.setenv("INVOKEAI_TOKEN", "envtoken")
    client = AsyncInvokeAI()
    assert str(client.base_url) == "http://env.test:1234/x"
    assert client._transport.auth_headers() == {"Authorization": "Bearer envtoken"}
    monkeypatch.delenv("INVOKEAI_BASE_URL")
    assert str(AsyncInvokeAI().base_url) == "http://127.0.0.1:9090"


@respx.mock
async def test_with_options_shares_the_pool_and_changes_defaults(sleeps: list[float]) -> None:
    client = AsyncInvokeAI(BASE, max_retries=2)
    quick = client.with_options(timeout=1.5, max_retries=0)
    assert quick._transport is client._transport
    assert quick.max_retries == 0 and quick.timeout.read == 1.5
    assert client.max_retries == 2
    route = respx.get(f"{BASE}/api/v1/app/version").mock(return_value=httpx.Response(503))
    with pytest.raises(InternalServerError):
        await quick.app.version()
    assert route.call_count == 1
    assert route.calls[0].request.extensions["timeout"]["read"] == 1.5


@respx.mock
async def test_per_call_timeout_reaches_httpx() -> None:
    client = AsyncInvokeAI(BASE)
    route = respx.get(f"{BASE}/api/v1/app/version").mock(
        return_value=httpx.Response(200, json={"version": "1"})
    )
    await client.app.version(timeout=2.5)
    assert route.calls[0].request.extensions["timeout"]["read"] == 2.5


async def test_closed_client_refuses_requests() -> None:
    client = AsyncInvokeAI(BASE)
    await client.aclose()
    with pytest.raises(APIConnectionError, match="closed"):
        await client.app.version()


def test_bad_base_url_is_rejected() -> None:
    with pytest.raises(ValueError, match="base_url"):
        AsyncInvokeAI("not a url")


def test_rest_calls_work_under_trio() -> None:
    async def main() -> str:
        with respx.mock:
            respx.get(f"{BASE}/api/v1/app/version").mock(
                return_value=httpx.Response(200, json={"version": "6.14.2"})
            )
            async with AsyncInvokeAI(BASE, email="a@example.com", password="pw", token="t") as client:
                return (await client.app.version()).version

    assert run_under_trio(main) == "6.14.2"


@respx.mock
async def test_one_timeout_rule_for_clients_and_calls() -> None:
    seen: list[dict[str, float | None]] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, json={})

    respx.get(f"{BASE}/api/v1/x").mock(side_effect=record)
    async with AsyncInvokeAI(BASE, timeout=5) as short, AsyncInvokeAI(BASE) as default:
        await short.get("/api/v1/x")
        await short.get("/api/v1/x", timeout=30)
        await default.get("/api/v1/x", timeout=30)
        await default.get("/api/v1/x")
    assert [t["connect"] for t in seen] == [5.0, 10.0, 10.0, 10.0]
    assert [t["read"] for t in seen] == [5.0, 30.0, 30.0, 60.0]
