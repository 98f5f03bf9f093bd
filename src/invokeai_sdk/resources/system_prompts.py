"""``ivk.system_prompts``: saved system prompts for the prompt-expansion LLM."""

from __future__ import annotations

import builtins
from typing import Any

from .._errors import ValidationError
from .._resource import AsyncAPIResource
from .._types import NOT_GIVEN, TimeoutArg
from ..types.system_prompts import SystemPrompt
from ._paths import id_path

__all__ = ["SystemPromptsResource"]

_PREFIX = "/api/v1/system_prompts"


def _prompt_path(prompt_id: str | SystemPrompt) -> str:
    value = prompt_id.id if isinstance(prompt_id, SystemPrompt) else prompt_id
    return id_path(f"{_PREFIX}/i", value, "system prompt id")


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"A system prompt's {what} must be a non-empty string, got {value!r}.")
    return value


class SystemPromptsResource(AsyncAPIResource):
    """System prompts the GUI offers for ``ivk.utilities.expand_prompt(..., system_prompt=...)``."""

    async def list(self, *, timeout: TimeoutArg = NOT_GIVEN) -> builtins.list[SystemPrompt]:
        """The prompts this user can see (their own and public ones)."""
        await self._require("system_prompts")
        return await self._parsed(builtins.list[SystemPrompt], "GET", f"{_PREFIX}/", timeout=timeout)

    async def get(self, prompt_id: str | SystemPrompt, *, timeout: TimeoutArg = NOT_GIVEN) -> SystemPrompt:
        """One prompt; :class:`NotFoundError` when there is none with this id."""
        await self._require("system_prompts")
        return await self._parsed(SystemPrompt, "GET", _prompt_path(prompt_id), timeout=timeout)

    async def create(self, name: str, content: str, *, timeout: TimeoutArg = NOT_GIVEN) -> SystemPrompt:
        """Save a system prompt (private on multi-user servers, shared on single-user ones)."""
        await self._require("system_prompts")
        body = {"name": _text(name, "name"), "content": _text(content, "content")}
        return await self._parsed(
            SystemPrompt, "POST", f"{_PREFIX}/", json=body, timeout=timeout, max_retries=0
        )

    async def update(
        self,
        prompt_id: str | SystemPrompt,
        *,
        name: str | None = None,
        content: str | None = None,
        is_public: bool | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> SystemPrompt:
        """Change the fields given (owner or admin)."""
        await self._require("system_prompts")
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = _text(name, "name")
        if content is not None:
            body["content"] = _text(content, "content")
        if is_public is not None:
            body["is_public"] = bool(is_public)
        if not body:
            raise ValidationError("Give at least one of name, content, is_public to update.")
        return await self._parsed(SystemPrompt, "PATCH", _prompt_path(prompt_id), json=body, timeout=timeout)

    async def delete(self, prompt_id: str | SystemPrompt, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Delete a prompt (owner or admin)."""
        await self._require("system_prompts")
        await self._request("DELETE", _prompt_path(prompt_id), timeout=timeout)
