"""``import invokeai_sdk`` as a whole process, side by side with ``import httpx`` and a bare interpreter.

The goal is measured in a fresh venv holding the SDK's core install (what ``pip install invokeai-sdk``
gives, made here with uv from this checkout): with the ``[cli]`` extra's click and rich installed,
``import httpx`` itself loads them (its own command line), which slows both contenders alike; that
environment is measured too, for comparison.

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
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


ROOT = Path(__file__).resolve().parents[2]


def core_python(folder: Path) -> str | None:
    """The interpreter of a new venv in ``folder`` with the SDK's core install (None without uv)."""
    uv = shutil.which("uv")
    if uv is None:
        return None
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run([uv, "venv", "--python", sys.executable, str(folder)], check=True, **quiet)
    python = str(folder / "bin" / "python")
    # --compile-bytecode: as pip does on install (without .pyc files every import compiles its modules,
    # and PYTHONDONTWRITEBYTECODE, set on some machines, keeps it so).
    install = [uv, "pip", "install", "--compile-bytecode", "--python", python, str(ROOT)]
    subprocess.run(install, check=True, **quiet)
    return python


def _run(statement: str, python: str = sys.executable) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one whole ``python -c statement`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([python, "-c", statement], check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(repeat: int = REPEAT, python: str = sys.executable) -> tuple[dict[str, float], dict[str, float]]:
    """Median whole-process wall and CPU times (seconds) of each contender, interleaved run by run."""
    for statement in CONTENDERS.values():  # warm the file cache and the .pyc files
        _run(statement, python)
    wall: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    cpu: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    for _ in range(repeat):
        for name, statement in CONTENDERS.items():
            wall_s, cpu_s = _run(statement, python)
            wall[name].append(wall_s)
            cpu[name].append(cpu_s)
    return {n: p50(v) for n, v in wall.items()}, {n: p50(v) for n, v in cpu.items()}


async def main(base_url: str) -> None:  # the server is not used: imports only
    del base_url
    with tempfile.TemporaryDirectory(prefix="bench-import.") as folder:
        python = core_python(Path(folder) / "venv")
        if python is not None:
            print("-- the SDK's core install (a fresh venv): the goal", flush=True)
            _print(*measure(python=python), goal=True)
        print(f"-- this environment ({sys.prefix}), for comparison", flush=True)
        _print(*measure(), goal=python is None)


def _print(walls: dict[str, float], cpus: dict[str, float], *, goal: bool) -> None:
    load = os.getloadavg()[0]
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
        if not goal:
            continue
        met = ratio <= GOAL_RATIO and sdk_s * 1000 <= GOAL_MS
        verdict = "met" if met else "NOT met"
        print(f"[{kind}] import goal {verdict}: {sdk_s * 1000:.0f} ms, {ratio:.2f}x httpx", flush=True)


if __name__ == "__main__":
    import anyio

    anyio.run(main, "")
