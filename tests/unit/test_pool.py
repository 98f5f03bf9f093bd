"""The server pool, driven by in-process simulated servers under trio's virtual clock.

Simulated servers stand in for real ones here because a hundred servers, ten thousand items and
servers dying mid-run cannot run on this machine; the real-server proof is
``tests/integration/test_pool.py`` (three servers, one killed with SIGKILL).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from invokeai_sdk import JobFailedError, ValidationError
from invokeai_sdk.pool import (
    AsyncInvokeAIPool,
    InvokeAIPool,
    NoServerError,
    PoolEvent,
    PoolRun,
    SimulatedServer,
)
from invokeai_sdk.pool._routing import Health, ServerState, plan
from invokeai_sdk.pool._units import count_items, item_data, model_refs, one_item_batch, rebind_models

T = TypeVar("T")

GRAPH: dict[str, Any] = {
    "nodes": {
        "seed": {"id": "seed", "type": "integer", "value": 0},
        "save": {"id": "save", "type": "save_image"},
    },
    "edges": [],
}
MODEL = {"key": "k-sd15", "hash": "h", "name": "sd15", "base": "sd-1", "type": "main"}
MODEL_GRAPH: dict[str, Any] = {
    "nodes": {
        "loader": {"id": "loader", "type": "main_model_loader", "model": dict(MODEL)},
        "save": {"id": "save", "type": "save_image"},
    },
    "edges": [],
}


def virtual(main: Callable[[], Awaitable[T]]) -> T:
    """``main()`` under trio with a virtual clock that jumps whenever every task waits.

    In a worker thread: pytest-asyncio's loop owns the main thread's signal wakeup fd.
    """
    import trio
    import trio.testing

    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0)))
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(300)
    if errors:
        raise errors[0]
    assert results, "the trio run did not finish"
    return results[0]


def seeds(n: int) -> list[list[dict[str, Any]]]:
    return [[{"node_path": "seed", "field_name": "value", "items": list(range(n))}]]


def accepted(run: PoolRun) -> list[tuple[str, int]]:
    return [(str(job.server), int(job.item_id or -1)) for job in run.jobs]


def check_exactly_once(run: PoolRun, sims: list[SimulatedServer]) -> None:
    """Every item completed, with one accepted result that really ran, none shared by two items."""
    assert all(job.status == "completed" for job in run.jobs)
    results = accepted(run)
    assert len(set(results)) == len(results)
    ran = {(sim.name, item_id) for sim in sims for _, item_id in sim.executed}
    assert set(results) <= ran
    # every item ran under one of its own markers
    by_server = {sim.name: {i: b for b, i in sim.executed} for sim in sims}
    for job in run.jobs:
        marker = by_server[str(job.server)][int(job.item_id or -1)]
        assert marker.startswith(f"{run.origin}:{job.index}:")


# -- units and routing -------------------------------------------------------------------------


def test_a_batch_splits_into_items_in_the_servers_order() -> None:
    batch = {
        "graph": GRAPH,
        "runs": 2,
        "data": [
            [
                {"node_path": "seed", "field_name": "value", "items": [1, 2]},
                {"node_path": "save", "field_name": "x", "items": ["a", "b"]},
            ],
            [{"node_path": "seed", "field_name": "y", "items": [7, 8, 9]}],
        ],
    }
    items = list(item_data(batch))
    assert count_items(batch) == len(items) == 12
    firsts = [(d[0][0]["items"][0], d[0][1]["items"][0], d[1][0]["items"][0]) for d in items]
    assert firsts[:4] == [(1, "a", 7), (1, "a", 8), (1, "a", 9), (2, "b", 7)]
    assert firsts[6:] == firsts[:6]  # runs outer
    one = one_item_batch(batch, items[4], batch_id="m", origin="o")
    assert one["runs"] == 1 and one["batch_id"] == "m" and one["graph"] is GRAPH
    assert count_items(one) == 1


def test_models_found_by_key_else_by_name_base_and_type() -> None:
    assert {r.key for r in model_refs(MODEL_GRAPH)} == {"k-sd15"}
    batch = {"graph": MODEL_GRAPH}
    same, missing = rebind_models(batch, [MODEL])
    assert not missing and same["graph"] is MODEL_GRAPH
    other = {**MODEL, "key": "other-key", "hash": "h2"}
    moved, missing = rebind_models(batch, [other])
    assert not missing
    assert moved["graph"]["nodes"]["loader"]["model"]["key"] == "other-key"
    assert MODEL_GRAPH["nodes"]["loader"]["model"]["key"] == "k-sd15"  # the caller's graph untouched
    _, missing = rebind_models(batch, [{**MODEL, "key": "x", "base": "sdxl"}])
    assert [str(m) for m in missing] == ["sd15"]


def test_the_plan_fills_every_server_while_there_is_plenty_and_skips_slow_ones_at_the_tail() -> None:
    fast = ServerState("fast", slots=2, seconds=1.0)
    slow = ServerState("slow", slots=2, seconds=10.0)
    assert {s.name: n for s, n in plan([fast, slow], 1000)} == {"fast": 2, "slow": 2}
    # one item left: the fast server finishes it first even behind its current item
    fast.in_flight = 1
    assert [(s.name, n) for s, n in plan([fast, slow], 1)] == [("fast", 1)]
    slow.health.failed(0.0, fatal=True)
    fast.in_flight = 0
    assert [(s.name, n) for s, n in plan([fast, slow], 5)] == [("fast", 2)]


def test_health_takes_a_server_out_and_backs_off_its_probes() -> None:
    health = Health(down_after=2, probe_interval=1.0)
    assert not health.failed(0.0)
    assert health.failed(0.5) and not health.up and health.next_probe == 1.5
    health.failed(1.5)
    assert health.next_probe == 3.5
    assert health.ok() and health.up


def test_a_pool_refuses_bad_arguments() -> None:
    with pytest.raises(ValidationError):
        AsyncInvokeAIPool([])
    with pytest.raises(ValidationError):
        AsyncInvokeAIPool("http://127.0.0.1:9090")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        AsyncInvokeAIPool([SimulatedServer("a"), SimulatedServer("a")])


# -- the pool on simulated servers ------------------------------------------------------------


def test_a_sweep_spreads_over_servers_by_speed() -> None:
    sims = [
        SimulatedServer("fast", seconds=1.0),
        SimulatedServer("mid", seconds=2.0),
        SimulatedServer("slow", seconds=4.0),
    ]

    async def main() -> tuple[PoolRun, float]:
        import anyio

        async with AsyncInvokeAIPool(sims) as pool:
            start = anyio.current_time()
            run = await pool.enqueue(GRAPH, data=seeds(350))
            assert await run.wait() == ["completed"] * 350
            return run, anyio.current_time() - start

    run, makespan = virtual(main)
    check_exactly_once(run, sims)
    per = run.status().per_server
    assert per["fast"] > per["mid"] > per["slow"] > 0
    ideal = 350 / (1 + 1 / 2 + 1 / 4)
    assert makespan < ideal * 1.1
    # item i carries the i-th seed whichever server ran it
    for job in run.jobs[:20]:
        sim = next(s for s in sims if s.name == job.server)
        assert sim._items[int(job.item_id or 0)].data[0][0]["items"] == [job.index]


def test_100_servers_10000_items_a_tenth_failing_lose_and_duplicate_nothing() -> None:
    sims = []
    for i in range(100):
        fail = 60.0 + 3 * i if i % 10 == 3 else None  # ten servers die mid-run
        sims.append(
            SimulatedServer(
                f"s{i:03}",
                seconds=1.0 + (i % 4),
                fail_at=fail,
                hang=i % 20 == 3,  # half of them hang instead of refusing
                recover_at=fail + 40 if fail is not None and i == 93 else None,  # one comes back
                lose_replies=0.01,
                seed=i,
            )
        )

    async def main() -> tuple[PoolRun, AsyncInvokeAIPool]:
        async with AsyncInvokeAIPool(sims, call_timeout=10.0, poll_interval=0.5) as pool:
            run = await pool.enqueue(GRAPH, runs=10_000)
            await run.wait()
            return run, pool

    run, pool = virtual(main)
    assert len(run) == 10_000
    check_exactly_once(run, sims)
    status = run.status()
    assert status.completed == 10_000 and status.pending == 0
    assert pool.reassigned > 0  # the dead servers' items moved
    dead = {s.name for s in sims if s.fail_at is not None and s.recover_at is None}
    assert not any(job.server in dead and job.item_id is None for job in run.jobs)
    executed = Counter(b.split(":")[-2] for s in sims for b, _ in s.executed)
    assert len(executed) == 10_000  # every item ran; runs beyond one are only items moved off a dead server
    assert sum(executed.values()) - 10_000 <= pool.reassigned


def test_a_lost_enqueue_reply_is_settled_by_the_marker_not_by_sending_again() -> None:
    sims = [SimulatedServer(f"s{i}", seconds=1.0, lose_replies=0.3, seed=i) for i in range(3)]

    async def main() -> PoolRun:
        async with AsyncInvokeAIPool(sims) as pool:
            run = await pool.enqueue(GRAPH, runs=200)
            await run.wait()
            return run

    run = virtual(main)
    check_exactly_once(run, sims)
    assert sum(s.enqueued for s in sims) == 200  # no item enqueued twice
    assert all(len(job.attempts) == 1 for job in run.jobs)


def test_items_go_only_where_their_models_are_installed() -> None:
    other = {**MODEL, "key": "k-other"}
    sims = [
        SimulatedServer("has-it", models=[MODEL]),
        SimulatedServer("same-name", models=[other]),
        SimulatedServer("lacks-it", models=[{**MODEL, "key": "x", "name": "sdxl", "base": "sdxl"}]),
    ]

    async def main() -> PoolRun:
        async with AsyncInvokeAIPool(sims) as pool:
            run = await pool.enqueue(MODEL_GRAPH, runs=40)
            await run.wait()
            with pytest.raises(NoServerError, match="lacks-it: lacks nope"):
                await pool.enqueue(
                    {
                        **MODEL_GRAPH,
                        "nodes": {"l": {"type": "x", "model": {**MODEL, "name": "nope", "key": "nope"}}},
                    }
                )
            return run

    run = virtual(main)
    assert run.servers == ["has-it", "same-name"]
    assert set(run.status().per_server) == {"has-it", "same-name"}
    same_name = sims[1]
    sent = next(iter(same_name._items.values())).graph
    assert sent["nodes"]["loader"]["model"]["key"] == "k-other"


def test_a_server_that_comes_back_has_its_moved_items_canceled() -> None:
    sims = [
        SimulatedServer("a", seconds=5.0),
        SimulatedServer("flaky", seconds=5.0, fail_at=7.0, recover_at=30.0),
    ]

    async def main() -> tuple[PoolRun, AsyncInvokeAIPool]:
        async with AsyncInvokeAIPool(sims, slots=4, reassign_after=3.0) as pool:
            run = await pool.enqueue(GRAPH, runs=60)
            await run.wait()
            import anyio

            await anyio.sleep(30)  # let the probe find it back
            assert all(i.up for i in pool.server_info())
            return run, pool

    run, pool = virtual(main)
    check_exactly_once(run, sims)
    flaky = sims[1]
    moved_markers = {m for job in run.jobs for s, m in job.attempts[:-1] if s == "flaky"}
    assert moved_markers and pool.reassigned == len(moved_markers)
    # the running item was canceled by the restart, the queued ones by the pool when it came back
    # (one may have run in between: its result is not the one the run reports)
    statuses = Counter(i.status for i in flaky._items.values() if i.batch_id in moved_markers)
    assert statuses["canceled"] >= 2 and set(statuses) <= {"canceled", "completed"}


def test_failed_items_raise_after_all_settle_and_nothing_is_resent() -> None:
    class Failing(SimulatedServer):
        async def poll(self, item_ids: Any) -> Any:
            states = await super().poll(item_ids)
            from invokeai_sdk.pool import ItemState

            return {
                i: ItemState(i, "failed", s.seconds) if s.status == "completed" and i % 2 else s
                for i, s in states.items()
            }

    sims = [Failing("f", seconds=1.0)]

    async def main() -> PoolRun:
        async with AsyncInvokeAIPool(sims) as pool:
            run = await pool.enqueue(GRAPH, runs=4)
            with pytest.raises(JobFailedError):
                await run.wait()
            return run

    run = virtual(main)
    assert [j.status for j in run.jobs].count("failed") == 2
    assert sims[0].enqueued == 4


def test_outputs_images_and_downloads_span_every_server(tmp_path: Path) -> None:
    sims = [SimulatedServer(f"s{i}", seconds=1.0) for i in range(3)]

    async def main() -> tuple[list[Any], list[Path], list[PoolEvent]]:
        async with AsyncInvokeAIPool(sims) as pool:
            run = await pool.enqueue(GRAPH, runs=12)
            events = [e async for e in run.events()]
            await run.wait()
            outputs = await run.outputs()
            paths = await run.download_images(tmp_path)
            return outputs, paths, events

    outputs, paths, events = virtual(main)
    assert len(outputs) == 12 and all("save" in o for o in outputs)
    assert len(paths) == 12 and len({p.name for p in paths}) == 12
    assert {p.name.split("-")[0] for p in paths} == {"s0", "s1", "s2"}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)
    done = [e for e in events if getattr(e.event, "status", None) == "completed"]
    assert len(done) == 12 and {e.server for e in done} == {"s0", "s1", "s2"}


def test_cancel_settles_unsent_items_and_cancels_queued_ones() -> None:
    sims = [SimulatedServer("a", seconds=10.0)]

    async def main() -> PoolRun:
        import anyio

        async with AsyncInvokeAIPool(sims) as pool:
            run = await pool.enqueue(GRAPH, runs=10)
            await anyio.sleep(1)
            assert await run.cancel() == 10
            with pytest.raises(Exception, match="canceled"):
                await run.wait(wait_timeout=30)
            return run

    run = virtual(main)
    assert all(j.status == "canceled" for j in run.jobs)
    assert sims[0].enqueued == 2


def test_the_sync_pool_runs_on_the_sync_runtime(tmp_path: Path) -> None:
    sims = [SimulatedServer(f"s{i}", seconds=0.01) for i in range(2)]
    with InvokeAIPool(sims, poll_interval=0.02) as pool:
        run = pool.enqueue(GRAPH, data=seeds(10))
        assert run.wait(wait_timeout=30) == ["completed"] * 10
        with pytest.warns(DeprecationWarning, match="wait_timeout"):  # the deadline's old name
            assert run.jobs[0].wait(timeout=30) == "completed"
        with pytest.raises(TypeError, match="not both"):
            run.wait(wait_timeout=30, timeout=30)
        paths = run.download_images(tmp_path)
        assert len(paths) == 10
        assert run.status().completed == 10
        assert pool.servers == ["s0", "s1"]


def test_a_workflow_sweep_splits_into_items_over_the_servers() -> None:
    from invokeai_sdk.workflows import WorkflowDocument

    root = Path(__file__).resolve().parents[2]
    wf = WorkflowDocument.load(root / "workflows" / "blur-sweep.json")
    sims = [SimulatedServer(f"s{i}", seconds=1.0) for i in range(3)]
    expected = wf.to_batch(sweep={"Blur Type": ["box", "gaussian"]})

    async def main() -> PoolRun:
        async with AsyncInvokeAIPool(sims) as pool:
            run = await pool.enqueue_workflow(wf, sweep={"Blur Type": ["box", "gaussian"]})
            await run.wait()
            return run

    run = virtual(main)
    assert len(run) == count_items(expected) > 2
    check_exactly_once(run, sims)
    assert len(run.status().per_server) == 3
    sent = [next(s for s in sims if s.name == j.server)._items[int(j.item_id or 0)].data for j in run.jobs]
    assert sent == list(item_data(expected))  # item i is the workflow's i-th item


def test_the_sync_twins_have_every_public_name_of_the_async_classes() -> None:
    from invokeai_sdk.pool import PoolJob, SyncPoolJob, SyncPoolRun

    def public(cls: type) -> set[str]:
        return {n for n in dir(cls) if not n.startswith("_")}

    # backend() hands out async server objects; the sync pool gives the async pool instead
    assert public(AsyncInvokeAIPool) - {"aclose", "backend"} <= public(InvokeAIPool) | {
        "poll_interval",
        "reassign_after",
        "call_timeout",
    }
    assert public(PoolRun) <= public(SyncPoolRun)
    assert public(PoolJob) <= public(SyncPoolJob)
