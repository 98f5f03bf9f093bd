"""Turn what users pass as a graph (a dict or a builder ``Graph``) into the server's JSON."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

__all__ = ["as_graph_dict"]


def as_graph_dict(graph_or_batch: Any) -> Mapping[str, Any]:
    """A builder ``Graph`` as its batch dict (``{"graph", "data"}``); anything else unchanged.

    (Something that is neither is returned as is, for the caller to refuse with its own message.)
    """
    if isinstance(graph_or_batch, Mapping):
        return graph_or_batch
    to_batch = getattr(graph_or_batch, "to_batch", None)
    if callable(to_batch):
        return cast("Mapping[str, Any]", to_batch())
    return cast("Mapping[str, Any]", graph_or_batch)
