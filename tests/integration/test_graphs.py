"""Graphs in code against the real server: the builder, the local check, and what the server does."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from invokeai_sdk import (
    AsyncInvokeAI,
    GraphValidationError,
    JobFailedError,
    UnprocessableEntityError,
)
from invokeai_sdk.graphs import Graph, NodeCatalog, canonical_graph, core_nodes
from invokeai_sdk.graphs.stubgen import generate, load_openapi
from invokeai_sdk.workflows import build_graph

from ..graph_mistakes import MISTAKES, ints
from ._graphs import edge

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SAVED_SCHEMAS = Path(__file__).resolve().parents[1] / "fixtures" / "openapi" / "invokeai-6.14.2-nodes.json.gz"


def _blur_chain(nodes: NodeCatalog) -> Graph:
    g = nodes.graph()
    blank = g.add(
        nodes.blank_image(width=48, height=32, color=(200, 40, 10), is_intermediate=True), id="blank"
    )
    blur = g.add(nodes.img_blur(image=blank.image, radius=3, blur_type="box", is_intermediate=True))
    g.add(nodes.save_image(image=blur.image, is_intermediate=False), id="save")
    return g


def _blur_chain_raw() -> dict[str, Any]:
    return {
        "nodes": {
            "blank": {
                "id": "blank",
                "type": "blank_image",
                "width": 48,
                "height": 32,
                "color": {"r": 200, "g": 40, "b": 10, "a": 255},
                "is_intermediate": True,
            },
            "img_blur_1": {
                "id": "img_blur_1",
                "type": "img_blur",
                "radius": 3,
                "blur_type": "box",
                "is_intermediate": True,
            },
            "save": {"id": "save", "type": "save_image", "is_intermediate": False},
        },
        "edges": [
            edge("blank", "image", "img_blur_1", "image"),
            edge("img_blur_1", "image", "save", "image"),
        ],
    }


async def _pixels(ivk: AsyncInvokeAI, outputs: dict[str, list[dict[str, Any]]]) -> tuple[Any, ...]:
    image = await ivk.images.open_image(outputs["save"][0]["image"]["image_name"])
    return image.size, image.mode, image.tobytes()


async def test_builder_graph_and_raw_dict_are_accepted_and_give_identical_outputs(ivk: AsyncInvokeAI) -> None:
    nodes = await ivk.graphs.nodes()
    g = _blur_chain(nodes)
    assert g.to_dict() == _blur_chain_raw()
    assert (await ivk.graphs.validate(g)).ok and (await ivk.graphs.validate(_blur_chain_raw())).ok
    built = await ivk.queue.run(g, wait_timeout=60)
    raw = await ivk.queue.run(_blur_chain_raw(), wait_timeout=60)
    assert set(built) == set(raw) == {"blank", "img_blur_1", "save"}
    assert built["save"][0]["width"] == 48 and built["save"][0]["height"] == 32
    assert await _pixels(ivk, built) == await _pixels(ivk, raw)


async def test_iterate_collect_and_batch_nodes_as_the_gui_uses_them(ivk: AsyncInvokeAI) -> None:
    nodes = await ivk.graphs.nodes()
    g = nodes.graph()
    numbers = [g.add(nodes.integer(value=v)) for v in (1, 2, 3)]
    bag = g.add(nodes.collect(item=[n.value for n in numbers]))
    each = g.add(nodes.iterate(collection=bag.collection))
    g.add(nodes.add(a=each.item, b=10, use_cache=False), id="sum")
    assert g.validate().ok
    outputs = await ivk.queue.run(g, wait_timeout=60)
    assert sorted(o["value"] for o in outputs["sum"]) == [11, 12, 13]

    batch = nodes.graph()
    sizes = nodes.integer_batch(integers=[16, 24], batch_group_id="Group 1")
    heights = nodes.integer_batch(integers=[8, 12], batch_group_id="Group 1")
    blank = batch.add(nodes.blank_image(width=sizes.value, height=heights.value), id="blank")
    batch.add(nodes.save_image(image=blank.image), id="save")
    assert batch.to_batch()["data"] == [
        [
            {"node_path": "blank", "field_name": "width", "items": [16, 24]},
            {"node_path": "blank", "field_name": "height", "items": [8, 12]},
        ]
    ]
    handle = await ivk.queue.enqueue(batch)
    assert len(handle.item_ids) == 2  # zipped: one group of two
    await handle.wait(wait_timeout=60)
    widths = set()
    for job in handle.jobs:
        widths.add((await job.outputs())["save"][0]["width"])
    assert widths == {16, 24}


async def _server_refuses(ivk: AsyncInvokeAI, graph: dict[str, Any]) -> str:
    """How the server refuses the raw graph: ``"422"`` at enqueue, or ``"failed"`` when it runs."""
    try:
        handle = await ivk.queue.enqueue(graph, validate=False)
    except UnprocessableEntityError:
        return "422"
    with pytest.raises(JobFailedError):
        await handle.wait(wait_timeout=60)
    return "failed"


@pytest.mark.parametrize(("case", "graph", "expected"), MISTAKES, ids=[m[0] for m in MISTAKES])
async def test_each_mistake_is_caught_locally_and_refused_by_the_server(
    ivk: AsyncInvokeAI, case: str, graph: dict[str, Any], expected: tuple[str, str, str | None]
) -> None:
    code, node_id, field = expected
    report = await ivk.graphs.validate(graph)
    found = [(p.code, p.node_id, p.field) for p in report.problems]
    assert (code, node_id, field) in found, report
    status = await ivk.queue.status()
    with pytest.raises(GraphValidationError) as caught:
        await ivk.queue.enqueue(graph)
    assert caught.value.problems == list(report.problems)
    assert node_id in str(caught.value)
    assert (await ivk.queue.status()).queue.total == status.queue.total  # nothing was sent
    assert await _server_refuses(ivk, graph) in ("422", "failed")


async def test_unknown_node_type_is_reported_briefly_with_a_suggestion(ivk: AsyncInvokeAI) -> None:
    graph = MISTAKES[0][1]
    with pytest.raises(GraphValidationError) as caught:
        await ivk.queue.enqueue(graph)
    message = str(caught.value)
    assert "did you mean 'img_blur'" in message and len(message) < 300
    with pytest.raises(UnprocessableEntityError) as server:
        await ivk.queue.enqueue(graph, validate=False)
    assert len(str(server.value.detail)) > 20 * len(message)  # the server lists every node type


async def test_every_problem_is_reported_at_once(ivk: AsyncInvokeAI) -> None:
    graph = {
        "nodes": {
            **ints(),
            "s": {"id": "s", "type": "add", "b": "x"},
            "b": {"id": "b", "type": "img_blur", "radiuss": 3, "blur_type": "GAUSS"},
        },
        "edges": [edge("f", "value", "s", "a"), edge("ghost", "image", "b", "image")],
    }
    report = await ivk.graphs.validate(graph)
    assert {(p.code, p.node_id, p.field) for p in report.problems} == {
        ("bad_value", "s", "b"),
        ("unknown_field", "b", "radiuss"),
        ("bad_value", "b", "blur_type"),
        ("type_mismatch", "s", "a"),
        ("missing_node", "ghost", "image"),
    }


async def test_unknown_field_is_refused_locally_but_silently_dropped_by_the_server(
    ivk: AsyncInvokeAI,
) -> None:
    """The deliberate exception: the server runs ``radiuss=3`` and ignores it; the SDK refuses it."""
    graph = _blur_chain_raw()
    graph["nodes"]["img_blur_1"]["radiuss"] = 30
    report = await ivk.graphs.validate(graph)
    assert [(p.code, p.node_id, p.field) for p in report.problems] == [
        ("unknown_field", "img_blur_1", "radiuss")
    ]
    assert "did you mean 'radius'" in str(report)
    with pytest.raises(GraphValidationError):
        await ivk.queue.run(graph)
    typo = await ivk.queue.run(graph, validate=False, wait_timeout=60)
    plain = await ivk.queue.run(_blur_chain_raw(), wait_timeout=60)
    assert await _pixels(ivk, typo) == await _pixels(ivk, plain)  # it ran and did nothing


async def test_two_edges_into_one_input_are_refused_locally_the_server_keeps_one(ivk: AsyncInvokeAI) -> None:
    """A second exception: the server runs a graph with two edges into ``add.a`` and uses one of them."""
    graph = {
        "nodes": {
            "a": {"id": "a", "type": "integer", "value": 2},
            "b": {"id": "b", "type": "integer", "value": 30},
            "s": {"id": "s", "type": "add", "b": 100, "use_cache": False},
        },
        "edges": [edge("a", "value", "s", "a"), edge("b", "value", "s", "a")],
    }
    report = await ivk.graphs.validate(graph)
    assert [(p.code, p.node_id, p.field) for p in report.problems] == [("duplicate_input", "s", "a")]
    outputs = await ivk.queue.run(graph, validate=False, wait_timeout=60)
    assert outputs["s"][0]["value"] in (102, 130)  # one edge silently lost


async def test_builder_refuses_unknown_inputs_and_node_types_at_once(ivk: AsyncInvokeAI) -> None:
    nodes = await ivk.graphs.nodes()
    with pytest.raises(GraphValidationError, match="did you mean 'radius'"):
        nodes.img_blur(radiuss=3)
    with pytest.raises(AttributeError, match="did you mean 'img_blur'"):
        nodes.img_blurr  # noqa: B018
    blank = nodes.blank_image()
    with pytest.raises(AttributeError, match="outputs: image, width, height"):
        blank.imag  # noqa: B018


async def test_exported_workflow_is_accepted_by_the_library_and_loads_back_to_the_same_graph(
    ivk: AsyncInvokeAI,
) -> None:
    nodes = await ivk.graphs.nodes()
    g = _blur_chain(nodes)
    blur = g["img_blur_1"]
    doc = g.to_workflow(name="From code", author="sdk tests", inputs=[(blur, "radius", "Blur Radius")])
    record = await ivk.workflows.create(doc)
    stored = await ivk.workflows.load(record.workflow_id)
    assert stored.name == "From code" and stored.schema_version == "4.0.0"
    assert [(i.node_id, i.field_name, i.label) for i in stored.inputs] == [
        ("img_blur_1", "radius", "Blur Radius")
    ]
    assert canonical_graph(stored.to_graph(), nodes.schemas) == canonical_graph(g, nodes.schemas)
    assert canonical_graph(Graph.from_workflow(stored, nodes), nodes.schemas) == canonical_graph(
        g, nodes.schemas
    )
    stored.inputs["Blur Radius"] = 3  # the exported workflow runs as a GUI workflow too
    run = await ivk.workflows.run(stored)
    await run.wait(wait_timeout=60)
    (outputs,) = await run.outputs()
    built = await ivk.queue.run(g, wait_timeout=60)
    image = await ivk.images.open_image(outputs.images("save")[0])
    assert (image.size, image.mode, image.tobytes()) == await _pixels(ivk, built)


async def test_python_code_rebuilds_every_builtin_the_server_can_build(ivk: AsyncInvokeAI) -> None:
    nodes = await ivk.graphs.nodes()
    rebuilt = 0
    async for summary in ivk.workflows.list(categories="default", per_page=100):
        doc = await ivk.workflows.load(summary.workflow_id)
        if doc.unknown_node_types:
            continue  # built-ins made with node types this server no longer has
        graph = Graph.from_workflow(doc, nodes)
        assert canonical_graph(graph, nodes.schemas) == canonical_graph(
            build_graph(doc.to_dict(), schemas=nodes.schemas), nodes.schemas
        ), summary.name
        namespace: dict[str, Any] = {}
        exec(compile(graph.to_python(), summary.name, "exec"), namespace)
        again: Graph = namespace["build"](nodes)
        assert again.to_batch() == graph.to_batch(), summary.name
        rebuilt += 1
    assert rebuilt == 23


async def test_typed_core_nodes_are_generated_from_this_servers_schema(ivk: AsyncInvokeAI) -> None:
    """The saved node schemas behind ``core_nodes.py`` are the real server's: both make the same module."""
    assert (await ivk.app.version()).version == core_nodes.SERVER_VERSION
    saved = load_openapi(str(SAVED_SCHEMAS))
    live = await ivk.app.openapi()
    assert generate(live, version="6.14.2", class_name="CoreNodes") == generate(
        saved, version="6.14.2", class_name="CoreNodes"
    )
    nodes = core_nodes.typed(await ivk.graphs.nodes())
    blur = nodes.img_blur(radius=2)
    assert blur.type == "img_blur" and blur.image.field == "image"


