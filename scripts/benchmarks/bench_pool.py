"""The server pool: simulated makespan against the ideal, and the real speed-up of three servers over one.

Simulation (trio's virtual clock, so minutes of simulated work take seconds): 100 simulated
servers of four speeds (1 to 4 s per item, +-10 % jitter, 1 % of enqueue replies lost), 10,000
items. The ideal makespan is the total work divided by the total capacity: the ``T`` at which
``sum(min(T, alive_i) / seconds_i) = items``, where ``alive_i`` is when server ``i`` dies (never,
without failures). With failures a tenth of the servers die between 30 % and 70 % of the run
(half refusing connections, half hanging). Goal: makespan at most 1.1x the ideal.

Real: three local InvokeAI servers started here (model-free jobs: a 512x512 blank image through
blurs and a resize, saved), the same items through a pool of one server and a pool of all three,
interleaved twice (``INVOKEAI_BENCH_POOL_ROOTS``: three roots of servers started by hand, joined
with ``os.pathsep``, to reuse them); beside them each server's CPU use (its process's CPU seconds
over the run's wall time). Goal: at least 2x. On a 2-core machine three servers share two cores.
``BENCH_POOL_SIM_ONLY=1`` skips the real part.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from invokeai_sdk.pool import AsyncInvokeAIPool, SimulatedServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import invokeai_server

SIM_SERVERS = 100
SIM_ITEMS = 10_000
REAL_ITEMS = 36
GRAPH: dict[str, Any] = {"nodes": {"save": {"id": "save", "type": "save_image"}}, "edges": []}


def _edge(a: str, af: str, b: str, bf: str) -> dict[str, Any]:
    return {"source": {"node_id": a, "field": af}, "destination": {"node_id": b, "field": bf}}


def light_graph() -> dict[str, Any]:
    """blank_image (64 px) -> img_blur -> save_image: the typical small model-free job, whose time is
    mostly the server's fixed per-item work (a few hundred ms), not pixels."""
    return {
        "nodes": {
            "blank": {
                "id": "blank",
                "type": "blank_image",
                "width": 64,
                "height": 64,
                "is_intermediate": True,
            },
            "blur": {
                "id": "blur",
                "type": "img_blur",
                "radius": 2,
                "is_intermediate": True,
                "use_cache": False,
            },
            "save": {"id": "save", "type": "save_image", "is_intermediate": False, "use_cache": False},
        },
        "edges": [_edge("blank", "image", "blur", "image"), _edge("blur", "image", "save", "image")],
    }


def real_graph() -> dict[str, Any]:
    """blank_image -> 3 x img_blur -> img_resize -> save_image (no model, really computed): CPU-bound."""
    nodes: dict[str, Any] = {
        "blank": {
            "id": "blank",
            "type": "blank_image",
            "width": 512,
            "height": 512,
            "mode": "RGB",
            "color": {"r": 40, "g": 90, "b": 200, "a": 255},
            "is_intermediate": True,
        },
        "resize": {
            "id": "resize",
            "type": "img_resize",
            "width": 384,
            "height": 384,
            "is_intermediate": True,
        },
        "save": {"id": "save", "type": "save_image", "is_intermediate": False, "use_cache": False},
    }
    edges = []
    previous = "blank"
    for i in range(3):
        nodes[f"blur{i}"] = {
            "id": f"blur{i}",
            "type": "img_blur",
            "radius": 6 + i,
            "blur_type": "gaussian",
            "is_intermediate": True,
            "use_cache": False,
        }
        edges.append(_edge(previous, "image", f"blur{i}", "image"))
        previous = f"blur{i}"
    edges += [_edge(previous, "image", "resize", "image"), _edge("resize", "image", "save", "image")]
    return {"nodes": nodes, "edges": edges}


# -- simulation --------------------------------------------------------------------------------


