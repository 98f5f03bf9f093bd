"""Graphs in code without a server: the check, the builder, workflow export and Python codegen.

Node types come from the saved node schemas of the real InvokeAI 6.14.2 server
(``tests/fixtures/openapi``, written by ``scripts/gen_nodes.py --fetch``).
"""

from __future__ import annotations

import enum
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from invokeai_sdk import GraphValidationError, ValidationError, WorkflowDocument, WorkflowError
from invokeai_sdk.graphs import (
    Graph,
    NodeCatalog,
    PortType,
    canonical_graph,
    fill_missing_fields,
    template_fields,
    to_python,
    validate_graph,
)
from invokeai_sdk.graphs._types import COLLECTION, SINGLE, SINGLE_OR_COLLECTION, compatible, parse_port
from invokeai_sdk.graphs.stubgen import generate, load_openapi
from invokeai_sdk.workflows import build_graph

from ..graph_mistakes import MISTAKES, edge

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = load_openapi(str(ROOT / "tests" / "fixtures" / "openapi" / "invokeai-6.14.2-nodes.json.gz"))
WORKFLOWS = sorted((ROOT / "workflows").glob("*.json"))


@pytest.fixture(scope="module")
def nodes() -> NodeCatalog:
    return NodeCatalog.from_openapi(OPENAPI)


def _problems(graph: Any, nodes: NodeCatalog) -> set[tuple[str, str | None, str | None]]:
    return {(p.code, p.node_id, p.field) for p in validate_graph(graph, nodes.schemas)}


# -- the check ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "graph", "expected"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_class_of_mistake_is_named_with_node_and_field(
    nodes: NodeCatalog, case: str, graph: dict[str, Any], expected: tuple[str, str, str | None]
) -> None:
    assert expected in _problems(graph, nodes)


def test_lenient_where_the_server_is_lenient(nodes: NodeCatalog) -> None:
    graph = {
        "nodes": {
            "s": {"id": "s", "type": "add", "a": "5", "b": 2.0, "use_cache": "false"},
            "t": {"id": "t", "type": "string", "value": 5},
            "f": {"id": "f", "type": "float_math", "a": "1.5", "b": True},
            "i": {"id": "i", "type": "integer", "value": 3},
            "m": {"id": "m", "type": "float_math"},
            "j": {"id": "j", "type": "string_join"},
        },
        "edges": [edge("i", "value", "m", "a"), edge("i", "value", "j", "string_left")],  # int -> float, str
    }
    assert validate_graph(graph, nodes.schemas).ok


def test_unknown_type_message_is_short_with_suggestions(nodes: NodeCatalog) -> None:
    report = validate_graph({"nodes": {"b": {"id": "b", "type": "img_blurr"}}, "edges": []}, nodes.schemas)
    (problem,) = report.problems
    assert "did you mean 'img_blur'" in problem.message and len(str(problem)) < 200
    with pytest.raises(GraphValidationError) as caught:
        report.raise_for_problems()
    assert caught.value.problems == [problem] and isinstance(caught.value, ValidationError)


def test_node_id_must_match_its_key_and_batch_data_targets_exist(nodes: NodeCatalog) -> None:
    batch = {
        "graph": {"nodes": {"a": {"id": "b", "type": "integer"}}, "edges": []},
        "data": [[{"node_path": "zz", "field_name": "value", "items": [1]}]],
    }
    assert _problems(batch, nodes) == {("bad_node", "a", "id"), ("bad_data", "zz", "value")}


def test_a_required_input_fed_by_batch_data_is_not_missing(nodes: NodeCatalog) -> None:
    graph = {"nodes": {"b": {"id": "b", "type": "img_blur"}}, "edges": []}
    assert ("missing_input", "b", "image") in _problems(graph, nodes)
    batch = {
        "graph": graph,
        "data": [[{"node_path": "b", "field_name": "image", "items": [{"image_name": "x"}]}]],
    }
    assert validate_graph(batch, nodes.schemas).ok


