"""A server that cannot be reached is named in the error: method and full URL (a real closed port)."""

from __future__ import annotations

import socket

import pytest

from invokeai_sdk import APIConnectionError, AsyncInvokeAI


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_connection_refused_names_method_and_url() -> None:
    port = _closed_port()
    async with AsyncInvokeAI(f"http://127.0.0.1:{port}/invoke", max_retries=0) as ivk:
        with pytest.raises(APIConnectionError) as caught:
            await ivk.app.version()
    message = str(caught.value)
    assert f"GET http://127.0.0.1:{port}/invoke/api/v1/app/version" in message
    assert caught.value.request is not None


async def test_secret_query_values_stay_masked_in_the_message() -> None:
    port = _closed_port()
    async with AsyncInvokeAI(f"http://127.0.0.1:{port}", token="s3cret-token", max_retries=0) as ivk:
        with pytest.raises(APIConnectionError) as caught:
            await ivk.images.list(limit=1)
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert "s3cret-token" not in str(caught.value)
