"""Live progress of the command line on stderr: rich bars on a terminal, plain lines elsewhere.

Nothing here writes to stdout, which carries only results (tables, or JSON with ``--json``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from ..events._types import (
    Event,
    InvocationCompleteEvent,
    InvocationProgressEvent,
    InvocationStartedEvent,
    QueueItemStatusChangedEvent,
)

__all__ = ["ProgressView", "stderr_console"]

TERMINAL = ("completed", "failed", "canceled")


def stderr_console() -> Console:
    """The console progress goes to."""
    return Console(stderr=True, highlight=False)


class ProgressView:
    """What a long command shows while it works: bars on a terminal, a line per step otherwise,
    nothing at all when ``enabled`` is false (``--json``)."""

    def __init__(self, console: Console, *, enabled: bool) -> None:
        self.console = console
        self.enabled = enabled
        self.live = enabled and console.is_terminal
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}
        self._status: dict[int, str] = {}

    @contextmanager
    def running(self) -> Iterator[ProgressView]:
        """Show the bars for the duration of the block (on a terminal)."""
        if not self.live:
            yield self
            return
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        with self._progress:
            yield self
        self._progress = None

    def note(self, message: str) -> None:
        """A line of its own (kept above the bars on a terminal)."""
        if self.enabled:
            self.console.print(message)

    def bar(self, key: str, description: str, *, total: float | None) -> None:
        """Add (or reset) the bar ``key``."""
        if self._progress is None:
            if self.enabled and key != "node":
                self.console.print(description)
            return
        if key in self._tasks:
            self._progress.update(self._tasks[key], description=description, total=total, completed=0)
        else:
            self._tasks[key] = self._progress.add_task(description, total=total)

    def update(
        self,
        key: str,
        *,
        advance: float = 0,
        completed: float | None = None,
        total: float | None = None,
        text: str = "",
    ) -> None:
        """Move the bar ``key`` on (and change its total or text when given)."""
        if self._progress is None or key not in self._tasks:
            return
        fields: dict[str, Any] = {"advance": advance}
        if completed is not None:
            fields["completed"] = completed
        if total is not None:
            fields["total"] = total
        if text:
            fields["description"] = text
        self._progress.update(self._tasks[key], **fields)

    # -- queue items -------------------------------------------------------------------------

    def start_items(self, item_ids: list[int]) -> None:
        """Follow these queue items: a bar of finished items, a bar of the running node."""
        self._status = dict.fromkeys(item_ids, "pending")
        self.bar("items", f"{len(item_ids)} queue item(s)", total=len(item_ids))
        self.bar("node", "waiting for the queue", total=100)

    def queue_position(self, ahead: int) -> None:
        """How many queue items run before the first of ours."""
        if all(status == "pending" for status in self._status.values()):
            text = f"queue: {ahead} item(s) ahead" if ahead else "queue: next"
            self.update("node", text=text)

    def event(self, event: Event) -> None:
        """Show one event of the followed items."""
        if isinstance(event, QueueItemStatusChangedEvent) and event.item_id in self._status:
            before = self._status[event.item_id]
            status = event.status or before
            self._status[event.item_id] = status
            if status in TERMINAL and before not in TERMINAL:
                self.update("items", advance=1)
            if self._progress is None:
                self.note(f"item {event.item_id}: {status}")
            elif status in TERMINAL:
                self.console.print(f"item {event.item_id}: {status}")
        elif isinstance(event, InvocationStartedEvent):
            self.update("node", completed=0, text=f"node {_node(event)}")
        elif isinstance(event, InvocationProgressEvent):
            percent = (event.percentage or 0) * 100
            self.update("node", completed=percent, text=f"node {_node(event)}: {event.message or ''}".strip())
        elif isinstance(event, InvocationCompleteEvent):
            self.update("node", completed=100, text=f"node {_node(event)} done")


def _node(event: InvocationStartedEvent | InvocationProgressEvent | InvocationCompleteEvent) -> str:
    kind = (event.invocation or {}).get("type")
    source = event.invocation_source_id or "?"
    return f"{source} ({kind})" if kind and kind != source else source
