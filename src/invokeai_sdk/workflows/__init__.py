"""GUI workflow documents: typed inputs, the graph the GUI builds, sweeps, output nodes.

::

    from invokeai_sdk.workflows import WorkflowDocument

    wf = WorkflowDocument.load("workflows/blur-to-board.json")
    wf.inputs["Blur Radius"] = 4
    run = await ivk.workflows.run(wf, sweep={"Blur Radius": [1, 2, 3]})
    await run.wait(wait_timeout=60)
    for outputs in await run.outputs():
        print(outputs.images("Output"))      # by node label, or by node id: outputs["save"]
"""

from ._bundled import bundled_workflow, bundled_workflows
from ._document import OutputNode, WorkflowDocument, WorkflowSource
from ._generators import expand_generator
from ._graph import build_graph, embedded_workflow, resolve_edges
from ._inputs import InputKey, WorkflowInput, WorkflowInputs, discover_fields
from ._run import WorkflowJob, WorkflowOutputs, WorkflowRun
from ._sweep import SweepKey
from ._values import Pending

__all__ = [
    "InputKey",
    "OutputNode",
    "Pending",
    "SweepKey",
    "WorkflowDocument",
    "WorkflowInput",
    "WorkflowInputs",
    "WorkflowJob",
    "WorkflowOutputs",
    "WorkflowRun",
    "WorkflowSource",
    "build_graph",
    "bundled_workflow",
    "bundled_workflows",
    "discover_fields",
    "embedded_workflow",
    "expand_generator",
    "resolve_edges",
]