def _sims(failures: bool) -> list[SimulatedServer]:
    sims = []
    for i in range(SIM_SERVERS):
        seconds = 1.0 + i % 4
        fail = None
        if failures and i % 10 == 7:
            fail = 0.3 + 0.4 * (i // 10) / 9  # a fraction of the ideal run, filled in below
        sims.append(SimulatedServer(f"s{i:03}", seconds=seconds, lose_replies=0.01, hang=i % 20 == 7, seed=i))
        sims[-1].fail_at = fail
    return sims


def _ideal(sims: list[SimulatedServer]) -> float:
    def done_by(t: float) -> float:
        return sum(min(t, s.fail_at if s.fail_at is not None else t) / s.seconds for s in sims)

    lo, hi = 0.0, SIM_ITEMS * 10.0
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if done_by(mid) < SIM_ITEMS else (lo, mid)
    return hi


def _simulate(failures: bool) -> tuple[float, float, float, int]:
    import trio
    import trio.testing

    sims = _sims(failures)
    no_fail_ideal = SIM_ITEMS / sum(1 / s.seconds for s in sims)
    for s in sims:  # failures at 30-70 % of the ideal run
        if s.fail_at is not None:
            s.fail_at *= no_fail_ideal
    ideal = _ideal(sims)
    out: list[tuple[float, int]] = []

    async def main() -> None:
        async with AsyncInvokeAIPool(sims, poll_interval=0.5, call_timeout=10.0) as pool:
            start = trio.current_time()
            run = await pool.enqueue(GRAPH, runs=SIM_ITEMS)
            await run.wait()
            assert run.status().completed == SIM_ITEMS
            results = {(j.server, j.item_id) for j in run.jobs}
            assert len(results) == SIM_ITEMS, "a duplicate result"
            out.append((trio.current_time() - start, pool.reassigned))

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    return out[0][0], ideal, no_fail_ideal, out[0][1]


def simulation() -> None:
    logging.getLogger("invokeai_sdk.pool").setLevel(logging.ERROR)  # servers dying is the point here
    for failures in (False, True):
        started = time.perf_counter()
        makespan, ideal, no_fail_ideal, moved = _simulate(failures)
        label = "with 10 of 100 servers failing" if failures else "no failures"
        print(
            f"simulated makespan, {label:<31} {makespan:8.1f} s  ideal {ideal:8.1f} s  "
            f"ratio {makespan / ideal:6.3f}x   goal <= 1.1x   ({SIM_SERVERS} servers, {SIM_ITEMS} items, "
            f"{moved} moved, {time.perf_counter() - started:.1f} s to simulate)",
            flush=True,
        )
        if failures:
            print(
                f"{'':<50} against the ideal without failures ({no_fail_ideal:.1f} s): "
                f"{makespan / no_fail_ideal:.3f}x",
                flush=True,
            )


# -- real servers ------------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its children that were waited for (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


async def _timed_run(urls: list[str], graph: dict[str, Any], pids: list[int]) -> tuple[float, list[float]]:
    async with AsyncInvokeAIPool(urls, slots=3, poll_interval=0.05) as pool:
        warm = await pool.enqueue(graph, runs=len(urls))
        await warm.wait()
        cpu0 = [_cpu_seconds(p) for p in pids]
        started = time.perf_counter()
        run = await pool.enqueue(graph, runs=REAL_ITEMS)
        await run.wait()
        wall = time.perf_counter() - started
        cpu = [(_cpu_seconds(p) - c) / wall for p, c in zip(pids, cpu0, strict=True)]
        assert run.status().completed == REAL_ITEMS
        return wall, cpu


async def real() -> None:
    servers: list[invokeai_server.Server] = []
    try:
        roots = os.environ.get("INVOKEAI_BENCH_POOL_ROOTS")  # three servers started by hand, reused
        if roots:
            infos = [json.loads((Path(r) / "server.json").read_text()) for r in roots.split(os.pathsep)]
            urls, pids = [i["base_url"] for i in infos], [int(i["pid"]) for i in infos]
        else:
            for _ in range(3):
                servers.append(await anyio.to_thread.run_sync(invokeai_server.start))
            urls, pids = [s.base_url for s in servers], [s.pid for s in servers]
        for kind, graph in (("light", light_graph()), ("heavy", real_graph())):
            walls: dict[int, list[float]] = {1: [], 3: []}
            cpus: dict[int, list[list[float]]] = {1: [], 3: []}
            for _ in range(2):  # interleaved: drift on the shared machine falls on both alike
                for n in (1, 3):
                    wall, cpu = await _timed_run(urls[:n], graph, pids[:n])
                    walls[n].append(wall)
                    cpus[n].append(cpu)
            one, three = min(walls[1]), min(walls[3])
            cpu_one = " ".join(f"{c * 100:.0f}%" for c in cpus[1][walls[1].index(one)])
            cpu_three = " ".join(f"{c * 100:.0f}%" for c in cpus[3][walls[3].index(three)])
            what = f"real ({kind}): {REAL_ITEMS} model-free items"
            print(f"{what}, 1 server  {one:7.2f} s   (server CPU {cpu_one})", flush=True)
            print(f"{what}, 3 servers {three:7.2f} s   (server CPU {cpu_three})", flush=True)
            print(
                f"real ({kind}): speed-up of 3 servers over 1: {one / three:.2f}x   goal >= 2x   "
                f"({os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} while measuring)",
                flush=True,
            )
    finally:
        for server in servers:
            await anyio.to_thread.run_sync(server.stop)


async def main(base_url: str) -> None:
    """The simulation (in a worker thread: trio's own run), then the three real servers."""
    del base_url  # the real part starts its own three servers (it needs their process ids)
    errors: list[BaseException] = []

    def sim() -> None:
        try:
            simulation()
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=sim)
    worker.start()
    await anyio.to_thread.run_sync(worker.join)
    if errors:
        raise errors[0]
    if os.environ.get("BENCH_POOL_SIM_ONLY"):
        return
    await real()