async def test_sdxl_example_graph_is_checked_clean_and_accepted_by_the_server(ivk: AsyncInvokeAI) -> None:
    """The SDXL graph of ``examples/sdxl_graph.py``: no weights here, so it fails at run time, not enqueue."""
    spec = importlib.util.spec_from_file_location("sdxl_graph", EXAMPLES / "sdxl_graph.py")
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    stand_in = {"key": "no-such-model", "hash": "h", "name": "n", "base": "sdxl", "type": "main"}
    g = example.build_sdxl(await ivk.graphs.nodes(), stand_in)
    assert (await ivk.graphs.validate(g)).ok
    handle = await ivk.queue.enqueue(g)  # checked locally, then accepted (no 422)
    with pytest.raises(JobFailedError):
        await handle.wait(wait_timeout=120)


async def test_a_new_graph_from_the_namespace_runs(ivk: AsyncInvokeAI) -> None:
    g = await ivk.graphs.new()
    nodes = await ivk.graphs.nodes()
    blank = g.add(nodes.blank_image(width=8, height=8, is_intermediate=True), id="blank")
    g.add(nodes.save_image(image=blank.image, is_intermediate=False), id="save")
    outputs = await ivk.queue.run(g, wait_timeout=60)
    assert outputs["save"][0]["width"] == 8
