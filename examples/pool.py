"""Spread one sweep over several InvokeAI servers and collect every image into one folder.

python examples/pool.py            # INVOKEAI_POOL_URLS="http://gpu1:9090,http://gpu2:9090"
                                   # (else INVOKEAI_BASE_URL alone, else http://127.0.0.1:9090)
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import anyio

from invokeai_sdk import AsyncInvokeAI
from invokeai_sdk.pool import AsyncInvokeAIPool


def blur_graph() -> dict[str, Any]:
    """A model-free graph: a blank image, blurred, saved."""

    def edge(a: str, b: str) -> dict[str, Any]:
        return {"source": {"node_id": a, "field": "image"}, "destination": {"node_id": b, "field": "image"}}

    return {
        "nodes": {
            "blank": {
                "id": "blank",
                "type": "blank_image",
                "width": 128,
                "height": 96,
                "is_intermediate": True,
            },
            "blur": {"id": "blur", "type": "img_blur", "radius": 1, "is_intermediate": True},
            "save": {"id": "save", "type": "save_image", "is_intermediate": False},
        },
        "edges": [edge("blank", "blur"), edge("blur", "save")],
    }


async def main() -> None:
    urls = (
        os.environ.get("INVOKEAI_POOL_URLS") or os.environ.get("INVOKEAI_BASE_URL") or "http://127.0.0.1:9090"
    )
    async with AsyncInvokeAIPool(urls.split(",")) as pool:
        sweep = [[{"node_path": "blur", "field_name": "radius", "items": [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]}]]
        run = await pool.enqueue(blur_graph(), data=sweep)  # six one-item batches, spread by free capacity
        async for status in run.progress(every=0.5):
            print(f"{status.completed}/{status.total} done, per server: {status.per_server}")
        await run.wait()
        with tempfile.TemporaryDirectory() as folder:
            paths = await run.download_images(folder)  # from whichever server made each image
            print(f"downloaded {len(paths)} images into one folder")
        for info in pool.server_info():
            speed = f"{info.seconds_per_item:.2f} s/item" if info.seconds_per_item else "no item yet"
            print(f"{info.name}: up={info.up}, {info.completed} done, {speed}")
        made = await run.images(include_intermediate=True)
    # Clean up: delete what the sweep made, on the server that holds each image.
    for server in sorted({image.server for image in made}):
        async with AsyncInvokeAI(server) as ivk:
            await ivk.images.delete_many([image.image_name for image in made if image.server == server])


if __name__ == "__main__":
    anyio.run(main)
