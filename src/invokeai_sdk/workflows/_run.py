"""A workflow run: the queue's batch handle, with outputs keyed by node id and reachable by node label.

::

    run = await ivk.workflows.run("workflows/blur-to-board.json")
    await run.wait(timeout=60)
    outputs = await run[0].outputs()
    outputs["save"]          # by the workflow's node id
    outputs["Output"]        # by the node's label (an ambiguous label raises, listing the candidates)

``WorkflowRun`` and ``WorkflowJob`` delegate waiting, canceling, status and events to the queue's
``BatchHandle`` / ``JobHandle`` (``run.batch`` / ``job.job``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import WorkflowError
from .._types import NOT_GIVEN, TimeoutArg

if TYPE_CHECKING:
    from ..events import Event, InvocationProgressEvent
    from ..jobs import BatchHandle, JobHandle
    from ..types.queue import BatchStatus, QueueItem
    from ._document import WorkflowDocument

__all__ = ["WorkflowJob", "WorkflowOutputs", "WorkflowRun", "node_labels"]


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


class WorkflowOutputs(Mapping[str, list[dict[str, Any]]]):
    """One queue item's outputs per workflow node id; a node's label works as a key too.

    Iterating gives node ids. A label naming several nodes raises :class:`WorkflowError` listing them.
    """

    def __init__(self, outputs: Mapping[str, list[dict[str, Any]]], labels: Mapping[str, list[str]]) -> None:
        self._outputs = dict(outputs)
        self._labels = {label: list(ids) for label, ids in labels.items()}

    def node_id(self, key: str) -> str:
        """The node id ``key`` names (a node id, or a label naming exactly one node)."""
        if key in self._outputs:
            return key
        ids = self._labels.get(key)
        if ids is None:
            folded = [v for k, v in self._labels.items() if k.casefold() == key.casefold()]
            ids = [i for group in folded for i in group] if folded else None
        if not ids:
            known = ", ".join(repr(k) for k in [*self._outputs, *self._labels]) or "(none)"
            raise KeyError(f"no output node with id or label {key!r}; known: {known}")
        if len(ids) > 1:
            raise WorkflowError(
                f"the label {key!r} names several nodes: {', '.join(map(repr, ids))}; use a node id"
            )
        return ids[0]

    def __getitem__(self, key: str) -> list[dict[str, Any]]:
        node_id = self.node_id(key)
        if node_id not in self._outputs:
            raise KeyError(f"node {node_id!r} ({key!r}) produced no output in this run")
        return self._outputs[node_id]

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        try:
            return self.node_id(key) in self._outputs
        except (KeyError, WorkflowError):
            return False

    def __iter__(self) -> Iterator[str]:
        return iter(self._outputs)

    def __len__(self) -> int:
        return len(self._outputs)

    @property
    def labels(self) -> dict[str, list[str]]:
        """``{label: [node ids]}`` of the workflow's labelled nodes."""
        return {label: list(ids) for label, ids in self._labels.items()}

    def images(self, key: str) -> list[str]:
        """The image names in one node's outputs (``image`` fields and image collections)."""
        names: list[str] = []
        for output in self[key]:
            for value in output.values():
                for item in value if isinstance(value, list) else [value]:
                    name = item.get("image_name") if isinstance(item, Mapping) else None
                    if isinstance(name, str) and name not in names:
                        names.append(name)
        return names

    def __repr__(self) -> str:
        return f"WorkflowOutputs({list(self._outputs)})"


