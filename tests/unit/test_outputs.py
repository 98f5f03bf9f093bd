"""Outputs by node id and by node label, on the queue's own handles (a workflow run is a BatchHandle)."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest

from invokeai_sdk import AsyncInvokeAI, WorkflowError
from invokeai_sdk.jobs import BatchHandle, JobHandle
from invokeai_sdk.types.queue import QueueItem
from invokeai_sdk.workflows import WorkflowJob, WorkflowOutputs, WorkflowRun

SAVE = [{"type": "image_output", "image": {"image_name": "a.png"}, "width": 8, "height": 8}]
BLUR = [{"type": "image_output", "image": {"image_name": "b.png"}}]
SUM = [{"type": "integer_output", "value": 42}]
LABELS = {"Output": ["save"], "Blur": ["blur"], "Twin": ["blur", "sum"], "Unused": ["never"]}


def _outputs() -> WorkflowOutputs:
    return WorkflowOutputs({"save": SAVE, "blur": BLUR, "sum": SUM}, LABELS)


def test_a_node_id_and_a_label_give_the_same_outputs() -> None:
    outputs = _outputs()
    assert outputs["save"] is outputs["Output"]
    assert outputs.node_id("Output") == "save"
    assert outputs.images("Output") == ["a.png"]
    assert "Output" in outputs and "save" in outputs
    assert outputs.get("Blur") == BLUR
    assert list(outputs) == ["save", "blur", "sum"]  # iteration gives node ids only
    assert outputs.labels == LABELS


def test_a_label_matches_case_insensitively_when_nothing_matches_exactly() -> None:
    outputs = _outputs()
    assert outputs["output"] is outputs["save"]
    assert outputs["BLUR"] is outputs["blur"]
    assert outputs.images("oUtPuT") == ["a.png"]


def test_an_ambiguous_label_raises_naming_the_candidates() -> None:
    outputs = _outputs()
    with pytest.raises(WorkflowError, match=r"'Twin' names several nodes: 'blur', 'sum'"):
        outputs["Twin"]
    with pytest.raises(WorkflowError, match="'blur', 'sum'"):
        outputs.get("twin")
    assert "Twin" not in outputs


def test_an_unknown_key_raises_key_error_listing_the_known_keys() -> None:
    outputs = _outputs()
    with pytest.raises(KeyError, match=r"'nope'; known: 'save', 'blur', 'sum', 'Output', 'Blur'"):
        outputs["nope"]
    with pytest.raises(KeyError, match="produced no output"):
        outputs["Unused"]  # a label of a node with no output in this item
    assert outputs.get("nope") is None
    assert outputs.get("nope", []) == []
    assert "nope" not in outputs and "Unused" not in outputs


def test_without_labels_it_is_the_plain_dict_of_outputs() -> None:
    plain: dict[str, list[dict[str, Any]]] = {"save": SAVE, "sum": SUM}
    outputs = WorkflowOutputs(plain)
    assert isinstance(outputs, dict)
    assert outputs == plain and plain == outputs
    assert repr(outputs) == repr(plain)
    assert json.loads(json.dumps(outputs)) == plain
    assert dict(outputs) == plain and outputs.copy() == plain
    assert outputs["sum"][0]["value"] == 42
    assert outputs.get("save") is SAVE
    assert "Output" not in outputs and 3 not in outputs
    with pytest.raises(KeyError, match="known: 'save', 'sum'"):
        outputs["Output"]
    assert outputs.labels == {}
    assert WorkflowOutputs() == {}


def test_it_survives_pickling_with_its_labels() -> None:
    again = pickle.loads(pickle.dumps(_outputs()))
    assert isinstance(again, WorkflowOutputs)
    assert again["Output"] == SAVE and again == _outputs()


def _item(item_id: int) -> QueueItem:
    return QueueItem(
        item_id=item_id,
        status="completed",
        session={
            "source_prepared_mapping": {"save": [f"p{item_id}"], "sum": [f"q{item_id}"]},
            "results": {f"p{item_id}": SAVE[0], f"q{item_id}": {"type": "integer_output", "value": item_id}},
        },
    )


async def test_a_batch_handle_with_labels_gives_label_aware_outputs_to_every_job(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with AsyncInvokeAI("http://127.0.0.1:9") as ivk:  # nothing is sent
        document = object()
        run = BatchHandle(
            ivk,
            queue_id="default",
            batch_id="b",
            item_ids=[1, 2],
            labels={"Output": ["save"]},
            document=document,
        )
        assert run.document is document and run.labels == {"Output": ["save"]}
        assert [job.labels for job in run] == [{"Output": ["save"]}] * 2

        async def results(**_: Any) -> list[QueueItem]:
            return [_item(1), _item(2)]

        monkeypatch.setattr(run, "results", results)
        outputs = await run.outputs()
        assert [o["Output"] for o in outputs] == [SAVE, SAVE]
        assert [o["sum"][0]["value"] for o in outputs] == [1, 2]

        run[1]._item = _item(2)  # terminal: outputs() sends nothing
        assert (await run[1].outputs())["output"] == SAVE


async def test_a_plain_graph_handle_has_no_labels_and_dict_outputs() -> None:
    async with AsyncInvokeAI("http://127.0.0.1:9") as ivk:
        batch = BatchHandle(ivk, queue_id="default", batch_id="b", item_ids=[3])
        assert batch.labels == {} and batch.document is None
        assert repr(batch) == "BatchHandle(batch_id='b', items=1)"
        batch[0]._item = _item(3)
        assert await batch[0].outputs() == {"save": SAVE, "sum": [{"type": "integer_output", "value": 3}]}


async def test_the_old_names_are_the_handles_and_the_wrapped_handle_attributes_are_deprecated() -> None:
    assert WorkflowRun is BatchHandle and WorkflowJob is JobHandle
    async with AsyncInvokeAI("http://127.0.0.1:9") as ivk:
        run = WorkflowRun(ivk, queue_id="default", batch_id="b", item_ids=[1])
        with pytest.deprecated_call(match="run.batch is deprecated"):
            assert run.batch is run
        with pytest.deprecated_call(match="job.job is deprecated"):
            assert run[0].job is run[0]


def test_the_sync_names_are_the_sync_handles() -> None:
    import invokeai_sdk

    assert invokeai_sdk.SyncWorkflowRun is invokeai_sdk.SyncBatchHandle
    assert invokeai_sdk.SyncWorkflowJob is invokeai_sdk.SyncJobHandle
