"""WorkflowDocument: loading, input discovery, setting, graph rules and sweeps (no server)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from invokeai_sdk import BatchDataError, InvocationSchemas, WorkflowError, WorkflowInputError
from invokeai_sdk.workflows import WorkflowDocument

from ._schemas import invocation_schema as _node

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "workflows" / "connectors-batches-v4.json"


INT = {"type": "integer", "default": 0, "orig_required": False}
SCHEMAS = InvocationSchemas(
    {
        "components": {
            "schemas": {
                "IntegerInvocation": _node("integer", {"value": {**INT, "title": "Value"}}),
                "AddInvocation": _node("add", {"a": {**INT, "title": "A"}, "b": {**INT, "title": "B"}}),
                "MulInvocation": _node("mul", {"a": INT, "b": INT}),
                "IntegerBatchInvocation": _node(
                    "integer_batch",
                    {
                        "batch_group_id": {"type": "string", "enum": ["None", "Group 1"]},
                        "integers": {
                            "anyOf": [{"type": "array", "items": {"type": "integer"}}, {"type": "null"}]
                        },
                    },
                ),
                "SaveImageInvocation": _node(
                    "save_image",
                    {
                        "board": {"anyOf": [{"$ref": "#/components/schemas/BoardField"}, {"type": "null"}]},
                        "image": {"anyOf": [{"$ref": "#/components/schemas/ImageField"}, {"type": "null"}]},
                    },
                ),
                "BlurInvocation": _node(
                    "img_blur",
                    {
                        "radius": {"type": "number", "minimum": 0, "title": "Radius"},
                        "blur_type": {"type": "string", "enum": ["gaussian", "box"]},
                    },
                ),
                "ModelLoader": _node(
                    "main_model_loader",
                    {"model": {"$ref": "#/components/schemas/ModelIdentifierField"}},
                    required=["model"],
                ),
                "BoardField": {"properties": {"board_id": {"type": "string"}}},
                "ImageField": {"properties": {"image_name": {"type": "string"}}},
                "ModelIdentifierField": {
                    "properties": {"key": {}, "hash": {}, "name": {}, "base": {}, "type": {}}
                },
            }
        }
    }
)


def _doc() -> WorkflowDocument:
    return WorkflowDocument.load(FIXTURE, schemas=SCHEMAS)


def test_loads_from_path_dict_and_json_text_and_keeps_raw() -> None:
    raw = json.loads(FIXTURE.read_text())
    for source in (FIXTURE, str(FIXTURE), raw, FIXTURE.read_text(), FIXTURE.read_bytes()):
        wf = WorkflowDocument.load(source)
        assert wf.schema_version == "4.0.0" and wf.id == "lib-id-1"
        assert wf.raw == raw
    wf = WorkflowDocument.load(raw, schemas=SCHEMAS)
    wf.inputs["First"] = 5
    assert raw["nodes"][0]["data"]["inputs"]["value"]["value"] == 2  # the given dict is never changed
    assert wf.raw["nodes"][0]["data"]["inputs"]["value"]["value"] == 2
    assert wf.to_dict()["nodes"][0]["data"]["inputs"]["value"]["value"] == 5


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d.pop("meta"), "$.meta"),
        (lambda d: d["meta"].update(version="9.0.0"), "$.meta.version"),
        (lambda d: d["nodes"][4]["data"].pop("type"), "$.nodes[4].data.type"),
        (lambda d: d["edges"][2].update(target="ghost"), "$.edges[2].target"),
        (lambda d: d["edges"][0].pop("sourceHandle"), "$.edges[0].sourceHandle"),
        (lambda d: d.update(nodes={}), "$.nodes"),
    ],
)
def test_malformed_documents_name_the_json_path(mutate: Any, path: str) -> None:
    raw = json.loads(FIXTURE.read_text())
    mutate(raw)
    with pytest.raises(WorkflowError) as info:
        WorkflowDocument.load(raw)
    assert info.value.path == path


def test_bad_json_and_missing_file() -> None:
    with pytest.raises(WorkflowError, match="not valid JSON"):
        WorkflowDocument.load("{nope")
    with pytest.raises(WorkflowError, match="cannot read"):
        WorkflowDocument.load("/no/such/workflow.json")


def test_inputs_come_from_the_form_depth_first_and_fall_back_to_exposed_fields() -> None:
    wf = _doc()
    assert [(i.index, i.label, i.node_id, i.field_name) for i in wf.inputs] == [
        (0, "First", "a", "value"),
        (1, "Second", "sum", "b"),
    ]
    assert wf.inputs.find("First").kind == "integer"
    raw = wf.to_dict()
    del raw["form"]
    legacy = WorkflowDocument.load(raw, schemas=SCHEMAS)
    assert [(i.node_id, i.field_name) for i in legacy.inputs] == [("a", "value")]


def test_setting_by_index_label_pair_and_set() -> None:
    wf = _doc()
    wf.inputs[0] = 10
    wf.inputs["second"] = 11  # labels match case-insensitively when there is no exact match
    assert wf.inputs["a", "value"] == 10 and wf.inputs[1] == 11
    wf.set(First=12)
    assert wf.inputs.values() == {"First": 12, "Second": 11}
    with pytest.raises(WorkflowInputError, match="expected an integer"):
        wf.inputs["First"] = "ten"
    with pytest.raises(WorkflowInputError, match="no input labelled"):
        wf.inputs["Nope"] = 1
    with pytest.raises(WorkflowInputError, match="no input #7"):
        wf.inputs[7] = 1


def test_ambiguous_labels_list_the_candidates() -> None:
    raw = json.loads(FIXTURE.read_text())
    raw["nodes"][4]["data"]["inputs"]["b"]["label"] = "First"
    wf = WorkflowDocument.load(raw, schemas=SCHEMAS)
    with pytest.raises(WorkflowInputError, match=r"ambiguous: #0 \('a', 'value'\), #1 \('sum', 'b'\)"):
        wf.inputs["First"] = 1


def test_graph_resolves_connectors_and_ignores_collapsed_notes_and_batch_nodes() -> None:
    graph = _doc().to_graph()
    assert list(graph["nodes"]) == ["a", "sum", "mul", "save"]
    assert graph["nodes"]["a"] == {
        "type": "integer",
        "id": "a",
        "value": 2,
        "use_cache": True,
        "is_intermediate": True,
    }
    # sum.a is fed through two connectors: it loses its literal; sum.b is fed by a batch node: it keeps it.
    assert graph["nodes"]["sum"] == {
        "type": "add",
        "id": "sum",
        "b": 40,
        "use_cache": True,
        "is_intermediate": True,
    }
    assert graph["nodes"]["mul"]["use_cache"] is False and "a" not in graph["nodes"]["mul"]
    assert graph["nodes"]["save"] == {
        "type": "save_image",
        "id": "save",
        "use_cache": True,
        "is_intermediate": False,
    }
    edges = [
        (e["source"]["node_id"], e["source"]["field"], e["destination"]["node_id"], e["destination"]["field"])
        for e in graph["edges"]
    ]
    assert edges == [
        ("a", "value", "sum", "a"),
        ("sum", "value", "mul", "a"),
    ]  # duplicate dropped, hidden kept


def test_boards_auto_none_and_explicit() -> None:
    wf = _doc()
    assert _doc().to_graph(auto_board="b-1")["nodes"]["save"]["board"] == {"board_id": "b-1"}
    raw = wf.to_dict()
    raw["nodes"][9]["data"]["inputs"]["board"]["value"] = "none"
    assert (
        "board" not in WorkflowDocument.load(raw, schemas=SCHEMAS).to_graph(auto_board="b-1")["nodes"]["save"]
    )
    raw["nodes"][9]["data"]["inputs"]["board"]["value"] = {"board_id": "mine"}
    graph = WorkflowDocument.load(raw, schemas=SCHEMAS).to_graph(auto_board="b-1")
    assert graph["nodes"]["save"]["board"] == {"board_id": "mine"}


def test_batch_embeds_the_workflow_and_groups_batch_nodes() -> None:
    batch = _doc().to_batch(runs=2)
    assert batch["runs"] == 2 and batch["origin"] == "workflows" and batch["destination"] == "gallery"
    assert "id" not in batch["workflow"]
    assert all(
        n["data"]["dynamicInputTemplates"] == {}
        for n in batch["workflow"]["nodes"]
        if n["type"] == "invocation"
    )
    assert batch["data"] == [
        [
            {"node_path": "mul", "field_name": "b", "items": [1, 2, 3]},
            {"node_path": "sum", "field_name": "b", "items": [4, 5, 6]},
        ],
        [{"node_path": "mul", "field_name": "b", "items": [7, 8]}],
    ]


def test_sweeps_are_checked_per_item_and_zip() -> None:
    raw = json.loads(FIXTURE.read_text())
    raw["edges"] = [e for e in raw["edges"] if (e["target"], e.get("targetHandle")) != ("mul", "a")]
    wf = WorkflowDocument.load(raw, schemas=SCHEMAS)
    batch = wf.to_batch(sweep={"First": [1, 2, 3], ("mul", "a"): [4, 5, 6]}, zip=[["First", ("mul", "a")]])
    assert batch["data"][-1] == [
        {"node_path": "a", "field_name": "value", "items": [1, 2, 3]},
        {"node_path": "mul", "field_name": "a", "items": [4, 5, 6]},
    ]
    with pytest.raises(BatchDataError, match="item 2: expected an integer"):
        wf.to_batch(sweep={"First": [1, 2, "3"]})
    with pytest.raises(BatchDataError, match="at least one value"):
        wf.to_batch(sweep={"First": []})
    with pytest.raises(WorkflowInputError, match="runs must be"):
        wf.to_batch(runs=0)


def test_sweeping_a_field_fed_by_an_edge_or_a_batch_node_is_refused() -> None:
    wf = _doc()
    with pytest.raises(WorkflowInputError, match=r"\('mul', 'a'\) \(mul.a\) is fed by an edge"):
        wf.to_batch(sweep={("mul", "a"): [4, 5, 6]})
    with pytest.raises(WorkflowInputError, match=r"mul.b is fed by a batch node"):
        wf.to_batch(sweep={("mul", "b"): [4, 5]})


def test_required_fields_and_pending_values_are_caught_before_sending() -> None:
    raw = json.loads(FIXTURE.read_text())
    raw["nodes"].append(
        {"id": "m", "type": "invocation", "data": {"id": "m", "type": "main_model_loader", "inputs": {}}}
    )
    with pytest.raises(WorkflowInputError, match=r"m\.model"):
        WorkflowDocument.load(raw, schemas=SCHEMAS).to_graph()
    wf = WorkflowDocument.load(raw)  # unbound: bytes for an image still wait for an upload
    raw2 = _doc()
    raw2.inputs["First"] = 3
    assert wf.pending == {}
    saved = raw2.copy()
    saved.inputs["First"] = 4
    assert raw2.inputs["First"] == 3 and saved.inputs["First"] == 4


def test_image_board_and_model_values_are_converted() -> None:
    raw = json.loads(FIXTURE.read_text())
    raw["form"]["elements"]["root"]["data"]["children"] += ["f-img", "f-board"]
    raw["form"]["elements"]["f-img"] = {
        "type": "node-field",
        "data": {"fieldIdentifier": {"nodeId": "save", "fieldName": "image"}},
    }
    raw["form"]["elements"]["f-board"] = {
        "type": "node-field",
        "data": {"fieldIdentifier": {"nodeId": "save", "fieldName": "board"}},
    }
    raw["edges"] = [e for e in raw["edges"] if e["target"] != "save"]
    wf = WorkflowDocument.load(raw, schemas=SCHEMAS)
    wf.inputs["save", "image"] = "abc.png"
    assert wf.inputs["save", "image"] == {"image_name": "abc.png"}
    wf.inputs["save", "image"] = b"\x89PNG..."
    assert wf.pending[("save", "image")].kind == "upload"
    with pytest.raises(WorkflowInputError, match="need the server"):
        wf.to_graph()

    class Board:
        board_id = "bb"

    wf.inputs["Board"] = Board()
    assert wf.inputs["Board"] == {"board_id": "bb"}
    wf.inputs["Board"] = "none"
    assert wf.inputs["Board"] == "none"
