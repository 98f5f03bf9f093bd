"""Generator nodes: the GUI's expansion rules, and batch nodes fed by generators (no server)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from invokeai_sdk import BatchDataError, WorkflowError
from invokeai_sdk.workflows import WorkflowDocument
from invokeai_sdk.workflows._generators import MersenneTwister, expand_generator

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "workflows"
GUI_VALUES = json.loads((FIXTURES / "generators-gui-values.json").read_text())["cases"]


def test_mersenne_twister_matches_the_reference_mt19937() -> None:
    # Published MT19937 values for init_genrand(5489) (C++ std::mt19937): first and 10000th outputs.
    rng = MersenneTwister(5489)
    outputs = [rng.random_uint32() for _ in range(10000)]
    assert outputs[0] == 3499211612 and outputs[-1] == 4123659995
    assert 0 <= MersenneTwister(1).random() < 1


@pytest.mark.parametrize("case", GUI_VALUES, ids=lambda c: str(c["generator"]["type"]))
def test_expansion_equals_what_the_gui_computes(case: dict[str, Any]) -> None:
    items = expand_generator(case["generator"])
    if "slice" in case:
        items = items[slice(*case["slice"])]
    assert items == case["items"]


def test_edge_rules_of_the_deterministic_kinds() -> None:
    arithmetic = {"type": "integer_generator_arithmetic_sequence", "start": 5, "step": 0, "count": 4}
    assert expand_generator(arithmetic) == [5]  # a zero step gives the start once
    assert expand_generator({**arithmetic, "step": -2}) == [5, 3, 1, -1]
    assert expand_generator({"type": "integer_generator_linear_distribution", "start": 3, "count": 1}) == [3]
    assert expand_generator({"type": "integer_generator_arithmetic_sequence"}) == list(range(10))  # defaults
    floats = {"type": "float_generator_random_distribution_uniform", "seed": 7, "count": 3, "values": [0.5]}
    assert expand_generator(floats) == [0.5]  # the values the GUI stored win
    strings = {"type": "string_generator_parse_string", "input": "a\\tb\\t\\t c", "splitOn": "\\t"}
    assert expand_generator(strings) == ["a\\tb\\t\\t c"]  # no tab in the text: one item
    strings["input"] = "a\tb\t\t c"
    assert expand_generator(strings) == ["a", "b", " c"]  # escapes in splitOn, empties dropped, no trim
    assert expand_generator({**strings, "splitOn": ""}) == ["a\tb\t\t c"]
    seeded = {
        "type": "integer_generator_random_distribution_uniform",
        "min": 1,
        "max": 3,
        "count": 50,
        "seed": 9,
    }
    assert expand_generator(seeded) == expand_generator(seeded) and set(expand_generator(seeded)) == {1, 2, 3}


def test_malformed_and_server_only_generators_raise() -> None:
    with pytest.raises(WorkflowError, match="not a generator setting"):
        expand_generator({"type": "integer_generator_fibonacci"})
    with pytest.raises(WorkflowError, match="start must be a number"):
        expand_generator({"type": "integer_generator_arithmetic_sequence", "start": "zero"})
    for kind in ("string_generator_dynamic_prompts_random", "image_generator_images_from_board"):
        with pytest.raises(WorkflowError, match="needs the server"):
            expand_generator({"type": kind})


def test_generators_feed_their_batch_nodes_grouped_as_the_gui_does() -> None:
    wf = WorkflowDocument.load(FIXTURES / "generators-v4.json")
    assert set(wf.generators) == {"boardimgs", "widths", "radii", "prompts"}
    with pytest.raises(WorkflowError, match="needs the server"):
        wf.to_batch()
    batch = wf.to_batch(generated={"boardimgs": ["a.png", "b.png"], "prompts": ["red fox", "blue fox"]})
    assert set(batch["graph"]["nodes"]) == {"note", "resize", "blur", "save"}  # generators, batches left out
    assert batch["data"] == [
        [
            {
                "node_path": "resize",
                "field_name": "image",
                "items": [{"image_name": "a.png"}, {"image_name": "b.png"}],
            }
        ],
        [{"node_path": "note", "field_name": "value", "items": ["red fox", "blue fox"]}],
        [
            {"node_path": "resize", "field_name": "width", "items": [32, 48]},
            {"node_path": "blur", "field_name": "radius", "items": [1.0, 2.5]},
        ],
    ]
    wf.inputs["Widths"] = {
        "type": "integer_generator_linear_distribution",
        "start": 10,
        "end": 20,
        "count": 3,
    }
    with pytest.raises(BatchDataError, match=r"batch group 'Group 1' zips lists of different lengths"):
        wf.to_batch(generated={"boardimgs": ["a.png"], "prompts": ["x"]})


def test_an_empty_generator_is_refused() -> None:
    wf = WorkflowDocument.load(FIXTURES / "generators-v4.json")
    wf.inputs["Radii"] = {"type": "float_generator_parse_string", "input": "x, y", "splitOn": ","}
    with pytest.raises(
        WorkflowError, match="generator 'radii' feeding batch node 'radius_batch' has no items"
    ):
        wf.to_batch(generated={"boardimgs": ["a.png"], "prompts": ["x"]})
