"""Run a GUI workflow from code: set typed inputs, sweep a value, collect the output images.

python examples/run_workflow.py            # uses INVOKEAI_BASE_URL, else http://127.0.0.1:9090
"""

from __future__ import annotations

import anyio

from invokeai_sdk import AsyncInvokeAI
from invokeai_sdk.workflows import bundled_workflow


async def main() -> None:
    async with AsyncInvokeAI() as ivk:
        wf = await ivk.workflows.load(bundled_workflow("blur-to-board"))  # shipped with the SDK
        for item in wf.inputs:
            print(f"#{item.index} {item.label!r}: {item.kind} = {wf.inputs[item.index]!r}")
        wf.set(Width=128, Height=96)
        wf.inputs["Blur Type"] = "box"
        board = await ivk.boards.create("sdk example")
        try:
            run = await ivk.workflows.run(wf, board=board, sweep={"Blur Radius": [1, 4, 8]})
            await run.wait(wait_timeout=120)
            for outputs in await run.outputs():
                # Keyed by the workflow's node ids ("save"), reachable by node label ("Output") too.
                print("Output", outputs.images("Output"))
            # The outputs carry the workflow: load it back from any of them.
            name = (await run[0].outputs()).images("save")[0]
            again = await ivk.workflows.from_image(name)
            print("embedded workflow:", again.name, again.inputs.values())

        finally:  # leave the server as it was: the board and the images the run made go
            await ivk.boards.delete(board, include_images=True)
            print("deleted board", board.board_name, "and its images")


if __name__ == "__main__":
    anyio.run(main)
