"""``ivk.workflows`` and ``WorkflowDocument`` against the real server."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from invokeai_sdk import AsyncInvokeAI, BatchDataError, NotFoundError, WorkflowError, WorkflowInputError
from invokeai_sdk.jobs import JobHandle, outputs_of
from invokeai_sdk.types.queue import QueueItem
from invokeai_sdk.workflows import WorkflowDocument

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "workflows"
MODEL_FREE = ["blur-to-board.json", "resize-and-crop.json", "blur-sweep.json"]


async def _finished(job: JobHandle) -> QueueItem:
    """Wait for one queue item (it must complete) and return it with its session."""
    await job.wait(wait_timeout=60)
    return await job.result()


def _saved(item: QueueItem) -> dict[str, Any]:
    """The output of the workflow's ``save`` node."""
    return outputs_of(item)["save"][0]


def _fill_unset_models(wf: WorkflowDocument) -> None:
    """Give model fields left empty a well-formed identifier (no weights exist on the test server)."""
    for node in wf.to_dict()["nodes"]:
        if node["type"] != "invocation":
            continue
        for name, field in node["data"]["inputs"].items():
            spec = wf.field_spec(node["id"], name)
            if spec is not None and spec.kind == "model" and field.get("value") is None and spec.required:
                base = (spec.raw.get("ui_model_base") or ["any"])[0]
                kind = (spec.raw.get("ui_model_type") or ["main"])[0]
                ident = {"key": f"k-{name}", "hash": "h", "name": name, "base": base, "type": kind}
                wf._write(_field_input(wf, node["id"], name), ident)


def _field_input(wf: WorkflowDocument, node_id: str, name: str) -> Any:
    from invokeai_sdk.workflows._inputs import WorkflowInput

    position = next(i for i, n in enumerate(wf.to_dict()["nodes"]) if n["id"] == node_id)
    from jsonpath_ng.parser import parse

    path = parse(f"nodes[{position}].data.inputs.'{name}'.value")
    return WorkflowInput(index=-1, label=name, node_id=node_id, node_type="", field_name=name, path=path)


def _png(width: int = 200, height: int = 150) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


async def test_every_builtin_workflow_loads_types_and_is_accepted(ivk: AsyncInvokeAI, tmp_path: Path) -> None:
    summaries = await ivk.workflows.list(categories="default", per_page=100)
    assert summaries.total == 26 and len(summaries) == 26
    await ivk.queue.pause()
    outdated: dict[str, list[str]] = {}
    accepted = 0
    try:
        for summary in summaries:
            assert summary.is_builtin
            wf = await ivk.workflows.load(summary.workflow_id)
            assert wf.schema_version.split(".")[0] in ("3", "4")
            assert len(wf.inputs) > 0, summary.name
            if wf.unknown_node_types:
                # The server ships built-ins using node types it no longer has (the GUI flags them too).
                outdated[summary.name] = wf.unknown_node_types
                for node_type in wf.unknown_node_types:
                    assert node_type not in wf.schemas  # type: ignore[operator]
                known = [i for i in wf.inputs if i.node_type not in wf.unknown_node_types]
                assert known and all(i.spec is not None for i in known), summary.name
                with pytest.raises(WorkflowError, match="has no node type"):
                    wf.to_batch()
                continue
            for item in wf.inputs:
                assert item.spec is not None, (summary.name, item.label)
                assert item.kind is not None
            _fill_unset_models(wf)
            if ("prompt_from_file", "file_path") in {(i.node_type, i.field_name) for i in wf.inputs}:
                # The server checks at enqueue that the prompt file exists (it runs on this machine).
                prompts = tmp_path / "prompts.txt"
                prompts.write_text("a red square\na blue circle\n")
                item = next(i for i in wf.inputs if i.field_name == "file_path")
                wf.inputs[item.index] = str(prompts)
            batch = wf.to_batch()
            assert batch["graph"]["nodes"], summary.name
            # The local check finds nothing but the images/videos left for the user to choose (the
            # server accepts those at enqueue and fails at run time): no false alarm on real GUI graphs.
            report = await ivk.graphs.validate(batch)
            assert {p.code for p in report.problems} <= {"missing_input"}, (summary.name, str(report))
            # No 422: the server accepts the graph (items are cleared before they can run).
            handle = await ivk.queue.enqueue(batch, validate=False)
            assert len(handle) == 1, summary.name
            accepted += 1
        # 6.14.2 ships three SD1.5 built-ins made with the legacy ControlNet processor nodes, which it
        # removed (its openapi has no canny_image_processor / midas_depth_image_processor; they live on
        # only as model-config processor names): the server itself refuses those graphs, not the SDK.
        assert outdated == {
            "Face Detailer - SD1.5": ["canny_image_processor"],
            "Text to Image -  SD1.5, Control": ["canny_image_processor", "midas_depth_image_processor"],
            "Upscaler - SD1.5, ESRGAN": ["canny_image_processor"],
        }
        assert accepted == 26 - len(outdated)
    finally:
        await ivk.queue.clear()
        await ivk.queue.resume()


