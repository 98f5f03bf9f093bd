"""``ivk.recall``: push generation parameters (prompt, model, steps, LoRAs...) into the open GUI."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._errors import ValidationError
from .._resource import AsyncAPIResource
from .._types import NOT_GIVEN, TimeoutArg
from ._paths import id_path

__all__ = ["RecallResource"]

_PREFIX = "/api/v1/recall"


class RecallResource(AsyncAPIResource):
    """Recall parameters: what the GUI's "recall" puts into the generation settings, sent from code.

    The GUI of the same user picks them up live (a ``recall_parameters_updated`` event).
    """

    async def set(
        self,
        parameters: Mapping[str, Any] | None = None,
        *,
        strict: bool = False,
        append: bool = False,
        queue_id: str = "default",
        timeout: TimeoutArg = NOT_GIVEN,
        **fields: Any,
    ) -> dict[str, Any]:
        """Send parameters, as a mapping or as keywords (``positive_prompt=``, ``model=`` (a model name),
        ``steps=``, ``seed=``, ``width=``, ``loras=[{"model_name": ..., "weight": ...}]``, ...).

        ``strict=True`` clears every parameter not given; ``append=True`` adds reference images to the
        GUI's instead of replacing them (the two exclude each other). Returns the server's summary.
        """
        await self._require("recall")
        if strict and append:
            raise ValidationError(
                "strict and append exclude each other: strict clears what append would keep."
            )
        body = {**(dict(parameters) if parameters is not None else {}), **fields}
        if not body and not strict:
            raise ValidationError("Give at least one recall parameter (or strict=True to clear them all).")
        params = {"strict": strict, "append": append}
        data = await self._json(
            "POST", id_path(_PREFIX, queue_id, "queue id"), params=params, json=body, timeout=timeout
        )
        return dict(data or {})

    async def get(self, *, queue_id: str = "default", timeout: TimeoutArg = NOT_GIVEN) -> dict[str, Any]:
        """What the server reports about the stored recall parameters."""
        await self._require("recall")
        data = await self._json("GET", id_path(_PREFIX, queue_id, "queue id"), timeout=timeout)
        return dict(data or {})
