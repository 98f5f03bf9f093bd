"""Graphs in code: nodes from the connected server's schema, checked locally before anything is sent.

::

    nodes = await ivk.graphs.nodes()          # every node type of the server, custom nodes included
    g = nodes.graph()
    src = g.add(nodes.blank_image(width=64, height=64))
    blur = g.add(nodes.img_blur(image=src.image, radius=4))
    g.add(nodes.save_image(image=blur.image, id="save"))
    print(g.validate())                       # the dry run: every problem, nothing sent
    outputs = await ivk.queue.run(g)          # validated again before it is sent

:func:`validate_graph` checks any graph or batch dict the same way; ``ivk.queue.enqueue`` and ``run``
do so by default (``validate=False`` opts out) and raise :class:`~invokeai_sdk.GraphValidationError`
with every problem at once.
"""

from ._builder import Graph, NodeCatalog, from_workflow
from ._codegen import to_python
from ._export import (
    WORKFLOW_SCHEMA_VERSION,
    canonical_graph,
    fill_missing_fields,
    template_fields,
    to_workflow,
)
from ._nodes import Node, NodeFactory, Output
from ._types import PortType
from ._typing import BoardLike, ColorLike, ImageLike, ModelLike
from ._validate import GraphProblem, GraphReport, check_graph, validate_graph

__all__ = [
    "WORKFLOW_SCHEMA_VERSION",
    "BoardLike",
    "ColorLike",
    "Graph",
    "GraphProblem",
    "GraphReport",
    "ImageLike",
    "ModelLike",
    "Node",
    "NodeCatalog",
    "NodeFactory",
    "Output",
    "PortType",
    "canonical_graph",
    "check_graph",
    "fill_missing_fields",
    "from_workflow",
    "template_fields",
    "to_python",
    "to_workflow",
    "validate_graph",
]