async def test_inputs_are_typed_from_the_server_schema(ivk: AsyncInvokeAI) -> None:
    wf = await ivk.workflows.load(SHIPPED / "blur-to-board.json")
    labels = [i.label for i in wf.inputs]
    assert labels == ["Width", "Height", "Color", "Blur Radius", "Blur Type", "Output Board"]
    blur_type = wf.inputs.find("Blur Type")
    assert blur_type.kind == "enum" and set(blur_type.choices or ()) == {"gaussian", "box"}
    assert wf.inputs.find("Width").kind == "integer"
    assert wf.inputs.find("Output Board").kind == "board"
    with pytest.raises(WorkflowInputError, match="not one of"):
        wf.inputs["Blur Type"] = "motion"
    with pytest.raises(WorkflowInputError, match="below the minimum"):
        wf.inputs["Blur Radius"] = -1
    with pytest.raises(WorkflowInputError, match="expected an integer"):
        wf.inputs["Width"] = "wide"
    wf.inputs["Blur Radius"] = 2
    assert wf.inputs["Blur Radius"] == 2.0
    assert WorkflowDocument.load(SHIPPED / "blur-to-board.json").inputs["Blur Radius"] == 4.0


async def test_model_free_workflow_runs_and_saves_to_the_board(ivk: AsyncInvokeAI) -> None:
    board = await ivk.boards.create("wf-out")
    wf = await ivk.workflows.load(SHIPPED / "blur-to-board.json")
    wf.set(Width=96, Height=64)
    wf.inputs["Blur Type"] = "box"
    batch = await ivk.workflows.build_batch(wf, board=board)
    assert batch["graph"]["nodes"]["save"]["board"] == {"board_id": board.board_id}
    item = await _finished((await ivk.queue.enqueue(batch)).jobs[0])
    image = await ivk.images.get(_saved(item)["image"]["image_name"])
    assert (image.width, image.height) == (96, 64)
    assert image.board_id == board.board_id
    embedded = await ivk.images.workflow(image.image_name)
    assert embedded is not None


async def test_image_input_from_bytes_is_uploaded_and_pipeline_runs(ivk: AsyncInvokeAI) -> None:
    wf = WorkflowDocument.load(SHIPPED / "resize-and-crop.json")
    wf.inputs["Image"] = _png()
    assert wf.pending  # the upload waits for the server
    with pytest.raises(WorkflowInputError, match="need the server"):
        wf.to_batch()
    batch = await ivk.workflows.build_batch(wf, board="none")
    image_name = batch["graph"]["nodes"]["source"]["image"]["image_name"]
    assert (await ivk.images.get(image_name)).width == 200
    item = await _finished((await ivk.queue.enqueue(batch)).jobs[0])
    out = _saved(item)
    assert (out["width"], out["height"]) == (96, 96)


async def test_batch_node_and_code_sweeps_make_the_right_items(ivk: AsyncInvokeAI) -> None:
    wf = await ivk.workflows.load(SHIPPED / "blur-sweep.json")
    batch = wf.to_batch(sweep={"Blur Type": ["box", "gaussian"], ("canvas", "width"): [64, 80]}, runs=1)
    assert len(batch["data"]) == 3  # the batch node, and one entry per swept field
    handle = await ivk.queue.enqueue(batch)
    assert len(handle) == 3 * 2 * 2
    seen = set()
    for job in handle:
        item = await _finished(job)
        values = {(v["node_path"], v["field_name"]): v["value"] for v in item.field_values or []}
        seen.add((values["blur", "radius"], values["blur", "blur_type"], values["canvas", "width"]))
        assert _saved(item)["width"] == values["canvas", "width"]
    assert seen == {(r, t, w) for r in (1.0, 3.0, 6.0) for t in ("box", "gaussian") for w in (64, 80)}


async def test_zipped_sweep_and_bad_sweep_values(ivk: AsyncInvokeAI) -> None:
    wf = await ivk.workflows.load(SHIPPED / "blur-to-board.json")
    batch = wf.to_batch(
        sweep={"Width": [32, 48], "Height": [40, 56]}, zip=[["Width", "Height"]], runs=2, auto_board=None
    )
    handle = await ivk.queue.enqueue(batch)
    assert len(handle) == 4
    pairs = set()
    for job in handle:
        out = _saved(await _finished(job))
        pairs.add((out["width"], out["height"]))
    assert pairs == {(32, 40), (48, 56)}
    with pytest.raises(BatchDataError, match="item 1"):
        wf.to_batch(sweep={"Width": [32, "wide"]})
    with pytest.raises(BatchDataError, match="same length"):
        wf.to_batch(sweep={"Width": [32, 48], "Height": [40]}, zip=[["Width", "Height"]])


