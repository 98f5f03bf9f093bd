"""Types of the ``ivk.utilities`` namespace: dynamic prompts, prompt expansion, fonts."""

from __future__ import annotations

from pydantic import Field

from .._models import ResponseModel

__all__ = ["DynamicPrompts", "ExpandedPrompt", "ImagePrompt", "UserFont", "UserFontFace", "UserFontsList"]


class DynamicPrompts(ResponseModel):
    """The prompts a dynamic-prompt template (``a {red|blue} car``) expands to.

    ``error`` is the server's parse error; the server then answers with the template unexpanded.
    """

    prompts: list[str] = Field(default_factory=list)
    error: str | None = None


class ExpandedPrompt(ResponseModel):
    """A prompt expanded by a text LLM on the server, and the seed it used."""

    expanded_prompt: str
    seed: int | None = None
    error: str | None = None


class ImagePrompt(ResponseModel):
    """A prompt describing an image, written by a vision-language model on the server."""

    prompt: str
    error: str | None = None


class UserFontFace(ResponseModel):
    """One face (weight and style) of a user font."""

    path: str
    url: str
    weight: int = 400
    style: str = "normal"


class UserFont(ResponseModel):
    """A font family found in the server's fonts folder (used by the canvas text tool)."""

    id: str
    family: str
    label: str = ""
    path: str = ""
    url: str = ""
    faces: list[UserFontFace] = Field(default_factory=list)


class UserFontsList(ResponseModel):
    """The server's answer listing user fonts."""

    fonts: list[UserFont] = Field(default_factory=list)
