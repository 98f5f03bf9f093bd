"""``ivk.app`` and ``ivk.auth`` against the real server."""

from __future__ import annotations

import pytest

from invokeai_sdk import AsyncInvokeAI, AuthenticationError, FeatureNotSupportedError, NotFoundError

from ..conftest import ServerInfo


async def test_version_is_parsed_and_comparable(ivk: AsyncInvokeAI) -> None:
    version = await ivk.app.version()
    assert version.release >= (6, 0)
    assert version >= "5.0"
    assert version < "999"
    assert str(version) == version.version


async def test_config_dependencies_and_log_level(ivk: AsyncInvokeAI) -> None:
    config = await ivk.app.config()
    assert config.config["host"] == "127.0.0.1"
    assert "port" in config.config
    deps = await ivk.app.dependencies()
    assert "torch" in deps and deps["InvokeAI"] == (await ivk.app.version()).version
    before = await ivk.app.log_level()
    assert await ivk.app.set_log_level(10) == 10
    assert await ivk.app.log_level() == 10
    await ivk.app.set_log_level(before)


async def test_invocation_cache_controls(ivk: AsyncInvokeAI) -> None:
    await ivk.app.disable_cache()
    assert (await ivk.app.cache_status()).enabled is False
    await ivk.app.enable_cache()
    status = await ivk.app.cache_status()
    assert status.enabled is True
    await ivk.app.clear_cache()
    assert (await ivk.app.cache_status()).size == 0


async def test_features_read_once_from_openapi(ivk: AsyncInvokeAI) -> None:
    features = await ivk.app.features()
    assert features is await ivk.app.features()  # cached per session
    assert features.version == (await ivk.app.version()).version
    assert features.supports("queue") and features.supports("workflows") and features.supports("auth")
    assert features.has_operation("PUT", "/api/v1/queue/{queue_id}/i/{item_id}/cancel")
    assert {"img_blur", "save_image", "integer", "add"} <= features.invocation_types
    assert not features.supports("app_config")  # /app/config is gone since 6.11
    with pytest.raises(FeatureNotSupportedError, match="app_config"):
        features.require("app_config")
    blur = features.invocations.get("img_blur")
    assert blur is not None and blur.fields["blur_type"].choices == ("gaussian", "box")
    assert blur.fields["radius"].check(-1) is not None
    # A copy made with with_options shares the session's cache.
    assert await ivk.with_options(timeout=5).app.features() is features


async def test_health_really_checks_the_server(ivk: AsyncInvokeAI) -> None:
    report = await ivk.app.health()
    assert report.ok and report.checks == {"version": True, "queue": True}
    assert report.version == (await ivk.app.version()).version
    async with AsyncInvokeAI("http://127.0.0.1:9", max_retries=0) as dead:
        bad = await dead.app.health()
    assert not bad.ok and bad.error and "APIConnectionError" in bad.error


async def test_single_user_server_reports_no_accounts(ivk: AsyncInvokeAI) -> None:
    status = await ivk.auth.status()
    assert status.multiuser_enabled is False


async def test_credentials_are_harmless_on_a_single_user_server(clean: ServerInfo) -> None:
    # e.g. INVOKEAI_EMAIL/INVOKEAI_PASSWORD set for another server: this one refuses logins (403)
    async with AsyncInvokeAI(clean.base_url, email="someone@example.com", password="pw") as ivk:
        board = await ivk.boards.create("no accounts here")
        assert (await ivk.boards.get(board)).board_name == "no accounts here"
        assert ivk._transport.credentials.token is None


async def test_not_found_is_typed(ivk: AsyncInvokeAI) -> None:
    with pytest.raises(NotFoundError) as info:
        await ivk.app._json("GET", "/api/v1/boards/does-not-exist")
    assert info.value.detail == "Board not found"


@pytest.mark.multiuser
async def test_multiuser_login_token_and_refusals(multiuser_server: ServerInfo) -> None:
    url, email, password = (
        multiuser_server.base_url,
        multiuser_server.admin_email,
        multiuser_server.admin_password,
    )
    assert email and password
    async with AsyncInvokeAI(url) as anonymous:
        status = await anonymous.auth.status()
        assert status.multiuser_enabled is True and status.setup_required is False
        assert (await anonymous.app.version()).release >= (6, 12)  # version stays open
        with pytest.raises(AuthenticationError, match="Authentication required") as info:
            await anonymous.app._json("GET", "/api/v1/boards/", params={"all": True})
        assert info.value.status_code == 401 and info.value.detail == "Authentication required"
        with pytest.raises(AuthenticationError, match="Missing authentication credentials"):
            await anonymous.auth.me()

    async with AsyncInvokeAI(url, email=email, password="wrong-password") as wrong:
        with pytest.raises(AuthenticationError, match="Incorrect email or password"):
            await wrong.auth.me()

    async with AsyncInvokeAI(url, email=email, password=password) as admin:
        me = await admin.auth.me()  # logs in lazily
        assert me.email == email and me.is_admin
        token = admin._transport.credentials.token
        assert token

    async with AsyncInvokeAI(url, token=token) as by_token:
        assert (await by_token.auth.me()).email == email
        assert token not in repr(by_token)

    async with AsyncInvokeAI(url) as explicit:
        result = await explicit.auth.login(email, password)
        assert result.user.is_admin and "***" in repr(result) and result.token not in repr(result)
        assert (await explicit.auth.me()).email == email
        # A token the server no longer accepts is replaced by a fresh login, transparently.
        explicit._transport.credentials.token = "not-a-valid-token"
        assert (await explicit.auth.me()).email == email
