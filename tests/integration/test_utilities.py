"""``ivk.utilities`` against the real server (no LLM is installed here: expansion ends at its typed error)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from invokeai_sdk import AsyncInvokeAI, NotFoundError, ValidationError


async def test_dynamic_prompts_combinatorial_random_and_parse_errors(ivk: AsyncInvokeAI) -> None:
    expanded = await ivk.utilities.dynamic_prompts("a {red|blue} {car|boat}")
    assert sorted(expanded.prompts) == ["a blue boat", "a blue car", "a red boat", "a red car"]
    assert expanded.error is None

    capped = await ivk.utilities.dynamic_prompts("a {red|blue} {car|boat}", max_prompts=2)
    assert len(capped.prompts) == 2

    first = await ivk.utilities.dynamic_prompts("{x|y|z}", combinatorial=False, max_prompts=5, seed=7)
    again = await ivk.utilities.dynamic_prompts("{x|y|z}", combinatorial=False, max_prompts=5, seed=7)
    assert first.prompts == again.prompts and len(first.prompts) == 5
    assert set(first.prompts) <= {"x", "y", "z"}

    broken = await ivk.utilities.dynamic_prompts("a {red|blue car")
    assert broken.prompts == ["a {red|blue car"] and broken.error  # unexpanded, with the parser's reason

    with pytest.raises(ValidationError, match="max_prompts"):
        await ivk.utilities.dynamic_prompts("x", max_prompts=0)


async def test_expand_prompt_reaches_the_model_lookup(ivk: AsyncInvokeAI) -> None:
    # The request is accepted and fails only where the model is needed (no LLM on the test server).
    with pytest.raises(NotFoundError, match="Model 'no-such-llm' not found"):
        await ivk.utilities.expand_prompt("a cat", "no-such-llm", max_tokens=64, seed=1, task_id="t1")
    with pytest.raises(ValidationError, match="max_tokens"):
        await ivk.utilities.expand_prompt("a cat", "k", max_tokens=0)


async def test_image_to_prompt_reaches_the_model_lookup(ivk: AsyncInvokeAI) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(buffer, format="PNG")
    image = await ivk.images.upload(buffer.getvalue())
    with pytest.raises(NotFoundError, match="Model 'no-such-vlm' not found"):
        await ivk.utilities.image_to_prompt(image.image_name, "no-such-vlm", instruction="Describe it.")


async def test_fonts_of_a_server_without_a_fonts_folder(ivk: AsyncInvokeAI) -> None:
    assert await ivk.utilities.fonts() == []
    with pytest.raises(NotFoundError, match="Font file not found"):
        await ivk.utilities.font_file("missing.ttf")
    with pytest.raises(ValidationError, match="relative"):
        await ivk.utilities.font_file("../etc/passwd")
