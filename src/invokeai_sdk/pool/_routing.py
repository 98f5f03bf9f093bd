"""Where the next items go: each server's capacity, measured speed and health.

The pool keeps unsent items on the client and hands a server at most ``slots`` items at a time
(one running, the rest queued so the server never idles between two polls). Which servers get the
pending items is decided as a list scheduler would: each item goes where it is expected to *finish*
first, counting what every server already has (the pool's items and other clients' queue depth)
times its measured seconds per item. So a slow server is skipped near the end when a fast one
would finish the item sooner even after its current work, and every server is kept busy while
there is plenty to do. The same code routes real servers and the in-process simulated ones.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = ["Health", "ServerState", "plan"]


@dataclass
class Health:
    """Consecutive failures, when a server went down, and when to probe it next."""

    down_after: int = 2
    """Consecutive failed calls after which a server is taken out."""
    probe_interval: float = 1.0
    probe_max: float = 15.0
    failures: int = 0
    down_since: float | None = None
    next_probe: float = 0.0
    backoff: float = 0.0

    @property
    def up(self) -> bool:
        """True while the server takes work."""
        return self.down_since is None

    def ok(self) -> bool:
        """A call succeeded; returns True when this brings the server back in."""
        back = self.down_since is not None
        self.failures, self.down_since, self.backoff = 0, None, 0.0
        return back

    def failed(self, now: float, *, fatal: bool = False) -> bool:
        """A call failed; returns True when this takes the server out (``fatal``: at once)."""
        self.failures += 1
        if self.down_since is None and (fatal or self.failures >= self.down_after):
            self.down_since = now
            self.backoff = self.probe_interval
            self.next_probe = now + self.backoff
            return True
        if self.down_since is not None:
            self.backoff = min(self.probe_max, max(self.probe_interval, self.backoff * 2))
            self.next_probe = now + self.backoff
        return False


@dataclass(eq=False)
class ServerState:
    """What the router knows of one server."""

    name: str
    slots: int = 2
    in_flight: int = 0
    """The pool's items on the server not yet settled (queued, running, or of uncertain arrival)."""
    foreign: int = 0
    """Other clients' unfinished items on the server's queue (from its queue status)."""
    seconds: float | None = None
    """Measured seconds per item (moving average of the server's own run times)."""
    health: Health = field(default_factory=Health)
    completed: int = 0

    @property
    def free(self) -> int:
        """Items the server can take now."""
        return max(0, self.slots - self.in_flight) if self.health.up else 0

    def measured(self, seconds: float, *, weight: float = 0.25) -> None:
        """Fold one item's run time into the speed estimate."""
        seconds = max(seconds, 1e-3)
        self.seconds = seconds if self.seconds is None else (1 - weight) * self.seconds + weight * seconds


def _estimates(servers: Sequence[ServerState], prior: float) -> list[float]:
    known = [s.seconds for s in servers if s.seconds is not None]
    default = statistics.median(known) if known else prior
    return [s.seconds if s.seconds is not None else default for s in servers]


def plan(
    servers: Sequence[ServerState], pending: int, *, prior: float = 1.0
) -> list[tuple[ServerState, int]]:
    """How many of ``pending`` items to send to which of ``servers`` now (only those that are up).

    Finds the earliest time ``T`` by which the servers, each busy with its current load, could
    finish all pending items; a server gets items now only if it would finish at least one by
    ``T``, and never more than its free slots. Earliest expected finish first.
    """
    live = [s for s in servers if s.health.up]
    if pending <= 0 or not live or not any(s.free for s in live):
        return []
    secs = _estimates(live, prior)
    loads = [s.in_flight + s.foreign for s in live]

    def count(t: float) -> int:
        return sum(max(0, int(t / sec) - load) for sec, load in zip(secs, loads, strict=True))

    order = sorted(range(len(live)), key=lambda i: (loads[i] + 1) * secs[i])
    fill = max((loads[i] + live[i].free) * secs[i] for i in range(len(live)))
    if count(fill) < pending:  # plenty to do: every free slot gets an item
        return [(live[i], live[i].free) for i in order if live[i].free]
    lo, hi = 0.0, max((load + pending) * sec for sec, load in zip(secs, loads, strict=True))
    for _ in range(40):
        mid = (lo + hi) / 2
        if count(mid) >= pending:
            hi = mid
        else:
            lo = mid
        if hi - lo <= 1e-6 * hi:
            break
    out: list[tuple[ServerState, int]] = []
    left = pending
    for i in order:
        share = min(live[i].free, max(0, int(hi / secs[i]) - loads[i]), left)
        if share > 0:
            out.append((live[i], share))
            left -= share
        if not left:
            break
    return out


def eligible(servers: Iterable[ServerState], names: Iterable[str]) -> list[ServerState]:
    """The servers among ``servers`` named in ``names`` (where a submission's models are installed)."""
    wanted = set(names)
    return [s for s in servers if s.name in wanted]
