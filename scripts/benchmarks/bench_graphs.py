"""Graphs in code: building and checking a graph against ``to_batch()`` and a JSON round trip."""

from __future__ import annotations

import json
from typing import Any

from _common import report
from bench_workflows import _chain, _p50

from invokeai_sdk import AsyncInvokeAI
from invokeai_sdk.graphs import Graph, NodeCatalog, validate_graph
from invokeai_sdk.workflows import WorkflowDocument


def _build_chain(nodes: NodeCatalog, length: int) -> Graph:
    """The same chain as the reference workflow: a canvas, ``length - 2`` blurs, a save."""
    g = nodes.graph()
    previous = g.add(
        nodes.blank_image(width=256, height=256, mode="RGB", color=(40, 120, 200, 255), is_intermediate=True),
        id="canvas",
    ).image
    for index in range(length - 2):
        blur = nodes.img_blur(image=previous, radius=4.0, blur_type="gaussian", is_intermediate=True)
        previous = g.add(blur, id=f"blur{index}").image
    g.add(nodes.save_image(image=previous, is_intermediate=False, use_cache=False), id="save")
    return g


def _graph_dict(length: int) -> dict[str, Any]:
    nodes: dict[str, Any] = {"n0": {"id": "n0", "type": "blank_image", "width": 64, "height": 64}}
    edges = []
    for index in range(1, length):
        nodes[f"n{index}"] = {"id": f"n{index}", "type": "img_blur", "radius": 2, "blur_type": "box"}
        edges.append(
            {
                "source": {"node_id": f"n{index - 1}", "field": "image"},
                "destination": {"node_id": f"n{index}", "field": "image"},
            }
        )
    return {"nodes": nodes, "edges": edges}


async def main(base_url: str) -> None:
    async with AsyncInvokeAI(base_url) as ivk:
        nodes = await ivk.graphs.nodes()
        schemas = nodes.schemas
        workflow = WorkflowDocument.load(_chain(37), schemas=schemas)
        workflow.to_batch()  # warm the schema caches

        def build_and_check() -> None:
            _build_chain(nodes, 37).check()

        build_and_check()
        baseline = _p50(workflow.to_batch, 300)
        cost = _p50(build_and_check, 300)
        report("build + check 37-node chain vs to_batch() of it", cost, baseline, goal="<= 2x")

        big = _graph_dict(300)
        assert validate_graph(big, schemas).ok
        round_trip = _p50(lambda: json.loads(json.dumps(big)), 300)
        check = _p50(lambda: validate_graph(big, schemas), 300)
        report(
            "check a 300-node graph dict vs its JSON round trip", check, round_trip, goal="< 5 ms absolute"
        )
        built = _build_chain(nodes, 300)
        graph_check = _p50(built.validate, 100)
        report(
            "check a 300-node builder Graph vs the same round trip",
            graph_check,
            round_trip,
            goal="< 5 ms absolute",
        )
