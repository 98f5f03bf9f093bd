"""A text-to-image job with download: SDXL where the server has an SDXL model, else a model-free stand-in.

python examples/text_to_image.py "a lighthouse at dawn"     # uses INVOKEAI_BASE_URL

With an SDXL main model installed this runs the shipped ``sdxl-text-to-image`` workflow (prompt, seed,
size); without one (the CPU-only test server has no weights) it runs ``blur-to-board``, which exercises
the same steps: load, set inputs, run, follow progress, download. The images are deleted at the end.
"""

from __future__ import annotations

import sys
import tempfile

import anyio

from invokeai_sdk import AsyncInvokeAI
from invokeai_sdk.workflows import WorkflowDocument, bundled_workflow


async def prepare(ivk: AsyncInvokeAI, prompt: str) -> WorkflowDocument:
    sdxl = (await ivk.models.list(base="sdxl", type="main")).items
    if sdxl:
        wf = await ivk.workflows.load(bundled_workflow("sdxl-text-to-image"))
        await ivk.workflows.bind_models(wf)  # the workflow's model field -> the installed SDXL model
        wf.set(Prompt=prompt, Seed=42, Width=1024, Height=1024)
        print(f"SDXL with {sdxl[0].name}: {prompt!r}")
    else:
        wf = await ivk.workflows.load(bundled_workflow("blur-to-board"))
        wf.set(Width=256, Height=192, **{"Blur Radius": 3})
        print("no SDXL model on this server: running the model-free blur-to-board workflow instead")
    return wf


async def main(prompt: str) -> None:
    async with AsyncInvokeAI() as ivk:
        wf = await prepare(ivk, prompt)
        run = await ivk.workflows.run(wf)
        async for progress in run.progress():  # may be over before it starts on a fast server
            print(f"  {progress.invocation_source_id}: {progress.message} {(progress.percentage or 0):.0%}")
        await run.wait(wait_timeout=900)
        names = await run.images()
        try:
            with tempfile.TemporaryDirectory() as folder:
                for path in await run.download_images(folder):
                    print(f"downloaded {path.name}: {path.stat().st_size} bytes")
        finally:
            await ivk.images.delete_many(names)
            print(f"deleted {len(names)} image(s) from the gallery")


if __name__ == "__main__":
    anyio.run(main, sys.argv[1] if len(sys.argv) > 1 else "a lighthouse at dawn, oil painting")
