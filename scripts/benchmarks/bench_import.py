"""``import invokeai_sdk`` as a whole process, side by side with ``import httpx`` and a bare interpreter.

Each contender is a fresh ``python -c ...`` (same interpreter, same environment), run in turns so that
drift on the shared machine falls on all of them alike; the figure is the median wall time. Goals:
``import invokeai_sdk`` at most 150 ms and at most 1.3x ``import httpx``. The other lines show what a
first use of the lazy parts costs (the sync facade, jobs and events, workflows): they are paid once,
when a script first touches them.
"""

from __future__ import annotations

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


def _run(statement: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True)
    return time.perf_counter() - started


def measure(repeat: int = REPEAT) -> dict[str, float]:
    """Median whole-process wall time (seconds) of each contender, interleaved run by run."""
    for statement in CONTENDERS.values():  # warm the file cache and the .pyc files
        _run(statement)
    samples: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    for _ in range(repeat):
        for name, statement in CONTENDERS.items():
            samples[name].append(_run(statement))
    return {name: p50(values) for name, values in samples.items()}


async def main(base_url: str) -> None:  # the server is not used: imports only
    del base_url
    medians = measure()
    httpx_s, sdk_s = medians["httpx"], medians["sdk"]
    report("python -c pass (interpreter start)", medians["bare"], httpx_s)
    report(
        "import invokeai_sdk vs import httpx",
        sdk_s,
        httpx_s,
        goal=f"<= {GOAL_RATIO}x and <= {GOAL_MS:.0f} ms",
    )
    report("from invokeai_sdk import AsyncInvokeAI vs httpx", medians["sdk_async"], httpx_s)
    report("from invokeai_sdk import InvokeAI (sync) vs httpx", medians["sdk_sync"], httpx_s)
    report("everything (import *, events) vs httpx", medians["sdk_all"], httpx_s)
    ratio = sdk_s / httpx_s
    met = ratio <= GOAL_RATIO and sdk_s * 1000 <= GOAL_MS
    print(f"import goal {'met' if met else 'NOT met'}: {sdk_s * 1000:.0f} ms, {ratio:.2f}x httpx", flush=True)


if __name__ == "__main__":
    import anyio

    anyio.run(main, "")