async def test_library_crud_tags_counts_and_builtin_protection(ivk: AsyncInvokeAI) -> None:
    wf = WorkflowDocument.load(SHIPPED / "blur-to-board.json")
    wf.inputs["Blur Radius"] = 7
    created = await ivk.workflows.create(wf)
    assert created.name == "Blur to board" and created.category == "user"
    fetched = await ivk.workflows.get(created.workflow_id)
    assert fetched.document().inputs["Blur Radius"] == 7
    page = await ivk.workflows.list(categories="user", query="Blur", per_page=10)
    assert [s.workflow_id for s in page] == [created.workflow_id]
    edited = fetched.document()
    edited_raw = edited.to_dict()
    edited_raw["name"] = "Renamed"
    edited_raw["tags"] = "sdk-tag, other"
    updated = await ivk.workflows.update(created.workflow_id, edited_raw)
    assert updated.name == "Renamed"
    assert "sdk-tag" in await ivk.workflows.tags(categories="user")
    assert (await ivk.workflows.counts_by_tag("sdk-tag"))["sdk-tag"] == 1
    counts = await ivk.workflows.counts_by_category(["user", "default"])
    assert counts == {"user": 1, "default": 26}
    # Pages walk with page/per_page: every built-in exactly once.
    names = [s.name async for s in ivk.workflows.list(categories="default", per_page=7)]
    assert len(names) == 26 == len(set(names))
    second = await ivk.workflows.list(categories="default", per_page=7, page=1)
    assert [s.name for s in second] == names[7:14]
    builtin = (await ivk.workflows.list(categories="default", per_page=1)).items[0]
    with pytest.raises(WorkflowError, match="built-in"):
        await ivk.workflows.delete(builtin.workflow_id)
    with pytest.raises(WorkflowError, match="built-in"):
        await ivk.workflows.update(
            builtin.workflow_id, (await ivk.workflows.get(builtin.workflow_id)).workflow
        )
    copy = await ivk.workflows.create((await ivk.workflows.get(builtin.workflow_id)).document())
    assert copy.category == "user" and copy.workflow_id != builtin.workflow_id
    # Updating with a document that says "default" (a built-in's) keeps the workflow a user one.
    builtin_doc = (await ivk.workflows.get(builtin.workflow_id)).workflow
    assert builtin_doc["meta"]["category"] == "default"
    kept = await ivk.workflows.update(copy.workflow_id, builtin_doc)
    assert kept.category == "user" and not kept.is_builtin
    assert (await ivk.workflows.get(copy.workflow_id)).category == "user"
    assert [s.workflow_id for s in await ivk.workflows.list(categories="user", query=builtin.name)] == [
        copy.workflow_id
    ]
    assert (await ivk.workflows.counts_by_category(["default"]))["default"] == 26
    await ivk.workflows.delete(created.workflow_id)
    with pytest.raises(NotFoundError):
        await ivk.workflows.get(created.workflow_id)


async def test_load_from_library_id_and_errors(ivk: AsyncInvokeAI) -> None:
    created = await ivk.workflows.create(WorkflowDocument.load(SHIPPED / "blur-sweep.json"))
    wf = await ivk.workflows.load(created.workflow_id)
    assert wf.id == created.workflow_id and wf.inputs.find("Blur Type").kind == "enum"
    with pytest.raises(WorkflowError, match="neither a workflow file"):
        await ivk.workflows.load("no-such-workflow-id")
    broken = wf.to_dict()
    broken["nodes"][1]["data"]["type"] = "no_such_node"
    loaded = await ivk.workflows.load(broken)
    assert loaded.unknown_node_types == ["no_such_node"]
    with pytest.raises(WorkflowError, match="has no node type 'no_such_node'"):
        loaded.to_batch()


async def test_run_through_the_queue_returns_outputs_of_the_output_nodes(ivk: AsyncInvokeAI) -> None:
    board = await ivk.boards.create("wf-run")
    wf = await ivk.workflows.load(SHIPPED / "blur-to-board.json")
    job = await ivk.workflows.run(wf, board=board, sweep={"Width": [40, 56]})
    assert len(job) == 2
    await job.wait(wait_timeout=60)
    widths = set()
    for item in job:
        outputs = await item.outputs()
        assert [o.node_id for o in wf.outputs] == ["save"] and wf.outputs[0].label == "Output"
        image_name = outputs["save"][0]["image"]["image_name"]
        image = await ivk.images.get(image_name)
        assert image.board_id == board.board_id
        widths.add(image.width)
    assert widths == {40, 56}
