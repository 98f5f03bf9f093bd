"""Types of the ``ivk.style_presets`` namespace (prompt templates)."""

from __future__ import annotations

from typing import Literal, TypeAlias

from pydantic import Field

from .._models import ResponseModel

__all__ = ["PresetData", "StylePreset", "StylePresetType"]

StylePresetType: TypeAlias = Literal["user", "default"]
"""``user`` presets are made by users; ``default`` ones ship with InvokeAI (only admins change them)."""


class PresetData(ResponseModel):
    """The prompts of a preset; ``{prompt}`` in them stands for the prompt the user types."""

    positive_prompt: str = ""
    negative_prompt: str = ""


class StylePreset(ResponseModel):
    """A style preset (a saved prompt template) with the URL of its preview image, if it has one."""

    id: str
    name: str
    preset_data: PresetData = Field(default_factory=PresetData)
    type: str = "user"
    is_public: bool = False
    user_id: str | None = None
    image: str | None = None

    @property
    def positive_prompt(self) -> str:
        """The positive prompt template."""
        return self.preset_data.positive_prompt

    @property
    def negative_prompt(self) -> str:
        """The negative prompt template."""
        return self.preset_data.negative_prompt