class WorkflowJob:
    """One queue item of a workflow run: a ``JobHandle`` whose :meth:`outputs` answer by label too."""

    def __init__(self, job: JobHandle, labels: Mapping[str, list[str]]) -> None:
        self.job = job
        """The queue's handle of this item."""
        self.item_id = job.item_id
        self._labels = labels

    async def outputs(self, *, timeout: TimeoutArg = NOT_GIVEN) -> WorkflowOutputs:
        """Outputs per workflow node id, also reachable by node label."""
        return WorkflowOutputs(await self.job.outputs(timeout=timeout), self._labels)

    async def wait(self, *, timeout: float | None = None, cancel_on_timeout: bool = False) -> str:
        """Wait until the item is finished (see ``JobHandle.wait``)."""
        return await self.job.wait(timeout=timeout, cancel_on_timeout=cancel_on_timeout)

    async def cancel(self, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Cancel the item."""
        await self.job.cancel(timeout=timeout)

    async def result(self, *, timeout: TimeoutArg = NOT_GIVEN) -> QueueItem:
        """The queue item with its session."""
        return await self.job.result(timeout=timeout)

    async def images(
        self, *, include_intermediate: bool = False, timeout: TimeoutArg = NOT_GIVEN
    ) -> list[str]:
        """Names of the images the item produced (of non-intermediate nodes unless asked)."""
        return await self.job.images(include_intermediate=include_intermediate, timeout=timeout)

    async def download_images(
        self,
        to_dir: str | os.PathLike[str],
        *,
        include_intermediate: bool = False,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> list[Path]:
        """Download the item's images into ``to_dir``; return the paths."""
        return await self.job.download_images(
            to_dir, include_intermediate=include_intermediate, timeout=timeout
        )

    async def progress(self) -> AsyncIterator[InvocationProgressEvent]:
        """The item's progress events until it is terminal (see ``JobHandle.progress``)."""
        async for event in self.job.progress():
            yield event

    async def events(self) -> AsyncIterator[Event]:
        """The item's events until it is terminal (see ``JobHandle.events``)."""
        async for event in self.job.events():
            yield event

    def __repr__(self) -> str:
        return f"WorkflowJob({self.job!r})"


class WorkflowRun:
    """An enqueued workflow: the ``BatchHandle`` and the document it was built from."""

    def __init__(self, batch: BatchHandle, document: WorkflowDocument) -> None:
        self.batch = batch
        """The queue's handle of the batch."""
        self.document = document
        """The document as run (inputs set, uploads and model names resolved)."""
        self.batch_id = batch.batch_id
        self.item_ids = list(batch.item_ids)
        self.labels = node_labels(document)
        """``{label: [node ids]}`` of the workflow's labelled nodes."""
        self.jobs = [WorkflowJob(job, self.labels) for job in batch.jobs]

    def __len__(self) -> int:
        return len(self.jobs)

    def __iter__(self) -> Iterator[WorkflowJob]:
        return iter(self.jobs)

    def __getitem__(self, index: int) -> WorkflowJob:
        return self.jobs[index]

    async def outputs(self, *, timeout: TimeoutArg = NOT_GIVEN) -> list[WorkflowOutputs]:
        """The outputs of every item, in enqueue order, keyed by node id and reachable by label."""
        return [WorkflowOutputs(o, self.labels) for o in await self.batch.outputs(timeout=timeout)]

    async def wait(self, *, timeout: float | None = None, cancel_on_timeout: bool = False) -> list[str]:
        """Wait for every item (see ``BatchHandle.wait``)."""
        return await self.batch.wait(timeout=timeout, cancel_on_timeout=cancel_on_timeout)

    async def cancel(self, *, timeout: TimeoutArg = NOT_GIVEN) -> int:
        """Cancel every unfinished item; returns how many were canceled."""
        return await self.batch.cancel(timeout=timeout)

    async def status(self, *, timeout: TimeoutArg = NOT_GIVEN) -> BatchStatus:
        """The batch's counts per status."""
        return await self.batch.status(timeout=timeout)

    async def results(self, *, timeout: TimeoutArg = NOT_GIVEN) -> list[QueueItem]:
        """Every item with its session, in enqueue order."""
        return await self.batch.results(timeout=timeout)

    async def images(
        self, *, include_intermediate: bool = False, timeout: TimeoutArg = NOT_GIVEN
    ) -> list[str]:
        """Names of every image the run produced, item after item in enqueue order."""
        return await self.batch.images(include_intermediate=include_intermediate, timeout=timeout)

    async def download_images(
        self,
        to_dir: str | os.PathLike[str],
        *,
        include_intermediate: bool = False,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> list[Path]:
        """Download every image of the run into ``to_dir`` (atomic writes); return the paths."""
        return await self.batch.download_images(
            to_dir, include_intermediate=include_intermediate, timeout=timeout
        )

    async def progress(self) -> AsyncIterator[InvocationProgressEvent]:
        """Progress events of every item until the run is over (see ``BatchHandle.progress``)."""
        async for event in self.batch.progress():
            yield event

    async def events(self) -> AsyncIterator[Event]:
        """The batch's events until every item is terminal (see ``BatchHandle.events``)."""
        async for event in self.batch.events():
            yield event

    def __repr__(self) -> str:
        return f"WorkflowRun(workflow={self.document.name!r}, batch={self.batch!r})"
