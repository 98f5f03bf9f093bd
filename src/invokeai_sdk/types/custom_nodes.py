"""Types of the ``ivk.custom_nodes`` namespace (custom node packs)."""

from __future__ import annotations

from pydantic import Field

from .._models import ResponseModel

__all__ = ["InstallNodePackResult", "NodePack", "NodePacks", "UninstallNodePackResult"]


class NodePack(ResponseModel):
    """An installed node pack: its folder and the node types it adds."""

    name: str
    path: str = ""
    node_count: int = 0
    node_types: list[str] = Field(default_factory=list)


class NodePacks(ResponseModel):
    """The installed node packs and the folder they live in."""

    node_packs: list[NodePack] = Field(default_factory=list)
    custom_nodes_path: str = ""


class InstallNodePackResult(ResponseModel):
    """The outcome of installing a node pack (``success`` false with a ``message`` on failure)."""

    name: str
    success: bool
    message: str = ""
    workflows_imported: int = 0
    requires_dependencies: bool = False
    dependency_file: str | None = None


class UninstallNodePackResult(ResponseModel):
    """The outcome of removing a node pack."""

    name: str
    success: bool
    message: str = ""
