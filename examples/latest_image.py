"""The latest image of a board: make a few, then ask for the newest (one request, intermediates skipped).

python examples/latest_image.py            # uses INVOKEAI_BASE_URL, else http://127.0.0.1:9090

Leaves the server as it found it: the board and its images are deleted at the end.
"""

from __future__ import annotations

import tempfile

import anyio

from invokeai_sdk import AsyncInvokeAI
from invokeai_sdk.workflows import bundled_workflow


async def main() -> None:
    async with AsyncInvokeAI() as ivk:
        board = await ivk.boards.create("latest image demo")
        try:
            print("latest of an empty board:", await ivk.images.latest(board=board))
            wf = await ivk.workflows.load(bundled_workflow("blur-to-board"))
            for radius in (1, 8):  # two runs, one after the other: the second makes the newest image
                wf.inputs["Blur Radius"] = radius
                run = await ivk.workflows.run(wf, board=board)
                await run.wait(wait_timeout=120)
                print(f"radius {radius}: made {await run.images()}")
            newest = await ivk.images.latest(board=board)
            assert newest is not None
            print(f"latest on {board.board_name!r}: {newest.image_name} created {newest.created_at}")
            with tempfile.TemporaryDirectory() as folder:
                path = await ivk.images.download_to(newest.image_name, f"{folder}/")
                print(f"downloaded {path.name}: {path.stat().st_size} bytes")
            metadata = await ivk.images.metadata(newest.image_name)
            print("its metadata keys:", sorted(metadata or {}))
        finally:
            await ivk.boards.delete(board, include_images=True)
            print("deleted the board and its images")


if __name__ == "__main__":
    anyio.run(main)
