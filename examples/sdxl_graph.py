"""An SDXL text-to-image graph built in code, node for node as the GUI's linear view builds it.

python examples/sdxl_graph.py            # uses INVOKEAI_BASE_URL, else http://127.0.0.1:9090

The nodes and edges follow the GUI's ``buildSDXLGraph.ts`` for the same parameters: an SDXL model
loader, the prompts through ``sdxl_compel_prompt`` and ``collect`` nodes, seeded noise, denoise,
latents to image. With an SDXL model installed the graph runs and the image is downloaded; without
one (a test server) it is only checked, with a stand-in model identifier, and printed.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import anyio

from invokeai_sdk import AsyncInvokeAI
from invokeai_sdk.graphs import Graph, NodeCatalog

PARAMS = {
    "prompt": "a lighthouse on a cliff at dawn, detailed",
    "negative": "blurry, low quality",
    "width": 1024,
    "height": 1024,
    "seed": 1234,
    "steps": 30,
    "cfg_scale": 6.0,
    "scheduler": "dpmpp_2m_k",
}


def build_sdxl(nodes: NodeCatalog, model: Any, params: dict[str, Any] = PARAMS) -> Graph:
    """The text-to-image graph for ``params`` (``model``: an SDXL main model config or identifier)."""
    g = nodes.graph(id="sdxl_graph")
    loader = g.add(nodes.sdxl_model_loader(model=model), id="sdxl_model_loader")
    positive = g.add(nodes.string(value=params["prompt"]), id="positive_prompt")
    pos_cond = g.add(
        nodes.sdxl_compel_prompt(
            prompt=positive.value, style=positive.value, clip=loader.clip, clip2=loader.clip2
        ),
        id="pos_cond",
    )
    pos_collect = g.add(nodes.collect(item=pos_cond.conditioning), id="pos_cond_collect")
    neg_cond = g.add(
        nodes.sdxl_compel_prompt(
            prompt=params["negative"], style=params["negative"], clip=loader.clip, clip2=loader.clip2
        ),
        id="neg_cond",
    )
    neg_collect = g.add(nodes.collect(item=neg_cond.conditioning), id="neg_cond_collect")
    seed = g.add(nodes.integer(value=params["seed"]), id="seed")
    noise = g.add(
        nodes.noise(seed=seed.value, width=params["width"], height=params["height"], use_cpu=True), id="noise"
    )
    denoise = g.add(
        nodes.denoise_latents(
            positive_conditioning=pos_collect.collection,
            negative_conditioning=neg_collect.collection,
            noise=noise.noise,
            unet=loader.unet,
            cfg_scale=params["cfg_scale"],
            cfg_rescale_multiplier=0,
            scheduler=params["scheduler"],
            steps=params["steps"],
            denoising_start=0,
            denoising_end=1,
        ),
        id="denoise_latents",
    )
    g.add(
        nodes.l2i(latents=denoise.latents, vae=loader.vae, fp32=False, is_intermediate=False),
        id="canvas_output",
    )
    return g


async def main() -> None:
    async with AsyncInvokeAI() as ivk:
        nodes = await ivk.graphs.nodes()
        models = await ivk.models.list(base="sdxl", type="main").to_list()
        stand_in = {
            "key": "no-sdxl-model",
            "hash": "none",
            "name": "stand-in",
            "base": "sdxl",
            "type": "main",
        }
        g = build_sdxl(nodes, models[0] if models else stand_in)
        print(f"{len(g)} nodes:", ", ".join(f"{n.id} ({n.type})" for n in g.nodes.values()))
        print("check:", await ivk.graphs.validate(g))
        if not models:
            print("no SDXL main model installed: checked, not run")
            return
        outputs = await ivk.queue.run(g, wait_timeout=1800)
        image_name = outputs["canvas_output"][0]["image"]["image_name"]
        with tempfile.TemporaryDirectory() as folder:
            path = await ivk.images.download_to(image_name, Path(folder))
            print("downloaded", path.name, path.stat().st_size, "bytes")
        await ivk.images.delete(image_name)


if __name__ == "__main__":
    anyio.run(main)
