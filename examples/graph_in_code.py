"""Build a model-free pipeline in code, check it, run it, download the outputs, then clean up.

python examples/graph_in_code.py            # uses INVOKEAI_BASE_URL, else http://127.0.0.1:9090

Node types come from the connected server (custom nodes too): each is a callable taking its inputs
as keyword arguments; passing another node's output (``canvas.image``) makes an edge.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import anyio

from invokeai_sdk import AsyncInvokeAI, GraphValidationError


async def main() -> None:
    async with AsyncInvokeAI() as ivk:
        nodes = await ivk.graphs.nodes()
        board = await ivk.boards.create("graph in code example")
        made: list[str] = []  # the intermediate images this run makes, deleted at the end
        try:
            g = nodes.graph()
            canvas = g.add(
                nodes.blank_image(width=96, height=64, color=(30, 120, 200), is_intermediate=True),
                id="canvas",
            )
            blur = g.add(nodes.img_blur(image=canvas.image, radius=3, blur_type="box", is_intermediate=True))
            small = g.add(nodes.img_resize(image=blur.image, width=48, height=32, is_intermediate=True))
            g.add(nodes.save_image(image=small.image, board=board, is_intermediate=False), id="save")

            # The dry run: every problem at once, nothing sent.
            print("check:", g.validate())
            try:
                blur.set(blur_type="GAUSSIAN")  # a mistake, caught before anything is sent
                await ivk.queue.run(g)
            except GraphValidationError as exc:
                print("refused locally:", exc.problems[0])
            blur.set(blur_type="box")

            outputs = await ivk.queue.run(g, wait_timeout=120)
            made += [outputs[node.id][0]["image"]["image_name"] for node in (canvas, blur, small) if node.id]
            image_name = outputs["save"][0]["image"]["image_name"]
            with tempfile.TemporaryDirectory() as folder:
                path = await ivk.images.download_to(image_name, Path(folder))
                print("downloaded", path.name, path.stat().st_size, "bytes")
            image = await ivk.images.get(image_name)
            print("output:", image.width, "x", image.height, "on board", image.board_id == board.board_id)

            # The same pipeline as a GUI workflow (opens clean in the workflow editor) and as Python code.
            doc = g.to_workflow(name="Graph in code", inputs=[(blur, "radius", "Blur Radius")])
            print("workflow nodes:", [node["id"] for node in doc.to_dict()["nodes"]])
            print(g.to_python().splitlines()[-2].strip())
        finally:
            await ivk.boards.delete(board.board_id, include_images=True)
            if made:
                await ivk.images.delete_many(made)


if __name__ == "__main__":
    anyio.run(main)
