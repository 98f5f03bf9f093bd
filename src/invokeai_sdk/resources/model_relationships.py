"""``ivk.models.relationships``: links between models that the GUI suggests together."""

from __future__ import annotations

import builtins
from collections.abc import Iterable

from .._errors import ValidationError
from .._resource import AsyncAPIResource
from .._types import NOT_GIVEN, TimeoutArg
from ._paths import id_path

__all__ = ["ModelRelationshipsResource"]

_PREFIX = "/api/v1/model_relationships"


def _keys(a: str, b: str) -> dict[str, str]:
    for key in (a, b):
        if not isinstance(key, str) or not key:
            raise ValidationError(f"A model key must be a non-empty string, got {key!r}.")
    if a == b:
        raise ValidationError("A model cannot be related to itself.")
    return {"model_key_1": a, "model_key_2": b}


class ModelRelationshipsResource(AsyncAPIResource):
    """Two-way links between installed models (e.g. a LoRA and the main model it was trained for)."""

    async def list(self, model_key: str, *, timeout: TimeoutArg = NOT_GIVEN) -> builtins.list[str]:
        """Keys of the models linked to ``model_key``."""
        await self._require("model_relationships")
        return await self._parsed(
            builtins.list[str], "GET", id_path(f"{_PREFIX}/i", model_key, "model key"), timeout=timeout
        )

    async def list_many(
        self, model_keys: Iterable[str], *, timeout: TimeoutArg = NOT_GIVEN
    ) -> builtins.list[str]:
        """Keys of the models linked to any of ``model_keys`` (each once)."""
        await self._require("model_relationships")
        keys = [model_keys] if isinstance(model_keys, str) else builtins.list(model_keys)
        return await self._parsed(
            builtins.list[str], "POST", f"{_PREFIX}/batch", json={"model_keys": keys}, timeout=timeout
        )

    async def add(self, model_key: str, other_key: str, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Link two models (admin on multi-user servers)."""
        await self._require("model_relationships")
        await self._request("POST", f"{_PREFIX}/", json=_keys(model_key, other_key), timeout=timeout)

    async def remove(self, model_key: str, other_key: str, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Unlink two models (admin on multi-user servers)."""
        await self._require("model_relationships")
        await self._request("DELETE", f"{_PREFIX}/", json=_keys(model_key, other_key), timeout=timeout)