def test_iterate_and_collect_types_resolve_through_their_inputs(nodes: NodeCatalog) -> None:
    graph = {
        "nodes": {
            "c": {"id": "c", "type": "integer_collection", "collection": [1, 2]},
            "it": {"id": "it", "type": "iterate"},
            "f": {"id": "f", "type": "float_math"},
            "img": {"id": "img", "type": "img_blur"},
        },
        "edges": [
            edge("c", "collection", "it", "collection"),
            edge("it", "item", "f", "a"),  # an integer into a float: fine
            edge("it", "item", "img", "image"),  # an integer into an image: refused
        ],
    }
    assert _problems(graph, nodes) == {("type_mismatch", "img", "image")}
    mixed = {
        "nodes": {
            "a": {"id": "a", "type": "integer"},
            "s": {"id": "s", "type": "string"},
            "col": {"id": "col", "type": "collect"},
        },
        "edges": [edge("a", "value", "col", "item"), edge("s", "value", "col", "item")],
    }
    assert _problems(mixed, nodes) == {("collect", "col", "item")}


def test_connection_rules_follow_the_gui() -> None:
    image, ints = PortType("ImageField"), PortType("IntegerField")
    assert compatible(ints, PortType("FloatField")) and compatible(ints, PortType("StringField"))
    assert not compatible(PortType("FloatField"), ints)
    assert compatible(PortType("ImageField", COLLECTION), PortType("ImageField", SINGLE_OR_COLLECTION))
    assert not compatible(PortType("ImageField", COLLECTION), image)
    assert not compatible(image, PortType("ImageField", COLLECTION))
    assert compatible(PortType("CollectionItemField"), image)
    assert compatible(image, PortType("CollectionItemField"))
    assert not compatible(PortType("ImageField", COLLECTION), PortType("CollectionItemField"))
    assert compatible(PortType("CollectionField", COLLECTION), PortType("IntegerField", COLLECTION))
    assert compatible(PortType("LatentsField", COLLECTION), PortType("CollectionField", COLLECTION))
    assert compatible(PortType("AnyField"), image) and compatible(image, PortType("AnyField"))
    assert compatible(PortType("EnumField", SINGLE, ("a",)), PortType("EnumField", SINGLE, ("a", "b")))
    assert not compatible(
        PortType("EnumField", SINGLE, ("a", "c")), PortType("EnumField", SINGLE, ("a", "b"))
    )


# -- the builder ----------------------------------------------------------------------------------


class Blur(enum.Enum):
    BOX = "box"


class Base(enum.StrEnum):
    SDXL = "sdxl"


def test_builder_ids_edges_and_value_conversion(nodes: NodeCatalog) -> None:
    g = nodes.graph()
    dto = SimpleNamespace(image_name="in.png")
    board = SimpleNamespace(board_id="b1")
    blur = nodes.img_blur(image=dto, radius=2, blur_type=Blur.BOX)
    save = g.add(nodes.save_image(image=blur.image, board=board))  # pulls blur in, upstream first
    assert list(g.nodes) == ["img_blur_1", "save_image_1"] and save.id == "save_image_1"
    blank = g.add(nodes.blank_image(color=(1, 2, 3)), id="canvas")
    assert blank.values["color"] == {"r": 1, "g": 2, "b": 3, "a": 255}
    assert g.to_dict() == {
        "nodes": {
            "img_blur_1": {
                "id": "img_blur_1",
                "type": "img_blur",
                "image": {"image_name": "in.png"},
                "radius": 2,
                "blur_type": "box",
            },
            "save_image_1": {"id": "save_image_1", "type": "save_image", "board": {"board_id": "b1"}},
            "canvas": {"id": "canvas", "type": "blank_image", "color": {"r": 1, "g": 2, "b": 3, "a": 255}},
        },
        "edges": [edge("img_blur_1", "image", "save_image_1", "image")],
    }
    model = SimpleNamespace(key="k", hash="h", name="n", base=Base.SDXL, type="main")
    loader = nodes.sdxl_model_loader(model=model)
    assert loader.values["model"] == {"key": "k", "hash": "h", "name": "n", "base": "sdxl", "type": "main"}
    with pytest.raises(ValidationError, match="model config"):
        nodes.sdxl_model_loader(model="Juggernaut")
    with pytest.raises(ValidationError, match="already has a node 'canvas'"):
        g.add(nodes.blank_image(), id="canvas")
    with pytest.raises(ValidationError, match=r"only collect\.item"):
        nodes.add(a=[blank.width, blank.height])
    assert nodes["if"].type == "if" and nodes.if_.type == "if"


