"""Small shared types: the ``NOT_GIVEN`` sentinel and the timeout type."""

from __future__ import annotations

from typing import Final, Literal, TypeAlias, TypeVar

import httpx

__all__ = ["NOT_GIVEN", "UNCATEGORIZED", "NotGiven", "SettledBy", "Timeout", "TimeoutArg"]

UNCATEGORIZED: Final = "none"
"""The "board" of images that are on no board. Usable as a filter wherever a board is accepted
(``ivk.images.list(board=UNCATEGORIZED)``); it is not a real board, so ``ivk.boards.get`` refuses it."""

_T = TypeVar("_T")


class NotGiven:
    """Sentinel for "argument not given", distinct from ``None`` (which often means "no limit")."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()

Timeout: TypeAlias = httpx.Timeout
"""Fine-grained timeouts (connect, read, write, pool), re-exported from httpx."""

TimeoutArg: TypeAlias = "float | httpx.Timeout | None | NotGiven"
"""What every ``timeout=`` parameter accepts: seconds, an :class:`httpx.Timeout`, ``None`` (no limit)."""


SettledBy: TypeAlias = Literal["event", "poll"]
"""How a wait learnt that a job ended: from its event, or from a REST poll."""


def given(value: _T | NotGiven, default: _T) -> _T:
    """``value`` unless it is ``NOT_GIVEN``, else ``default``."""
    return default if isinstance(value, NotGiven) else value
