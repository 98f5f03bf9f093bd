"""One queue item's outputs per source node id, with the workflow's node labels as keys too.

::

    outputs = await run[0].outputs()     # or job.outputs() of any enqueued graph
    outputs["save"]                      # by node id
    outputs["Output"]                    # by node label (workflow runs); ambiguous labels raise
    outputs.images("Output")             # the image names in that node's outputs

It is a ``dict`` keyed by node id, so code written for plain graphs (iteration, ``==``, ``json``)
behaves exactly as with a plain dict; labels only add ways to look a node up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar, overload

from ._errors import WorkflowError

__all__ = ["WorkflowOutputs", "image_names"]

_T = TypeVar("_T")
NodeOutput = list[dict[str, Any]]
"""The outputs of one source node: one per prepared node (several under iterate)."""


class WorkflowOutputs(dict[str, NodeOutput]):
    """One queue item's outputs per node id; a workflow node's label works as a key too.

    Iterating gives node ids. A label matches exactly, else case-insensitively; a label naming several
    nodes raises :class:`WorkflowError` listing them; an unknown key raises ``KeyError`` listing the
    known ones. Without labels (a plain graph) it is the dict of outputs per node id.
    """

    def __init__(
        self, outputs: Mapping[str, NodeOutput] | None = None, labels: Mapping[str, list[str]] | None = None
    ) -> None:
        super().__init__(outputs or {})
        self._labels = {label: list(ids) for label, ids in (labels or {}).items()}

    @property
    def labels(self) -> dict[str, list[str]]:
        """``{label: [node ids]}`` of the workflow's labelled nodes (empty for a plain graph)."""
        return {label: list(ids) for label, ids in self._labels.items()}

    def node_id(self, key: str) -> str:
        """The node id ``key`` names (a node id, or a label naming exactly one node)."""
        if dict.__contains__(self, key):
            return key
        ids = self._labels.get(key)
        if ids is None and isinstance(key, str):
            folded = [v for k, v in self._labels.items() if k.casefold() == key.casefold()]
            ids = [i for group in folded for i in group] if folded else None
        if not ids:
            known = ", ".join(repr(k) for k in [*self, *self._labels]) or "(none)"
            raise KeyError(f"no output node with id or label {key!r}; known: {known}")
        if len(ids) > 1:
            raise WorkflowError(
                f"the label {key!r} names several nodes: {', '.join(map(repr, ids))}; use a node id"
            )
        return ids[0]

    def __missing__(self, key: str) -> NodeOutput:
        node_id = self.node_id(key)
        if not dict.__contains__(self, node_id):
            raise KeyError(f"node {node_id!r} ({key!r}) produced no output in this run")
        return dict.__getitem__(self, node_id)

    def __contains__(self, key: object) -> bool:
        if dict.__contains__(self, key):
            return True
        if not isinstance(key, str) or not self._labels:
            return False
        try:
            return dict.__contains__(self, self.node_id(key))
        except (KeyError, WorkflowError):
            return False

    @overload
    def get(self, key: str, default: None = None, /) -> NodeOutput | None: ...
    @overload
    def get(self, key: str, default: NodeOutput, /) -> NodeOutput: ...
    @overload
    def get(self, key: str, default: _T, /) -> NodeOutput | _T: ...
    def get(self, key: str, default: object = None, /) -> object:
        """The outputs of the node ``key`` names (id or label), else ``default``; ambiguous labels raise."""
        try:
            return self[key]
        except KeyError:
            return default

    def images(self, key: str) -> list[str]:
        """The image names in one node's outputs (``image`` fields and image collections)."""
        return image_names(self[key])


def image_names(outputs: Iterable[Mapping[str, Any]], names: list[str] | None = None) -> list[str]:
    """The image names in node outputs (``image`` fields and image collections), each once, in order.

    ``names`` (when given) is extended in place, so several nodes' outputs can be gathered in one list.
    """
    names = [] if names is None else names
    for output in outputs:
        for value in output.values():
            for item in value if isinstance(value, list) else [value]:
                name = item.get("image_name") if isinstance(item, Mapping) else None
                if isinstance(name, str) and name not in names:
                    names.append(name)
    return names