def test_builder_graph_checks_like_a_dict(nodes: NodeCatalog) -> None:
    g = nodes.graph()
    f = g.add(nodes.float(value=1.5))
    g.add(nodes.add(a=f.value), id="sum")
    assert {(p.code, p.node_id, p.field) for p in g.validate()} == {("type_mismatch", "sum", "a")}
    with pytest.raises(GraphValidationError):
        g.check()


def test_batch_nodes_become_batch_data_grouped_as_the_gui_does(nodes: NodeCatalog) -> None:
    g = nodes.graph()
    alone = nodes.integer_batch(integers=[1, 2, 3])
    first = nodes.string_batch(strings=["a", "b"], batch_group_id="Group 1")
    second = nodes.integer_batch(integers=[7, 8], batch_group_id="Group 1")
    g.add(nodes.add(a=alone.value, b=second.value), id="sum")
    g.add(nodes.string(value=first.value), id="text")
    batch = g.to_batch(runs=2)
    assert batch["runs"] == 2 and set(batch["graph"]["nodes"]) == {"sum", "text"}
    assert batch["data"] == [
        [{"node_path": "sum", "field_name": "a", "items": [1, 2, 3]}],
        [
            {"node_path": "sum", "field_name": "b", "items": [7, 8]},
            {"node_path": "text", "field_name": "value", "items": ["a", "b"]},
        ],
    ]
    assert g.validate().ok


# -- workflows and code ---------------------------------------------------------------------------


def test_export_has_every_template_field_a_layout_and_a_form(nodes: NodeCatalog) -> None:
    g = nodes.graph()
    canvas = g.add(nodes.blank_image(width=64, height=32), id="canvas", label="Canvas")
    blur = g.add(nodes.img_blur(image=canvas.image, radius=3), id="blur")
    g.add(nodes.save_image(image=blur.image), id="save")
    doc = g.to_workflow(name="Blur", inputs=[(blur, "radius", "Blur Radius"), ("canvas", "width")])
    data = doc.to_dict()
    assert data["meta"]["version"] == "4.0.0"
    by_id = {n["id"]: n for n in data["nodes"]}
    for node in data["nodes"]:
        schema = nodes.schemas.get(node["data"]["type"])
        assert schema is not None and list(node["data"]["inputs"]) == template_fields(schema)
        assert node["data"]["version"] == schema.raw["version"]
    assert [by_id[i]["position"]["x"] for i in ("canvas", "blur", "save")] == [0, 400, 800]
    assert by_id["canvas"]["data"]["label"] == "Canvas"
    assert [(i.node_id, i.field_name) for i in doc.inputs] == [("blur", "radius"), ("canvas", "width")]
    assert next(i.label for i in doc.inputs) == "Blur Radius"
    back = WorkflowDocument.load(doc.to_json(), schemas=nodes.schemas)
    assert canonical_graph(back.to_graph(), nodes.schemas) == canonical_graph(g, nodes.schemas)
    assert canonical_graph(Graph.from_workflow(back, nodes), nodes.schemas) == canonical_graph(
        g, nodes.schemas
    )
    with pytest.raises(WorkflowError, match="no input 'radiuss'"):
        g.to_workflow(inputs=[(blur, "radiuss")])


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_shipped_workflows_have_every_template_field(path: Path, nodes: NodeCatalog) -> None:
    data = json.loads(path.read_text())
    assert fill_missing_fields(data, nodes.schemas) == data


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_workflow_to_graph_and_to_python_rebuild_the_same_graph(path: Path, nodes: NodeCatalog) -> None:
    doc = WorkflowDocument.load(path, schemas=nodes.schemas)
    graph = Graph.from_workflow(doc, nodes)
    gui = build_graph(doc.to_dict(), schemas=nodes.schemas)
    assert canonical_graph(graph, nodes.schemas) == canonical_graph(gui, nodes.schemas)
    assert graph.to_dict()["nodes"] == gui["nodes"]  # node for node, value for value
    namespace: dict[str, Any] = {}
    exec(compile(to_python(graph), f"<{path.name}>", "exec"), namespace)
    rebuilt: Graph = namespace["build"](nodes)
    assert rebuilt.to_batch() == graph.to_batch()
    assert {n.id: n.label for n in rebuilt.nodes.values()} == {n.id: n.label for n in graph.nodes.values()}


