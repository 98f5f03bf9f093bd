"""Warnings that point at the user's line, in async code and through the sync API alike.

:func:`warn_user` attributes a warning to the first frame outside this package, so however deep
inside the SDK it is raised, it names the caller's line. Through the sync API the SDK's code runs
on a private loop thread whose stack holds no user frame: there the sync runtime collects the
warnings of one call (:func:`collecting`) and raises them again on the caller's thread
(:func:`reissue`) once the call returns.
"""

from __future__ import annotations

import contextvars
import os
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["Collected", "collecting", "reissue", "warn_user"]

_PACKAGE = os.path.dirname(__file__) + os.sep


class Collected:
    """The warnings one sync call raised on the loop thread, until the call returns."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open = True
        self._items: list[tuple[str, type[Warning]]] = []

    def add(self, message: str, category: type[Warning]) -> bool:
        """Keep one warning; ``False`` when the call has returned (the caller warns directly)."""
        with self._lock:
            if self._open:
                self._items.append((message, category))
            return self._open

    def close(self) -> list[tuple[str, type[Warning]]]:
        """End the call: later warnings (from tasks it left running) are raised where they occur."""
        with self._lock:
            self._open = False
            items, self._items = self._items, []
        return items


_collected: contextvars.ContextVar[Collected | None] = contextvars.ContextVar(
    "invokeai_sdk_collected_warnings", default=None
)


def warn_user(message: str, category: type[Warning] = DeprecationWarning) -> None:
    """Warn with ``message``, attributed to the first frame outside the SDK."""
    collected = _collected.get()
    if collected is not None and collected.add(message, category):
        return
    _warn_outside(message, category)


@contextmanager
def collecting(collected: Collected) -> Iterator[None]:
    """Within this block (one task on the sync loop), :func:`warn_user` keeps warnings in ``collected``."""
    token = _collected.set(collected)
    try:
        yield
    finally:
        _collected.reset(token)


def reissue(collected: Collected) -> None:
    """Raise the warnings of a finished sync call on the caller's thread, at the caller's line."""
    for message, category in collected.close():
        _warn_outside(message, category)


def _warn_outside(message: str, category: type[Warning]) -> None:
    frame = sys._getframe(0)
    level = 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
