"""``ivk.workflows`` against the real server: generators, shipped text-to-image workflows, model binding,
workflows embedded in images, outputs by label, and run() from a path or a library id."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from invokeai_sdk import AsyncInvokeAI, WorkflowError, WorkflowInputError
from invokeai_sdk.jobs import BatchHandle, JobHandle
from invokeai_sdk.workflows import WorkflowDocument

from .test_models import write_safetensors

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "workflows"
GENERATORS = ROOT / "tests" / "fixtures" / "workflows" / "generators-v4.json"


def _png(width: int, color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, 40), color).save(buffer, format="PNG")
    return buffer.getvalue()


def _placeholder(wf: WorkflowDocument, node_id: str, field: str) -> dict[str, Any]:
    """A well-formed identifier of the right base and type for a model field (no weights needed)."""
    spec = wf.field_spec(node_id, field)
    assert spec is not None and spec.kind == "model"
    base = (spec.raw.get("ui_model_base") or ["any"])[0]
    kind = (spec.raw.get("ui_model_type") or ["main"])[0]
    return {"key": f"placeholder-{field}", "hash": "blake3:0", "name": field, "base": base, "type": kind}


async def test_generators_expand_into_batch_items_on_the_real_server(ivk: AsyncInvokeAI) -> None:
    source = await ivk.boards.create("wf-generator-source")
    out = await ivk.boards.create("wf-generator-out")
    uploaded = {(await ivk.images.upload(_png(w, (10, w, 90)), board=source)).image_name for w in (50, 70)}
    wf = await ivk.workflows.load(GENERATORS)
    wf.inputs["Images"] = {
        "type": "image_generator_images_from_board",
        "board_id": source.board_id,
        "category": "images",
    }
    batch = await ivk.workflows.build_batch(wf, board=out)
    assert {i["image_name"] for i in batch["data"][0][0]["items"]} == uploaded
    assert batch["data"][1] == [
        {"node_path": "note", "field_name": "value", "items": ["a red fox", "a blue fox"]}
    ]
    run = await ivk.workflows.run(wf, board=out)
    assert len(run) == 2 * 2 * 2  # board images x prompts x (widths zipped with radii)
    await run.wait(wait_timeout=120)
    seen = set()
    for job, item in zip(run, await run.results(), strict=True):
        values = {(v["node_path"], v["field_name"]): v["value"] for v in item.field_values or []}
        result = (await job.outputs())["Result"][0]
        assert result["width"] == values["resize", "width"] and result["height"] == 24
        seen.add(
            (
                values["resize", "image"]["image_name"],
                values["note", "value"],
                values["resize", "width"],
                values["blur", "radius"],
            )
        )
    assert seen == {
        (name, prompt, width, radius)
        for name in uploaded
        for prompt in ("a red fox", "a blue fox")
        for width, radius in ((32, 1.0), (48, 2.5))
    }
    assert len(await ivk.boards.image_names(out)) == 8
    random_prompts = {"type": "string_generator_dynamic_prompts_random", "input": "{a|b|c} {x|y}", "count": 5}
    first = await ivk.workflows.expand_generator({**random_prompts, "seed": 3})
    assert first == await ivk.workflows.expand_generator({**random_prompts, "seed": 3}) and len(first) == 5
    assert set(first) <= {f"{a} {b}" for a in "abc" for b in "xy"}
    with pytest.raises(WorkflowError, match="no board_id"):
        await ivk.workflows.expand_generator({"type": "image_generator_images_from_board"})


@pytest.mark.parametrize(
    ("file", "labels"),
    [
        (
            "sdxl-text-to-image.json",
            [
                "Model",
                "Prompt",
                "Negative Prompt",
                "Seed",
                "Width",
                "Height",
                "Steps",
                "CFG Scale",
                "Scheduler",
                "Board",
            ],
        ),
        (
            "flux-text-to-image.json",
            [
                "Model",
                "T5 Encoder",
                "CLIP Embed",
                "VAE",
                "Prompt",
                "Seed",
                "Width",
                "Height",
                "Steps",
                "Guidance",
                "Board",
            ],
        ),
    ],
)
async def test_text_to_image_workflows_load_type_and_are_accepted(
    ivk: AsyncInvokeAI, file: str, labels: list[str]
) -> None:
    wf = await ivk.workflows.load(SHIPPED / file)
    assert [i.label for i in wf.inputs] == labels and not wf.unknown_node_types
    assert wf.inputs.find("Model").kind == "model" and wf.inputs.find("Seed").kind == "integer"
    assert wf.inputs.find("Prompt").kind == "string" and wf.inputs.find("Board").kind == "board"
    assert [o.label for o in wf.outputs] == ["Output"]
    with pytest.raises(WorkflowInputError, match=r"must be greater than 0|expected an integer"):
        wf.inputs["Steps"] = 0 if file.startswith("sdxl") else "many"
    for item in wf.inputs:
        if item.kind == "model":
            wf.inputs[item.index] = _placeholder(wf, item.node_id, item.field_name)
    wf.set(Prompt="a red barn in snow", Seed=1234, Width=768, Height=512)
    await ivk.queue.pause()
    try:
        run = await ivk.workflows.run(wf, sweep={"Seed": [1, 2]})  # no 422: the server takes the graph
        assert len(run) == 2
        items = await run.results()
        assert {i.status for i in items} == {"pending"}
        graph = items[0].session["graph"]["nodes"]
        prompt_node = "positive" if file.startswith("sdxl") else "prompt"
        assert graph[prompt_node]["prompt"] == "a red barn in snow"
        assert graph["model"]["model"]["key"] == "placeholder-model"
    finally:
        await ivk.queue.clear()
        await ivk.queue.resume()


async def test_bind_models_by_hash_then_name_then_base_and_type(ivk: AsyncInvokeAI, tmp_path: Path) -> None:
    source = write_safetensors(tmp_path / "tiny-model.safetensors")
    model = (await (await ivk.models.install(str(source), inplace=True)).wait(wait_timeout=60)).model
    assert model is not None and model.hash
    raw = json.loads((SHIPPED / "sdxl-text-to-image.json").read_text())
    field = raw["nodes"][0]["data"]["inputs"]["model"]
    stale_name = {"key": "gone", "hash": "blake3:other", "name": "tiny-model", "base": "sdxl", "type": "main"}
    # The server classifies the tiny file as unknown/unknown: the SDXL main-model field does not take
    # it by name (only a hash match, the very same file, ignores the field's constraints).
    field["value"] = stale_name
    with pytest.raises(WorkflowInputError, match=r"model\.model \('tiny-model'.*the field takes base sdxl"):
        await ivk.workflows.bind_models(await ivk.workflows.load(raw))
    # The server will not reclassify the file (409), so the name and base+type matches of fitting
    # models are covered by the unit tests; the hash match works here.
    expected = {
        "key": model.key,
        "hash": model.hash,
        "name": "tiny-model",
        "base": "unknown",
        "type": "unknown",
    }
    stale = {"key": "gone", "hash": model.hash, "name": "renamed", "base": "sdxl", "type": "main"}
    field["value"] = stale
    wf = await ivk.workflows.load(raw)
    changes = await ivk.workflows.bind_models(wf)
    assert [(c.node_id, c.field_name, c.matched_by) for c in changes] == [("model", "model", "hash")]
    assert changes[0].before == stale and dict(changes[0].after) == expected
    assert wf.inputs["Model"] == expected
    assert await ivk.workflows.bind_models(wf) == []  # bound already: nothing to change
    field["value"] = None  # unset and required: no installed model is an SDXL main model
    unset = await ivk.workflows.load(raw)
    with pytest.raises(WorkflowInputError, match=r"model\.model \(unset; no installed model fits base sdxl"):
        await ivk.workflows.bind_models(unset)
    flux = await ivk.workflows.load(SHIPPED / "flux-text-to-image.json")
    for item in flux.inputs:
        if item.kind == "model":
            flux.inputs[item.index] = _placeholder(flux, item.node_id, item.field_name)
    before = flux.to_dict()
    with pytest.raises(WorkflowInputError, match="no installed model fits") as caught:
        await ivk.workflows.bind_models(flux)
    for name in ("model.model", "model.t5_encoder_model", "model.clip_embed_model", "model.vae_model"):
        assert name in str(caught.value)
    assert flux.to_dict() == before  # nothing changed


async def test_workflow_embedded_in_an_output_image_loads_back(ivk: AsyncInvokeAI) -> None:
    wf = await ivk.workflows.load(SHIPPED / "blur-to-board.json")
    wf.set(Width=72, Height=40)
    wf.inputs["Blur Type"] = "box"
    run = await ivk.workflows.run(wf, board="none")
    await run.wait(wait_timeout=60)
    outputs = (await run.outputs())[0]
    [image_name] = outputs.images("Output")
    loaded = await ivk.workflows.from_image(image_name)
    assert loaded.name == wf.name and loaded.schemas is not None
    assert (loaded.inputs["Width"], loaded.inputs["Height"], loaded.inputs["Blur Type"]) == (72, 40, "box")
    assert loaded.inputs.find("Blur Type").kind == "enum"
    again = await ivk.workflows.run(loaded, board="none")
    await again.wait(wait_timeout=60)
    image = await ivk.images.get((await again[0].outputs()).images("save")[0])
    assert (image.width, image.height) == (72, 40)
    plain = await ivk.images.upload(_png(30, (1, 2, 3)))
    with pytest.raises(WorkflowError, match="carries no workflow"):
        await ivk.workflows.from_image(plain.image_name)


async def test_outputs_are_keyed_by_node_id_and_reachable_by_label(ivk: AsyncInvokeAI) -> None:
    raw = json.loads((SHIPPED / "blur-to-board.json").read_text())
    for node in raw["nodes"]:
        if node["id"] in ("canvas", "blur"):
            node["data"]["label"] = "Step"
    run = await ivk.workflows.run(raw, board="none")
    assert isinstance(run, BatchHandle) and all(isinstance(job, JobHandle) for job in run)  # no wrapper
    assert run.labels == run[0].labels == {"Step": ["canvas", "blur"], "Output": ["save"]}
    assert run.document.name == raw["name"]
    await run.wait(wait_timeout=60)
    outputs = await run[0].outputs()
    assert set(outputs) == {"canvas", "blur", "save"}
    assert isinstance(outputs, dict) and json.loads(json.dumps(outputs)) == dict(outputs)
    (from_batch,) = await run.outputs()  # read through the batch (one request for every item)
    assert set(from_batch) == set(outputs) and from_batch.images("output") == outputs.images("save")
    assert outputs["Output"] is outputs["save"] and "Output" in outputs and "output" in outputs
    assert outputs.labels == {"Step": ["canvas", "blur"], "Output": ["save"]}
    assert outputs.images("Output") == await run[0].images()
    with pytest.raises(WorkflowError, match="'Step' names several nodes: 'canvas', 'blur'"):
        outputs["Step"]
    with pytest.raises(KeyError, match="no output node"):
        outputs["Nope"]
    assert outputs["blur"][0]["image"]["image_name"]


async def test_run_from_a_file_path_and_from_a_library_id(ivk: AsyncInvokeAI) -> None:
    from_path = await ivk.workflows.run(str(SHIPPED / "blur-to-board.json"), board="none")
    created = await ivk.workflows.create(WorkflowDocument.load(SHIPPED / "blur-to-board.json").set(Width=40))
    from_id = await ivk.workflows.run(created.workflow_id, board="none", runs=2)
    assert len(from_path) == 1 and len(from_id) == 2 and from_id.document.id == created.workflow_id
    assert await from_path.wait(wait_timeout=60) == ["completed"]
    assert await from_id.wait(wait_timeout=60) == ["completed", "completed"]
    default_width = WorkflowDocument.load(SHIPPED / "blur-to-board.json").inputs["Width"]
    widths = [(await ivk.images.get(o.images("Output")[0])).width for o in await from_id.outputs()]
    first = await ivk.images.get((await from_path.outputs())[0].images("Output")[0])
    assert widths == [40, 40] and first.width == default_width != 40
