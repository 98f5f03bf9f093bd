"""A workflow run is the queue's ``BatchHandle``, carrying the document and its node labels.

::

    run = await ivk.workflows.run("workflows/blur-to-board.json")
    await run.wait(wait_timeout=60)
    outputs = await run[0].outputs()
    outputs["save"]          # by the workflow's node id
    outputs["Output"]        # by the node's label (an ambiguous label raises, listing the candidates)

``WorkflowRun`` and ``WorkflowJob`` are other names of ``BatchHandle`` and ``JobHandle``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._outputs import WorkflowOutputs
from ..jobs import BatchHandle, JobHandle

if TYPE_CHECKING:
    from ._document import WorkflowDocument

__all__ = ["WorkflowJob", "WorkflowOutputs", "WorkflowRun", "node_labels"]

WorkflowRun = BatchHandle
"""What ``ivk.workflows.run`` returns: the queue's :class:`~invokeai_sdk.jobs.BatchHandle`, with the
workflow's ``document`` and node ``labels`` attached."""
WorkflowJob = JobHandle
"""One queue item of a workflow run: a :class:`~invokeai_sdk.jobs.JobHandle` knowing the node labels."""


def node_labels(document: WorkflowDocument) -> dict[str, list[str]]:
    """``{label: [node ids]}`` for the executable nodes: the node's label, else (outputs) its title."""
    titles = {node.node_id: node.label for node in document.outputs}
    labels: dict[str, list[str]] = {}
    for node in document.to_dict()["nodes"]:
        if node["type"] != "invocation":
            continue
        label = node["data"].get("label") or titles.get(node["id"])
        if isinstance(label, str) and label:
            labels.setdefault(label, []).append(node["id"])
    return labels
