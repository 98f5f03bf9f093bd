"""Types of the ``ivk.system_prompts`` namespace (system prompts of the prompt-expansion LLM)."""

from __future__ import annotations

from .._models import ResponseModel

__all__ = ["SystemPrompt"]


class SystemPrompt(ResponseModel):
    """A saved system prompt for the text LLM that expands prompts."""

    id: str
    name: str
    content: str
    user_id: str | None = None
    is_public: bool = False
    created_at: str | None = None
    updated_at: str | None = None
