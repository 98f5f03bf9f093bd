"""``WorkflowDocument.to_batch()`` cost against a plain deep copy of the same workflow JSON."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

from _common import report

from invokeai_sdk import AsyncInvokeAI
from invokeai_sdk.workflows import WorkflowDocument

ROOT = Path(__file__).resolve().parents[2]


def _chain(length: int) -> dict[str, Any]:
    """A GUI-format workflow of ``length`` nodes: a canvas, blurs, a save (the size of the largest seed)."""
    base = WorkflowDocument.load(ROOT / "workflows" / "blur-to-board.json").to_dict()
    canvas, blur, save = base["nodes"]
    nodes = [canvas]
    edges = []
    previous = "canvas"
    for index in range(length - 2):
        node = copy.deepcopy(blur)
        node["id"] = node["data"]["id"] = f"blur{index}"
        nodes.append(node)
        edges.append(_edge(previous, f"blur{index}"))
        previous = f"blur{index}"
    nodes.append(save)
    edges.append(_edge(previous, "save"))
    base["nodes"], base["edges"] = nodes, edges
    return base


def _edge(source: str, target: str) -> dict[str, Any]:
    return {
        "id": f"{source}-{target}",
        "type": "default",
        "source": source,
        "target": target,
        "sourceHandle": "image",
        "targetHandle": "image",
    }


def _p50(fn: Any, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return sorted(samples)[len(samples) // 2]


async def _largest_builtin(ivk: AsyncInvokeAI) -> WorkflowDocument:
    """The built-in workflow with the most nodes (the server ships 26) that this server can run."""
    best: WorkflowDocument | None = None
    async for summary in ivk.workflows.list(categories="default", per_page=50):
        wf = await ivk.workflows.load(summary.workflow_id)
        if wf.unknown_node_types:
            continue
        if best is None or len(wf.to_dict()["nodes"]) > len(best.to_dict()["nodes"]):
            best = wf
    assert best is not None
    for item in best.inputs:  # no weights on the bench server: well-formed identifiers do
        if item.kind == "model" and best.inputs[item.index] is None:
            base = (item.spec.raw.get("ui_model_base") or ["any"])[0] if item.spec else "any"
            kind = (item.spec.raw.get("ui_model_type") or ["main"])[0] if item.spec else "main"
            best.inputs[item.index] = {
                "key": f"k-{item.field_name}",
                "hash": "h",
                "name": "m",
                "base": base,
                "type": kind,
            }
    return best


async def main(base_url: str) -> None:
    async with AsyncInvokeAI(base_url) as ivk:
        schemas = (await ivk.app.features()).invocations
        raw = _chain(37)
        wf = WorkflowDocument.load(raw, schemas=schemas)
        wf.to_batch()  # warm the schema caches
        baseline = _p50(lambda: copy.deepcopy(raw), 300)
        cost = _p50(wf.to_batch, 300)
        report("to_batch() 37-node chain vs deepcopy of its JSON", cost, baseline, goal="<= 1 ms absolute")
        large = await _largest_builtin(ivk)
        large_raw = large.to_dict()
        large.to_batch()
        nodes = len(large_raw["nodes"])
        base_large = _p50(lambda: copy.deepcopy(large_raw), 300)
        cost_large = _p50(large.to_batch, 300)
        report(
            f"to_batch() largest built-in ({large.name}, {nodes} nodes) vs deepcopy of its JSON",
            cost_large,
            base_large,
            goal="<= 1 ms absolute",
        )
        seed = next((i for i in large.inputs if i.kind == "integer" and i.field_name == "seed"), None)
        if seed is not None:
            seeds = list(range(1000))
            sweep_large = _p50(lambda: large.to_batch(sweep={seed.index: seeds}), 100)
            report(
                "to_batch() largest built-in with a 1,000-item seed sweep vs deepcopy of its JSON",
                sweep_large,
                base_large,
                goal="one request",
            )
        small = await ivk.workflows.load(ROOT / "workflows" / "blur-to-board.json")
        small_raw = small.to_dict()
        radii = [float(r % 50) for r in range(1000)]
        base_small = _p50(lambda: copy.deepcopy(small_raw), 100)
        sweep = _p50(lambda: small.to_batch(sweep={"Blur Radius": radii}), 100)
        report(
            "to_batch() with a 1,000-item sweep vs deepcopy of the JSON",
            sweep,
            base_small,
            goal="one request",
        )
        # Generators: a seeded 1,000-value random generator (the GUI's Mersenne Twister) feeding a batch.
        generators = WorkflowDocument.load(ROOT / "tests" / "fixtures" / "workflows" / "generators-v4.json")
        generators.bind(schemas)
        generators.inputs["Widths"] = {
            "type": "integer_generator_random_distribution_uniform",
            "min": 32,
            "max": 96,
            "count": 1000,
            "seed": 7,
        }
        generators.inputs["Radii"] = {
            "type": "float_generator_linear_distribution",
            "start": 0,
            "end": 8,
            "count": 1000,
        }
        fixed = {"boardimgs": ["a.png"], "prompts": ["a fox"]}
        gen_raw = generators.to_dict()
        base_gen = _p50(lambda: copy.deepcopy(gen_raw), 100)
        expanded = _p50(lambda: generators.to_batch(generated=fixed), 100)
        report(
            "to_batch() expanding two 1,000-item generators vs deepcopy of the JSON",
            expanded,
            base_gen,
            goal="<= 5 ms absolute",
        )
