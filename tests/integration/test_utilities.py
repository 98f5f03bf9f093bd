"""``ivk.utilities`` against the real server (no LLM is installed here: expansion ends at its typed error)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from PIL import Image

from invokeai_sdk import AsyncInvokeAI, NotFoundError, ValidationError

from ..conftest import invokeai_server


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


async def test_fonts_listed_and_fetched(ivk: AsyncInvokeAI) -> None:
    # The test server runs here: its root is the parent of its nodes folder. InvokeAI ships Inter.
    root = Path((await ivk.custom_nodes.list()).custom_nodes_path).parent
    shipped = sorted(
        invokeai_server.venv_dir().glob("lib/python3*/site-packages/invokeai/assets/fonts/*/*.ttf")
    )
    assert shipped, "the server install ships its Inter font"
    fonts_dir = root / "fonts"
    try:
        assert await ivk.utilities.fonts() == []
        fonts_dir.mkdir(exist_ok=True)
        shutil.copy(shipped[0], fonts_dir / "Inter-Regular.ttf")
        fonts = await ivk.utilities.fonts()
        assert [f.family for f in fonts] == ["Inter"] and fonts[0].faces
        face = fonts[0].faces[0]
        assert face.path == "Inter-Regular.ttf" and face.weight == 400 and face.style == "normal"
        assert await ivk.utilities.font_file(face.path) == shipped[0].read_bytes()
    finally:
        (fonts_dir / "Inter-Regular.ttf").unlink(missing_ok=True)
    with pytest.raises(NotFoundError, match="Font file not found"):
        await ivk.utilities.font_file("missing.ttf")
    with pytest.raises(ValidationError, match="relative"):
        await ivk.utilities.font_file("../etc/passwd")
