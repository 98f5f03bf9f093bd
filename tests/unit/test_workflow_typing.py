"""WorkflowDocument: isolation of built batches, strict flags, form checks, labels, union and enum
typing, sweeps that the server cannot take, and model binding constraints (no server)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from invokeai_sdk import BatchDataError, InvocationSchemas, WorkflowError, WorkflowInputError
from invokeai_sdk.workflows import WorkflowDocument
from invokeai_sdk.workflows._models import bind_document_models

from ._schemas import invocation_schema as _node

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "workflows"
TYPED = FIXTURES / "typed-fields-v4.json"
REF = "#/components/schemas/"


def _model_field(bases: list[str], types: list[str], required: bool) -> dict[str, Any]:
    # As 6.14.2 declares model fields: no title, an anyOf with null, the constraints beside it.
    return {
        "anyOf": [{"$ref": REF + "ModelIdentifierField"}, {"type": "null"}],
        "default": None,
        "orig_required": required,
        "ui_model_base": bases,
        "ui_model_type": types,
    }


SCHEMAS = InvocationSchemas(
    {
        "components": {
            "schemas": {
                "MainModelLoaderInvocation": _node(
                    "main_model_loader", {"model": _model_field(["sdxl"], ["main"], True)}
                ),
                "VAELoaderInvocation": _node(
                    "vae_loader", {"vae_model": _model_field(["sdxl"], ["vae"], False)}
                ),
                "DenoiseInvocation": _node(
                    "denoise",
                    {
                        "cfg_scale": {
                            "anyOf": [
                                {"type": "number", "minimum": 1},
                                {"type": "array", "items": {"type": "number", "minimum": 1}},
                            ],
                            "default": 7.5,
                            "title": "CFG Scale",
                        },
                        "steps": {"type": "integer", "exclusiveMinimum": 0, "default": 10, "title": "Steps"},
                        "scheduler": {"type": "string", "enum": ["euler", "ddim"], "default": "euler"},
                        "seed": {"type": "integer", "default": 0, "title": "Seed"},
                        "unet": {"anyOf": [{"$ref": REF + "UNetField"}, {"type": "null"}]},
                        "mode": {"anyOf": [{"enum": ["a", "b"], "type": "string"}, {"type": "null"}]},
                    },
                ),
                "SaveImageInvocation": _node(
                    "save_image",
                    {
                        "board": {"anyOf": [{"$ref": REF + "BoardField"}, {"type": "null"}]},
                        "image": {"anyOf": [{"$ref": REF + "ImageField"}, {"type": "null"}]},
                    },
                ),
                "BoardField": {"properties": {"board_id": {"type": "string"}}},
                "ImageField": {"properties": {"image_name": {"type": "string"}}},
                "UNetField": {"properties": {"unet": {}}},
                "ModelIdentifierField": {
                    "properties": {"key": {}, "hash": {}, "name": {}, "base": {}, "type": {}}
                },
            }
        }
    }
)


def _typed() -> WorkflowDocument:
    return WorkflowDocument.load(TYPED, schemas=SCHEMAS)


def test_batches_share_nothing_mutable_with_the_document() -> None:
    wf = _typed()
    before = wf.to_dict()
    model_before = dict(wf.inputs["Model"])
    batch = wf.to_batch(sweep={"Seed": [1, 2]})
    batch["graph"]["nodes"]["loader"]["model"]["key"] = "changed"
    batch["workflow"]["nodes"][0]["data"]["inputs"]["model"]["value"]["key"] = "changed"
    batch["workflow"]["nodes"][2]["data"]["inputs"]["steps"]["value"] = 99
    batch["workflow"]["form"]["elements"]["root"]["data"]["children"].clear()
    batch["workflow"]["edges"].clear()
    batch["data"][0][0]["items"].append(3)
    assert wf.inputs["Model"] == model_before and wf.inputs["Model"]["key"] == "k1"
    assert wf.inputs["Steps"] == 30
    assert wf.to_dict() == before
    graph = wf.to_graph()
    graph["nodes"]["loader"]["model"]["name"] = "other"
    assert wf.to_batch()["graph"]["nodes"]["loader"]["model"]["name"] == "Juggernaut"


@pytest.mark.parametrize(
    ("flag", "value", "expected"), [("useCache", "false", False), ("useCache", True, True)]
)
def test_node_flags_are_parsed_strictly(flag: str, value: Any, expected: bool) -> None:
    raw = json.loads(TYPED.read_text())
    raw["nodes"][2]["data"][flag] = value
    assert WorkflowDocument.load(raw).to_graph()["nodes"]["denoise"]["use_cache"] is expected


@pytest.mark.parametrize("value", ["no", 0, 1, [], "1"])
def test_a_node_flag_that_is_not_a_boolean_names_its_path(value: Any) -> None:
    raw = json.loads(TYPED.read_text())
    raw["nodes"][3]["data"]["isIntermediate"] = value
    with pytest.raises(WorkflowError, match=r"^\$\.nodes\[3\]\.data\.isIntermediate: expected true or false"):
        WorkflowDocument.load(raw)


MALFORMED = json.loads((FIXTURES / "malformed-forms.json").read_text())["cases"]


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_form_raises_naming_the_json_path(case: str) -> None:
    raw = json.loads((FIXTURES / "connectors-batches-v4.json").read_text())
    raw["form"] = MALFORMED[case]["form"]
    path = MALFORMED[case]["expected_path"]
    with pytest.raises(WorkflowError) as caught:
        WorkflowDocument.load(raw)
    assert str(caught.value).startswith(path + ": "), str(caught.value)


def test_discover_fields_checks_the_form_too() -> None:
    from invokeai_sdk.workflows import discover_fields

    raw = json.loads((FIXTURES / "connectors-batches-v4.json").read_text())
    raw["form"] = MALFORMED["children-is-a-string"]["form"]
    with pytest.raises(WorkflowError, match=r"\$\.form\.elements\.root\.data\.children: expected a list"):
        discover_fields(raw)
    raw["form"] = None
    raw["exposedFields"] = [{"nodeId": "a", "fieldName": ["value"]}]
    with pytest.raises(WorkflowError, match=r"\$\.exposedFields\[0\]"):
        discover_fields(raw)


def test_labels_fall_back_to_the_schema_title_then_the_start_cased_field_name() -> None:
    wf = _typed()
    assert [i.label for i in wf.inputs] == [
        "Model",
        "CFG Scale",
        "Steps",
        "Scheduler",
        "Seed",
        "Vae Model",
        "Output",
    ]
    unbound = WorkflowDocument.load(TYPED)
    assert unbound.inputs.find(0).label == "Model" and unbound.inputs.find(5).label == "Vae Model"
    from invokeai_sdk._invocation_schema import start_case

    assert start_case("t5_encoder_model") == "T 5 Encoder Model"
    assert start_case("clip_embed_model") == "Clip Embed Model"


def test_union_fields_accept_any_variant_and_reject_the_rest() -> None:
    wf = _typed()
    spec = wf.inputs.find("CFG Scale").spec
    assert (
        spec is not None
        and spec.kind == "union"
        and [v.kind for v in spec.variants] == ["float", "collection"]
    )
    wf.inputs["CFG Scale"] = 3
    assert wf.inputs["CFG Scale"] == 3.0 and isinstance(wf.inputs["CFG Scale"], float)
    wf.inputs["CFG Scale"] = [2.0, 4.5]
    assert wf.inputs["CFG Scale"] == [2.0, 4.5]
    with pytest.raises(
        WorkflowInputError, match=r"input 'CFG Scale': 'abc' is not allowed; expected a number >= 1"
    ):
        wf.inputs["CFG Scale"] = "abc"
    with pytest.raises(WorkflowInputError, match=r"0\.5 is below the minimum 1"):
        wf.inputs["CFG Scale"] = 0.5
    with pytest.raises(WorkflowInputError, match=r"item 1: 0 is below the minimum 1"):
        wf.inputs["CFG Scale"] = [2, 0]
    with pytest.raises(BatchDataError, match="item 1"):
        wf.to_batch(sweep={"CFG Scale": [2.0, "x"]})


def test_integral_floats_become_integers_and_enums_refuse_none() -> None:
    wf = _typed()
    wf.inputs["Steps"] = 20.0
    assert wf.inputs["Steps"] == 20 and type(wf.inputs["Steps"]) is int
    assert wf.to_batch(sweep={"Seed": [1.0, 2]})["data"][0][0]["items"] == [1, 2]
    assert all(type(v) is int for v in wf.to_batch(sweep={"Seed": [1.0, 2]})["data"][0][0]["items"])
    with pytest.raises(WorkflowInputError, match="expected an integer"):
        wf.inputs["Steps"] = 20.5
    with pytest.raises(WorkflowInputError, match="must be greater than 0"):
        wf.inputs["Steps"] = 0.0
    with pytest.raises(WorkflowInputError, match="input 'Scheduler': None is not one of 'euler', 'ddim'"):
        wf.inputs["Scheduler"] = None
    mode = SCHEMAS.field("denoise", "mode")
    assert mode is not None and mode.kind == "enum" and mode.nullable and mode.check(None) is None


def test_board_and_model_fields_cannot_be_swept() -> None:
    # The server's batch items are strings, numbers and images only: it answers 422 to {"board_id"}.
    wf = _typed()
    for values in (["b1", "none"], ["auto"], ["none"]):
        with pytest.raises(BatchDataError, match="a board field cannot be swept"):
            wf.to_batch(sweep={"Output": values}, auto_board="b0")
    with pytest.raises(BatchDataError, match="a model field cannot be swept"):
        wf.to_batch(sweep={"Model": [{"key": "k1"}, {"key": "k2"}]})


def test_sweeping_an_edge_fed_field_is_refused() -> None:
    wf = _typed()
    with pytest.raises(WorkflowInputError, match=r"denoise\.unet\) is fed by an edge"):
        wf.to_batch(sweep={("denoise", "unet"): [{"unet": 1}]})


MODELS = [
    {"key": "sd1", "hash": "h-sd1", "name": "Juggernaut", "base": "sd-1", "type": "main"},
    {"key": "xl", "hash": "h-xl", "name": "Other XL", "base": "sdxl", "type": "main"},
    {"key": "vae", "hash": "h-vae", "name": "sdxl-vae", "base": "sdxl", "type": "vae"},
]


def test_bind_models_respects_the_field_constraints_and_fills_unset_fields() -> None:
    wf = _typed()
    changes = bind_document_models(wf, MODELS)
    # "Juggernaut" is installed, but as an SD-1 model: the SDXL field takes the SDXL one instead.
    assert [(c.node_id, c.field_name, c.matched_by) for c in changes] == [
        ("loader", "model", "base+type"),
        ("vae", "vae_model", "only fit"),
    ]
    assert wf.inputs["Model"]["key"] == "xl" and wf.inputs["Vae Model"]["key"] == "vae"
    assert changes[1].before is None


def test_bind_models_reports_fields_it_cannot_bind_and_changes_nothing() -> None:
    wf = _typed()
    before = wf.to_dict()
    with pytest.raises(WorkflowInputError, match=r"loader\.model \('Juggernaut'.*takes base sdxl, type main"):
        bind_document_models(wf, MODELS[:1])
    assert wf.to_dict() == before
    raw = json.loads(TYPED.read_text())
    raw["nodes"][0]["data"]["inputs"]["model"]["value"] = None
    unset = WorkflowDocument.load(raw, schemas=SCHEMAS)
    two = [*MODELS, {"key": "xl2", "hash": "h2", "name": "XL 2", "base": "sdxl", "type": "main"}]
    with pytest.raises(WorkflowInputError, match=r"loader\.model \(unset; 2 installed models fit"):
        bind_document_models(unset, two)
    # An optional field without a single fit stays unset.
    assert [c.field_name for c in bind_document_models(unset, MODELS[1:2])] == ["model"]
    assert unset.inputs["Vae Model"] is None
