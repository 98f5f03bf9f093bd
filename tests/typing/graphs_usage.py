"""Type-checked (never run) use of the typed core nodes: mypy --strict must accept it as written.

The ``type: ignore[...]`` lines are mistakes mypy must catch: strict mode fails on an unused ignore,
so each one proves the typed module refuses that mistake.
"""

from __future__ import annotations

from invokeai_sdk import AsyncInvokeAI
from invokeai_sdk.graphs import Graph, GraphReport, Output
from invokeai_sdk.graphs.core_nodes import CoreNodes, ImgBlurNode, typed
from invokeai_sdk.types.images import ImageDTO


async def build(ivk: AsyncInvokeAI, picture: ImageDTO) -> Graph:
    nodes: CoreNodes = typed(await ivk.graphs.nodes())
    g = nodes.graph()
    blur: ImgBlurNode = g.add(nodes.img_blur(image=picture, radius=4, blur_type="box"))
    resized = g.add(nodes.img_resize(image=blur.image, width=blur.width, height=64))
    g.add(nodes.save_image(image=resized.image, board="board-id"), id="save")
    out: Output = resized.image
    nodes.img_blur(radiuss=3)  # type: ignore[call-arg]
    nodes.img_blur(blur_type="GAUSS")  # type: ignore[arg-type]
    nodes.add(a="two")  # type: ignore[arg-type]
    report: GraphReport = await ivk.graphs.validate(g)
    print(out, report.ok)
    return g
