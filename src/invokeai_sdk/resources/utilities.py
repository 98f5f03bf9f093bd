"""``ivk.utilities``: dynamic prompts, LLM prompt expansion, image-to-prompt, user fonts."""

from __future__ import annotations

import builtins

from .._errors import ValidationError
from .._resource import AsyncAPIResource
from .._types import NOT_GIVEN, TimeoutArg
from ..types.utilities import DynamicPrompts, ExpandedPrompt, ImagePrompt, UserFont, UserFontsList

__all__ = ["UtilitiesResource"]

_PREFIX = "/api/v1/utilities"
MAX_DYNAMIC_PROMPTS = 10000


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{what} must be a non-empty string, got {value!r}.")
    return value


class UtilitiesResource(AsyncAPIResource):
    """Server-side prompt tools. Expansion and image-to-prompt run a model installed on the server.

    They report progress as ``llm_task_*`` events when given a ``task_id``
    (``ivk.events.subscribe(types=["llm_task_progress", ...])``).
    """

    async def dynamic_prompts(
        self,
        prompt: str,
        *,
        max_prompts: int = 1000,
        combinatorial: bool = True,
        seed: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> DynamicPrompts:
        """Expand a dynamic-prompt template (``a {red|blue} car`` gives two prompts).

        ``combinatorial=False`` draws ``max_prompts`` random variants (``seed`` makes them repeatable).
        A template the server cannot parse comes back unexpanded with the reason in ``error``.
        """
        if not isinstance(prompt, str):
            raise ValidationError(f"prompt must be a string, got {type(prompt).__name__}.")
        if isinstance(max_prompts, bool) or not 1 <= int(max_prompts) <= MAX_DYNAMIC_PROMPTS:
            raise ValidationError(f"max_prompts must be 1 to {MAX_DYNAMIC_PROMPTS}, got {max_prompts!r}.")
        body = {
            "prompt": prompt,
            "max_prompts": int(max_prompts),
            "combinatorial": bool(combinatorial),
            "seed": seed,
        }
        return await self._parsed(
            DynamicPrompts, "POST", f"{_PREFIX}/dynamicprompts", json=body, timeout=timeout
        )

    async def expand_prompt(
        self,
        prompt: str,
        model_key: str,
        *,
        max_tokens: int = 300,
        system_prompt: str | None = None,
        seed: int | None = None,
        task_id: str | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> ExpandedPrompt:
        """Expand a short prompt into a detailed one with the text LLM ``model_key`` installed on the server.

        :class:`NotFoundError` when there is no such model; :class:`UnprocessableEntityError` when it is
        not a text LLM.
        """
        await self._require("expand_prompt")
        if isinstance(max_tokens, bool) or not 1 <= int(max_tokens) <= 2048:
            raise ValidationError(f"max_tokens must be 1 to 2048, got {max_tokens!r}.")
        body = {
            "prompt": _text(prompt, "prompt"),
            "model_key": _text(model_key, "model_key"),
            "max_tokens": int(max_tokens),
            "system_prompt": system_prompt,
            "seed": seed,
            "task_id": task_id,
        }
        return await self._parsed(
            ExpandedPrompt, "POST", f"{_PREFIX}/expand-prompt", json=body, timeout=timeout, max_retries=0
        )

    async def image_to_prompt(
        self,
        image_name: str,
        model_key: str,
        *,
        instruction: str | None = None,
        task_id: str | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> ImagePrompt:
        """Describe a gallery image as a prompt with the vision-language model ``model_key`` (LLaVA).

        :class:`NotFoundError` when the model or the image is missing.
        """
        await self._require("image_to_prompt")
        body: dict[str, object] = {
            "image_name": _text(image_name, "image_name"),
            "model_key": _text(model_key, "model_key"),
            "task_id": task_id,
        }
        if instruction is not None:
            body["instruction"] = _text(instruction, "instruction")
        return await self._parsed(
            ImagePrompt, "POST", f"{_PREFIX}/image-to-prompt", json=body, timeout=timeout, max_retries=0
        )

    async def fonts(self, *, timeout: TimeoutArg = NOT_GIVEN) -> builtins.list[UserFont]:
        """The font families in the server's fonts folder (for the canvas text tool)."""
        await self._require("fonts")
        return (await self._parsed(UserFontsList, "GET", f"{_PREFIX}/fonts", timeout=timeout)).fonts

    async def font_file(self, path: str, *, timeout: TimeoutArg = NOT_GIVEN) -> bytes:
        """The bytes of one font file, by the ``path`` a :class:`UserFontFace` gives."""
        await self._require("fonts")
        from .._transport import segment

        parts = _text(path, "path").split("/")
        if any(p in ("", ".", "..") for p in parts):
            raise ValidationError(f"A font path is relative to the fonts folder, got {path!r}.")
        encoded = "/".join(segment(p) for p in parts)
        response = await self._request("GET", f"{_PREFIX}/fonts/{encoded}", timeout=timeout)
        return response.content
