"""``ivk.custom_nodes``: install, list, remove and reload custom node packs (admin)."""

from __future__ import annotations

from .._errors import ValidationError
from .._resource import AsyncAPIResource
from .._types import NOT_GIVEN, TimeoutArg
from ..types.custom_nodes import InstallNodePackResult, NodePacks, UninstallNodePackResult
from ._paths import id_path

__all__ = ["CustomNodesResource"]

_PREFIX = "/api/v2/custom_nodes"


class CustomNodesResource(AsyncAPIResource):
    """Custom node packs: folders of extra node types in the server's ``nodes`` directory."""

    async def list(self, *, timeout: TimeoutArg = NOT_GIVEN) -> NodePacks:
        """The installed packs and the folder they are in."""
        await self._require("custom_nodes")
        return await self._parsed(NodePacks, "GET", f"{_PREFIX}/", timeout=timeout)

    async def install(self, source: str, *, timeout: TimeoutArg = NOT_GIVEN) -> InstallNodePackResult:
        """Install a pack from a git URL; check ``success`` and ``requires_dependencies`` in the answer.

        New node types are usable after :meth:`reload` (or a server restart when the pack has
        Python dependencies to install).
        """
        await self._require("custom_nodes")
        if not isinstance(source, str) or not source.strip():
            raise ValidationError(f"source must be a git URL, got {source!r}.")
        return await self._parsed(
            InstallNodePackResult,
            "POST",
            f"{_PREFIX}/install",
            json={"source": source},
            timeout=timeout,
            max_retries=0,
        )

    async def uninstall(self, pack_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> UninstallNodePackResult:
        """Remove an installed pack by its folder name; an unknown name answers ``success=False``."""
        await self._require("custom_nodes")
        return await self._parsed(
            UninstallNodePackResult, "DELETE", id_path(_PREFIX, pack_name, "node pack name"), timeout=timeout
        )

    async def reload(self, *, timeout: TimeoutArg = NOT_GIVEN) -> dict[str, str]:
        """Load packs added since the server started; the session's cached node types are refreshed too."""
        await self._require("custom_nodes")
        data = await self._json("POST", f"{_PREFIX}/reload", timeout=timeout, max_retries=0)
        await self._client.features(refresh=True, timeout=timeout)
        return {str(k): str(v) for k, v in (data or {}).items()}
