"""``ivk.graphs``: build graphs in code from the server's node types, and check them without sending."""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

from .._features import ServerFeatures
from .._resource import AsyncAPIResource
from .._types import NOT_GIVEN, TimeoutArg
from ..graphs import Graph, GraphReport, NodeCatalog, validate_graph

__all__ = ["GraphsResource"]

_CATALOGS: weakref.WeakKeyDictionary[ServerFeatures, NodeCatalog] = weakref.WeakKeyDictionary()


class GraphsResource(AsyncAPIResource):
    """Node types of the connected server as callables, new graphs, and the dry-run check.

    ::

        nodes = await ivk.graphs.nodes()
        g = nodes.graph()
        blur = g.add(nodes.img_blur(image=image_dto, radius=4))
        report = await ivk.graphs.validate(g)     # nothing is sent
    """

    async def nodes(self, *, refresh: bool = False, timeout: TimeoutArg = NOT_GIVEN) -> NodeCatalog:
        """Every node type of the server (custom nodes too) as callables, read from ``/openapi.json`` once."""
        features = await self._client.features(refresh=refresh, timeout=timeout)
        catalog = _CATALOGS.get(features)
        if catalog is None:
            catalog = _CATALOGS[features] = NodeCatalog(features.invocations)
        return catalog

    async def new(self, *, id: str | None = None, timeout: TimeoutArg = NOT_GIVEN) -> Graph:
        """A new, empty graph for the server's node types."""
        return (await self.nodes(timeout=timeout)).graph(id=id)

    async def validate(
        self, graph_or_batch: Mapping[str, Any] | Graph, *, timeout: TimeoutArg = NOT_GIVEN
    ) -> GraphReport:
        """The dry run: every problem of a graph or batch against the server's node schemas; nothing is sent.

        The same check ``ivk.queue.enqueue`` makes before sending (there, problems raise
        :class:`~invokeai_sdk.GraphValidationError`).
        """
        features = await self._client.features(timeout=timeout)
        return validate_graph(graph_or_batch, features.invocations)
