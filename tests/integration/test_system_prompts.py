"""``ivk.system_prompts`` against the real server."""

from __future__ import annotations

import uuid

import pytest

from invokeai_sdk import AsyncInvokeAI, NotFoundError, ValidationError


async def test_create_get_list_update_delete(ivk: AsyncInvokeAI) -> None:
    name = f"sdk-{uuid.uuid4().hex[:8]}"
    created = await ivk.system_prompts.create(name, "You write vivid prompts.")
    try:
        assert created.name == name and created.content == "You write vivid prompts."
        assert created.is_public  # single-user servers share every prompt
        assert (await ivk.system_prompts.get(created.id)).content == created.content
        assert created.id in {p.id for p in await ivk.system_prompts.list()}

        updated = await ivk.system_prompts.update(created, content="Be terse.", is_public=False)
        assert updated.content == "Be terse." and updated.name == name and not updated.is_public
    finally:
        await ivk.system_prompts.delete(created.id)
    with pytest.raises(NotFoundError):
        await ivk.system_prompts.get(created.id)
    with pytest.raises(NotFoundError):
        await ivk.system_prompts.delete(created.id)


async def test_bad_input(ivk: AsyncInvokeAI) -> None:
    with pytest.raises(ValidationError, match="content"):
        await ivk.system_prompts.create("name", "")
    with pytest.raises(ValidationError, match="at least one"):
        await ivk.system_prompts.update("some-id")
    with pytest.raises(NotFoundError):
        await ivk.system_prompts.update("no-such-prompt", name="x")
