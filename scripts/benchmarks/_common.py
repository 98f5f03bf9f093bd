"""Helpers shared by the benchmarks: timing loops, percentiles, ratio lines."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable


async def timed(fn: Callable[[], Awaitable[object]], *, repeat: int, warmup: int = 3) -> list[float]:
    """Run ``fn`` ``warmup`` times untimed, then ``repeat`` times; return each duration in seconds."""
    for _ in range(warmup):
        await fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - started)
    return samples


async def interleaved(
    fns: dict[str, Callable[[], Awaitable[object]]], *, repeat: int, warmup: int = 3
) -> dict[str, list[float]]:
    """Time each of ``fns`` ``repeat`` times, taking turns call by call, so that drift in the server or
    the machine (a shared 2-core box) falls on every contender alike; return the samples per name."""
    for _ in range(warmup):
        for fn in fns.values():
            await fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            started = time.perf_counter()
            await fn()
            samples[name].append(time.perf_counter() - started)
    return samples


def p50(samples: list[float]) -> float:
    """The median."""
    return statistics.median(samples)


def report(name: str, value: float, baseline: float, *, unit: str = "ms", goal: str = "") -> None:
    """Print one figure with its baseline and their ratio."""
    scale = 1000.0 if unit == "ms" else 1.0
    ratio = value / baseline if baseline else float("inf")
    goal_text = f"   goal {goal}" if goal else ""
    print(
        f"{name:<48} {value * scale:10.3f} {unit}  baseline {baseline * scale:10.3f} {unit}  "
        f"ratio {ratio:6.3f}x{goal_text}",
        flush=True,
    )
