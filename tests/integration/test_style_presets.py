"""``ivk.style_presets`` on the real server: CRUD with pictures, and a CSV/JSON import-export round trip."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from invokeai_sdk import AsyncInvokeAI, BadRequestError, NotFoundError, ValidationError


def png(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
async def presets(ivk: AsyncInvokeAI) -> AsyncIterator[AsyncInvokeAI]:
    """The session; every user preset is deleted afterwards (the shared cleanup does not know presets)."""
    yield ivk
    for preset in await ivk.style_presets.list():
        if preset.type == "user":
            await ivk.style_presets.delete(preset)


async def test_create_get_update_delete_with_picture(presets: AsyncInvokeAI) -> None:
    ivk = presets
    name = f"sdk-{uuid.uuid4().hex[:8]}"
    created = await ivk.style_presets.create(
        name, "{prompt}, oil painting", "blurry", image=png((200, 10, 10))
    )
    assert created.name == name and created.type == "user"
    assert created.positive_prompt == "{prompt}, oil painting" and created.negative_prompt == "blurry"
    assert created.image  # the server answers the picture's URL
    assert Image.open(io.BytesIO(await ivk.style_presets.image(created))).size == (16, 16)

    fetched = await ivk.style_presets.get(created.id)
    assert fetched.id == created.id and fetched.preset_data == created.preset_data
    assert created.id in {p.id for p in await ivk.style_presets.list()}
    assert any(p.type == "default" for p in await ivk.style_presets.list())  # the shipped catalog

    # Only the name changes: prompts and the picture are kept (the server alone would drop the picture).
    renamed = await ivk.style_presets.update(created, name=name + "-2")
    assert renamed.name == name + "-2" and renamed.positive_prompt == "{prompt}, oil painting"
    assert renamed.image
    kept = Image.open(io.BytesIO(await ivk.style_presets.image(renamed.id)))
    red, green, blue = kept.convert("RGB").getpixel((0, 0))  # type: ignore[misc]  # lossy WebP: close, not equal
    assert kept.size == (16, 16) and red > 190 and green < 20 and blue < 20

    no_picture = await ivk.style_presets.update(created.id, negative_prompt="", image=None)
    assert no_picture.image is None and no_picture.negative_prompt == ""
    with pytest.raises(NotFoundError, match="picture"):
        await ivk.style_presets.image(created.id)

    await ivk.style_presets.delete(created.id)
    with pytest.raises(NotFoundError):
        await ivk.style_presets.get(created.id)


async def test_bad_input_is_refused_before_or_by_the_server(presets: AsyncInvokeAI) -> None:
    ivk = presets
    with pytest.raises(ValidationError, match="name"):
        await ivk.style_presets.create("  ", "x")
    with pytest.raises(ValidationError, match="not an image"):
        await ivk.style_presets.create("x", "y", image=b"not an image")
    with pytest.raises(ValidationError, match="CSV or JSON"):
        await ivk.style_presets.import_presets(b"name\nx\n", format="xml")
    with pytest.raises(BadRequestError, match="Invalid CSV"):
        await ivk.style_presets.import_presets(b"wrong,columns\n,\n", format="csv")


async def test_export_import_round_trip(presets: AsyncInvokeAI, tmp_path: Path) -> None:
    ivk = presets
    tag = uuid.uuid4().hex[:8]
    await ivk.style_presets.create(f"a-{tag}", "{prompt}, watercolor", "photo")
    await ivk.style_presets.create(f"b-{tag}", "neon {prompt}", "")
    exported = await ivk.style_presets.export()
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert {(r["name"], r["prompt"], r["negative_prompt"]) for r in rows} >= {
        (f"a-{tag}", "{prompt}, watercolor", "photo"),
        (f"b-{tag}", "neon {prompt}", ""),
    }

    for preset in await ivk.style_presets.list():
        if preset.type == "user":
            await ivk.style_presets.delete(preset)
    path = tmp_path / "presets.csv"
    path.write_text(exported, encoding="utf-8")
    await ivk.style_presets.import_presets(path)
    users = {
        (p.name, p.positive_prompt, p.negative_prompt)
        for p in await ivk.style_presets.list()
        if p.type == "user"
    }
    assert users == {(f"a-{tag}", "{prompt}, watercolor", "photo"), (f"b-{tag}", "neon {prompt}", "")}

    await ivk.style_presets.import_presets(
        [{"name": f"c-{tag}", "prompt": "{prompt} sketch", "negative_prompt": "color"}]
    )
    assert f"c-{tag}" in {p.name for p in await ivk.style_presets.list()}
