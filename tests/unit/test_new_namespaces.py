"""Reply shapes that need a model on the server (respx), and feature detection of the newer namespaces."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import respx

from invokeai_sdk import AsyncInvokeAI, FeatureNotSupportedError
from invokeai_sdk.types.utilities import ExpandedPrompt, ImagePrompt

from ._fakes import openapi

BASE = "http://invoke.test"


@pytest.fixture
async def llm_server() -> AsyncIterator[tuple[AsyncInvokeAI, respx.MockRouter]]:
    # A server with a text LLM and a LLaVA model installed: the test server has neither, so the reply
    # shapes are proven here; tests/integration/test_utilities.py proves the requests up to the model lookup.
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.get("/openapi.json").mock(
            return_value=httpx.Response(200, json=openapi("expand_prompt", "image_to_prompt"))
        )
        mock.get("/api/v1/app/version").mock(return_value=httpx.Response(200, json={"version": "6.14.2"}))
        async with AsyncInvokeAI(BASE, max_retries=0) as ivk:
            yield ivk, mock


async def test_expand_prompt_reply_and_request(llm_server: tuple[AsyncInvokeAI, respx.MockRouter]) -> None:
    ivk, mock = llm_server
    route = mock.post("/api/v1/utilities/expand-prompt").mock(
        return_value=httpx.Response(200, json={"expanded_prompt": "a fluffy cat, golden hour", "seed": 42})
    )
    reply = await ivk.utilities.expand_prompt("a cat", "llm-key", max_tokens=64, seed=42, task_id="t-1")
    assert isinstance(reply, ExpandedPrompt)
    assert reply.expanded_prompt == "a fluffy cat, golden hour" and reply.seed == 42 and reply.error is None
    body = json.loads(route.calls.last.request.content)
    assert body == {
        "prompt": "a cat",
        "model_key": "llm-key",
        "max_tokens": 64,
        "system_prompt": None,
        "seed": 42,
        "task_id": "t-1",
    }
    assert route.call_count == 1  # not retried: the LLM run is not repeated on a transient failure


async def test_image_to_prompt_reply_and_request(llm_server: tuple[AsyncInvokeAI, respx.MockRouter]) -> None:
    ivk, mock = llm_server
    route = mock.post("/api/v1/utilities/image-to-prompt").mock(
        return_value=httpx.Response(200, json={"prompt": "a red square on white", "future_field": 1})
    )
    reply = await ivk.utilities.image_to_prompt("img.png", "llava-key")
    assert isinstance(reply, ImagePrompt) and reply.prompt == "a red square on white"
    assert reply.model_extra == {"future_field": 1}  # fields of newer servers are kept
    assert json.loads(route.calls.last.request.content) == {
        "image_name": "img.png",
        "model_key": "llava-key",
        "task_id": None,
    }


CALLS: dict[str, Callable[[AsyncInvokeAI], Awaitable[Any]]] = {
    "style_presets": lambda ivk: ivk.style_presets.list(),
    "expand_prompt": lambda ivk: ivk.utilities.expand_prompt("a", "k"),
    "image_to_prompt": lambda ivk: ivk.utilities.image_to_prompt("a.png", "k"),
    "fonts": lambda ivk: ivk.utilities.fonts(),
    "client_state": lambda ivk: ivk.client_state.get("k"),
    "client_state_keys": lambda ivk: ivk.client_state.keys("p"),
    "recall": lambda ivk: ivk.recall.set(steps=1),
    "system_prompts": lambda ivk: ivk.system_prompts.list(),
    "custom_nodes": lambda ivk: ivk.custom_nodes.list(),
    "gallery": lambda ivk: ivk.gallery.names(),
    "virtual_boards": lambda ivk: ivk.gallery.dates(),
    "image_moves": lambda ivk: ivk.image_moves.status(),
    "users": lambda ivk: ivk.auth.users.list(),
    "profile_update": lambda ivk: ivk.auth.update_me(display_name="x"),
    "generate_password": lambda ivk: ivk.auth.generate_password(),
    "runtime_config_update": lambda ivk: ivk.app.update_config(max_queue_history=1),
    "generation_devices": lambda ivk: ivk.app.generation_devices(),
    "external_providers": lambda ivk: ivk.app.external_providers(),
    "patchmatch": lambda ivk: ivk.app.patchmatch_available(),
    "model_relationships": lambda ivk: ivk.models.relationships.list("k"),
    "orphaned_models": lambda ivk: ivk.models.orphaned(),
    "model_bulk_reidentify": lambda ivk: ivk.models.reidentify_many(["k"]),
    "hf_repo_files": lambda ivk: ivk.models.hf.files("a/b"),
    "images_by_names": lambda ivk: ivk.images.get_many(["a.png"]),
    "workflow_sharing": lambda ivk: ivk.workflows.set_public("w", True),
}


@pytest.mark.parametrize("feature", sorted(CALLS))
async def test_older_servers_refuse_with_the_feature_name(feature: str) -> None:
    # A 6.13-like server: GET /app/runtime_config without PATCH, and none of the newer routes.
    old = {
        "openapi": "3.1.0",
        "paths": {"/api/v1/app/runtime_config": {"get": {}}, "/api/v1/images/": {"get": {}}},
    }
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.get("/openapi.json").mock(return_value=httpx.Response(200, json=old))
        mock.get("/api/v1/app/version").mock(return_value=httpx.Response(200, json={"version": "6.3.0"}))
        unexpected = mock.route(name="anything_else").mock(return_value=httpx.Response(500))
        async with AsyncInvokeAI(BASE, max_retries=0) as ivk:
            with pytest.raises(FeatureNotSupportedError) as raised:
                await CALLS[feature](ivk)
    assert raised.value.feature == feature and "6.3.0" in str(raised.value)
    assert not unexpected.called  # refused before anything was sent


def test_method_qualified_features_check_the_operation() -> None:
    from invokeai_sdk._features import ServerFeatures

    get_only = ServerFeatures({"paths": {"/api/v1/app/runtime_config": {"get": {}}}})
    assert get_only.supports("runtime_config") and not get_only.supports("runtime_config_update")
    both = ServerFeatures({"paths": {"/api/v1/app/runtime_config": {"get": {}, "patch": {}}}})
    assert both.supports("runtime_config_update")
