"""``import invokeai_sdk`` as a whole process, side by side with ``import httpx`` and a bare interpreter.

Each contender is a fresh ``python -c ...`` (same interpreter, same environment), run in turns so that
drift on the shared machine falls on all of them alike; the figures are the median wall time and the
median CPU time (user + system) of the process, which a loaded machine disturbs much less. Goals:
``import invokeai_sdk`` at most 150 ms and at most 1.3x ``import httpx``. The other lines show what a
first use of the lazy parts costs (the sync facade, jobs and events, workflows): they are paid once,
when a script first touches them.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time

from _common import p50, report

CONTENDERS = {
    "bare": "pass",
    "httpx": "import httpx",
    "sdk": "import invokeai_sdk",
    "sdk_async": "from invokeai_sdk import AsyncInvokeAI",
    "sdk_sync": "from invokeai_sdk import InvokeAI",
    "sdk_all": "from invokeai_sdk import *; import invokeai_sdk.events",
}
REPEAT = 15
GOAL_MS = 150.0
GOAL_RATIO = 1.3


def _run(statement: str) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one whole ``python -c statement`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(repeat: int = REPEAT) -> tuple[dict[str, float], dict[str, float]]:
    """Median whole-process wall and CPU times (seconds) of each contender, interleaved run by run."""
    for statement in CONTENDERS.values():  # warm the file cache and the .pyc files
        _run(statement)
    wall: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    cpu: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    for _ in range(repeat):
        for name, statement in CONTENDERS.items():
            wall_s, cpu_s = _run(statement)
            wall[name].append(wall_s)
            cpu[name].append(cpu_s)
    return {n: p50(v) for n, v in wall.items()}, {n: p50(v) for n, v in cpu.items()}


async def main(base_url: str) -> None:  # the server is not used: imports only
    del base_url
    load = os.getloadavg()[0]
    walls, cpus = measure()
    print(f"load average {load:.1f} on {os.cpu_count()} CPUs (wall times include the wait)", flush=True)
    for kind, medians in (("wall", walls), ("cpu", cpus)):
        httpx_s, sdk_s = medians["httpx"], medians["sdk"]
        report(f"[{kind}] python -c pass (interpreter start)", medians["bare"], httpx_s)
        goal = f"<= {GOAL_RATIO}x and <= {GOAL_MS:.0f} ms"
        report(f"[{kind}] import invokeai_sdk vs import httpx", sdk_s, httpx_s, goal=goal)
        report(f"[{kind}] from invokeai_sdk import AsyncInvokeAI", medians["sdk_async"], httpx_s)
        report(f"[{kind}] from invokeai_sdk import InvokeAI (sync)", medians["sdk_sync"], httpx_s)
        report(f"[{kind}] everything (import *, events)", medians["sdk_all"], httpx_s)
        ratio = sdk_s / httpx_s
        met = ratio <= GOAL_RATIO and sdk_s * 1000 <= GOAL_MS
        verdict = "met" if met else "NOT met"
        print(f"[{kind}] import goal {verdict}: {sdk_s * 1000:.0f} ms, {ratio:.2f}x httpx", flush=True)


if __name__ == "__main__":
    import anyio

    anyio.run(main, "")
