"""The tour: connect, make a board, upload an image, run a GUI workflow on it, download the results.

Run it with ``nox -s demo`` (starts a local server unless ``INVOKEAI_BASE_URL`` is set), or directly:
``INVOKEAI_BASE_URL=http://127.0.0.1:9090 python examples/quickstart.py``. Needs no model weights.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import anyio
from PIL import Image

from invokeai_sdk import AsyncInvokeAI

WORKFLOWS = Path(__file__).resolve().parent.parent / "workflows"


async def main() -> None:
    async with AsyncInvokeAI() as ivk:  # INVOKEAI_BASE_URL, else http://127.0.0.1:9090
        health = await ivk.app.health()
        features = await ivk.app.features()
        print(f"server {ivk.base_url}: ok={health.ok} version={health.version} ({health.latency_ms:.0f} ms)")
        print(f"  {len(features.paths)} API paths, {len(features.invocation_types)} node types")

        board = await ivk.boards.create("invokeai-sdk tour")
        picture = Image.new("RGB", (256, 192), (30, 144, 255))
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG")
        uploaded = await ivk.images.upload(buffer.getvalue(), board=board)
        size = f"{uploaded.width}x{uploaded.height}"
        print(f"uploaded {uploaded.image_name} ({size}) to board {board.board_name!r}")

        # A workflow exported from the InvokeAI GUI: typed inputs from its form, set from code.
        wf = await ivk.workflows.load(WORKFLOWS / "resize-and-crop.json")
        for item in wf.inputs:
            print(f"  input #{item.index} {item.label!r} ({item.kind}) = {wf.inputs[item.index]!r}")
        wf.inputs["Image"] = uploaded  # by label, index or (node id, field); a name, DTO, path or bytes

        run = await ivk.workflows.run(wf, board=board)
        await run.wait(wait_timeout=120)
        outputs = (await run.outputs())[0]
        print(f"workflow {wf.name!r} finished: outputs of nodes {sorted(outputs)}")

        with tempfile.TemporaryDirectory() as folder:
            paths = await run.download_images(folder)
            for path in paths:
                print(f"  downloaded {path.name}: {path.stat().st_size} bytes")

        latest = await ivk.images.latest(board=board)
        print(f"newest image on the board: {latest.image_name if latest else None}")
        await ivk.boards.delete(board, include_images=True)
        print("board and its images deleted")


if __name__ == "__main__":
    anyio.run(main)
