"""``ivk.client_state`` and ``ivk.recall`` against the real server."""

from __future__ import annotations

import json
import uuid

import pytest

from invokeai_sdk import AsyncInvokeAI, InvokeAI, ValidationError

from ..conftest import ServerInfo


async def test_set_get_keys_delete_and_clear(ivk: AsyncInvokeAI) -> None:
    prefix = f"sdk-{uuid.uuid4().hex[:8]}:"
    try:
        assert await ivk.client_state.get(prefix + "missing") is None
        stored = await ivk.client_state.set(prefix + "a", json.dumps({"zoom": 2}))
        assert json.loads(stored) == {"zoom": 2}
        await ivk.client_state.set(prefix + "b", "plain text")
        assert await ivk.client_state.get(prefix + "b") == "plain text"
        assert sorted(await ivk.client_state.keys(prefix)) == [prefix + "a", prefix + "b"]

        await ivk.client_state.set(prefix + "b", "replaced")
        assert await ivk.client_state.get(prefix + "b") == "replaced"
        await ivk.client_state.delete(prefix + "a")
        assert await ivk.client_state.keys(prefix) == [prefix + "b"]
        await ivk.client_state.delete(prefix + "a")  # deleting twice is fine
    finally:
        await ivk.client_state.clear()
    assert await ivk.client_state.keys("") == []

    with pytest.raises(ValidationError, match=r"json\.dumps"):
        await ivk.client_state.set(prefix + "c", {"not": "a string"})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="key"):
        await ivk.client_state.get("")


async def test_recall_stores_parameters_for_the_gui(ivk: AsyncInvokeAI) -> None:
    try:
        result = await ivk.recall.set({"positive_prompt": "a lighthouse"}, steps=12, seed=5)
        assert result["status"] == "success" and result["updated_count"] == 3
        assert result["parameters"] == {"positive_prompt": "a lighthouse", "steps": 12, "seed": 5}
        # The parameters are kept in the user's client state, where the GUI reads them.
        assert json.loads(await ivk.client_state.get("recall_positive_prompt") or "null") == "a lighthouse"
        assert json.loads(await ivk.client_state.get("recall_steps") or "null") == 12

        cleared = await ivk.recall.set(positive_prompt="only this", strict=True)
        assert cleared["parameters"]["positive_prompt"] == "only this"
        assert cleared["parameters"]["steps"] is None and cleared["parameters"]["loras"] == []

        assert (await ivk.recall.get())["status"] == "success"
    finally:
        await ivk.client_state.clear()

    with pytest.raises(ValidationError, match="exclude"):
        await ivk.recall.set(steps=1, strict=True, append=True)
    with pytest.raises(ValidationError, match="at least one"):
        await ivk.recall.set()


def test_the_sync_facade_has_the_new_namespaces(clean: ServerInfo) -> None:
    with InvokeAI(clean.base_url) as client:
        try:
            assert client.client_state.set("sdk-sync", "1") == "1"
            assert client.client_state.get("sdk-sync") == "1"
        finally:
            client.client_state.clear()
        assert client.utilities.dynamic_prompts("{a|b}").prompts == ["a", "b"]
        assert any(p.type == "default" for p in client.style_presets.list())
        assert client.gallery.names().total_count == 0
        assert client.models.relationships.list("no-such-key") == []
        assert client.custom_nodes.list().node_packs == []