def test_generator_workflows_become_the_same_batch_data(nodes: NodeCatalog) -> None:
    doc = WorkflowDocument.load(
        ROOT / "tests" / "fixtures" / "workflows" / "generators-v4.json", schemas=nodes.schemas
    )
    fixed = {
        "boardimgs": ["a.png", "b.png"],
        "prompts": ["a red fox", "a blue fox"],
    }  # kinds the server expands
    graph = Graph.from_workflow(doc, nodes)
    assert graph.to_batch(generated=fixed)["data"] == doc.to_batch(generated=fixed)["data"]
    with pytest.raises(WorkflowError, match="needs the server"):
        graph.to_batch()
    namespace: dict[str, Any] = {}
    exec(compile(graph.to_python(), "generators", "exec"), namespace)
    assert namespace["build"](nodes).to_batch(generated=fixed) == graph.to_batch(generated=fixed)


def test_a_generator_node_feeds_a_batch_node_in_code(nodes: NodeCatalog) -> None:
    g = nodes.graph()
    steps = nodes.integer_generator(
        generator={"type": "integer_generator_arithmetic_sequence", "start": 10, "step": 5, "count": 3}
    )
    sizes = nodes.integer_batch(integers=steps.integers)
    g.add(nodes.add(a=sizes.value, b=1), id="sum")
    batch = g.to_batch()
    assert set(batch["graph"]["nodes"]) == {"sum"}
    assert batch["data"] == [[{"node_path": "sum", "field_name": "a", "items": [10, 15, 20]}]]


def test_stub_module_compiles_for_any_schema(nodes: NodeCatalog) -> None:
    source = generate(OPENAPI, version="6.14.2", class_name="Custom")
    compile(source, "custom_nodes.py", "exec")
    assert "class Custom(Protocol)" in source and "def img_blur(" in source and "def if_(" in source
    assert 'blur_type: Literal["gaussian", "box"] | Output | None = ...' in source.replace("'", '"')


def test_older_servers_model_kinds_are_one_type() -> None:
    """5.x/6.3 servers tag model inputs ``MainModelField``, ...; any model identifier feeds them."""
    lookup = dict[str, Any]().get
    assert parse_port(
        {"$ref": "#/components/schemas/ModelIdentifierField", "ui_type": "MainModelField"}, lookup
    ) == (PortType("ModelIdentifierField"))
    assert parse_port({"ui_type": "SchedulerField", "enum": ["euler"]}, lookup) == PortType("SchedulerField")


def test_workflow_fields_another_release_has_are_left_out(nodes: NodeCatalog) -> None:
    """A newer GUI's workflow has inputs this server lacks: it would ignore them, so they are not sent."""
    doc = json.loads((ROOT / "workflows" / "blur-to-board.json").read_text())
    blur = next(n for n in doc["nodes"] if n["id"] == "blur")
    blur["data"]["inputs"]["sharpen"] = {"name": "sharpen", "label": "", "description": "", "value": 2}
    graph = build_graph(doc, schemas=nodes.schemas)
    assert "sharpen" not in graph["nodes"]["blur"] and validate_graph(graph, nodes.schemas).ok
    assert build_graph(doc)["nodes"]["blur"]["sharpen"] == 2  # unbound: sent as written
