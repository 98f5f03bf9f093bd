"""A pool of InvokeAI servers inside a Ray job: one actor owns the pool, Ray tasks submit through it.

::

    import ray  # type: ignore[import-not-found, unused-ignore]  # the optional "ray" extra
    from invokeai_sdk.pool.ray import pool_actor

    ray.init()
    pool = pool_actor(["http://gpu1:9090", "http://gpu2:9090"])   # one actor, one pool session

    @ray.remote
    def render(prompt_seed: int) -> list[str]:
        outputs = ray.get(pool.run.remote(graph_for(prompt_seed)))  # routed to a free server
        return [o["save"][0]["image"]["image_name"] for o in outputs]

    names = ray.get([render.remote(s) for s in range(100)])

The actor holds one :class:`~invokeai_sdk.pool.InvokeAIPool` (so one place knows every server's
load and health, whatever number of tasks feed it) and serves many calls at once
(``max_concurrency``): each call blocks only its own actor thread while the pool's loop runs the
work. A submission is addressed by the id :meth:`PoolActor.submit` returns; results are plain
data (lists and dicts), ready for the next stage of the pipeline. Needs the ``ray`` extra
(``pip install invokeai-sdk[ray]``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from .._types import NOT_GIVEN, NotGiven
from .._waiting import resolve_wait_timeout
from ._sync import InvokeAIPool, SyncPoolRun

__all__ = ["PoolActor", "pool_actor"]


class PoolActor:
    """The Ray actor's class: one pool session, submissions kept by id until :meth:`forget`."""

    def __init__(self, servers: Sequence[str], **options: Any) -> None:
        self._pool = InvokeAIPool(list(servers), **options)
        self._pool.__enter__()
        self._runs: dict[str, SyncPoolRun] = {}

    def submit(
        self,
        graph_or_batch: Mapping[str, Any],
        *,
        runs: int | None = None,
        data: Sequence[Sequence[Mapping[str, Any]]] | None = None,
    ) -> str:
        """Spread a graph or batch over the servers; return the submission's id (its ``origin``)."""
        run = self._pool.enqueue(graph_or_batch, runs=runs, data=data)
        self._runs[run.origin] = run
        return run.origin

    def submit_workflow(self, workflow: Any, **options: Any) -> str:
        """Run a GUI workflow over the servers (see ``enqueue_workflow``); return the submission's id."""
        run = self._pool.enqueue_workflow(workflow, **options)
        self._runs[run.origin] = run
        return run.origin

    def wait(
        self,
        run_id: str,
        *,
        wait_timeout: float | None = None,
        timeout: float | None | NotGiven = NOT_GIVEN,
    ) -> list[str]:
        """Wait for every item of a submission; its statuses (raises like ``PoolRun.wait``).

        ``wait_timeout``: the deadline in seconds (``None``: none); ``timeout=`` is its deprecated old name.
        """
        seconds = resolve_wait_timeout(wait_timeout, timeout)
        return self._runs[run_id].wait(wait_timeout=seconds)

    def status(self, run_id: str) -> dict[str, Any]:
        """A submission's counts per status, and completed items per server."""
        status = self._runs[run_id].status()
        return {**status.__dict__, "done": status.done}

    def outputs(self, run_id: str) -> list[dict[str, list[dict[str, Any]]]]:
        """Every item's outputs per source node id, in submission order."""
        return self._runs[run_id].outputs()

    def images(self, run_id: str) -> list[tuple[str, str]]:
        """``(server, image_name)`` of every image, item after item."""
        return [(i.server, i.image_name) for i in self._runs[run_id].images()]

    def download_images(self, run_id: str, to_dir: str) -> list[str]:
        """Download every image into ``to_dir`` on the actor's node; return the paths."""
        return [os.fspath(p) for p in self._runs[run_id].download_images(to_dir)]

    def run(
        self,
        graph_or_batch: Mapping[str, Any],
        *,
        runs: int | None = None,
        data: Sequence[Sequence[Mapping[str, Any]]] | None = None,
        wait_timeout: float | None = None,
        timeout: float | None | NotGiven = NOT_GIVEN,
    ) -> list[dict[str, list[dict[str, Any]]]]:
        """Submit, wait, and return the outputs in one call (nothing kept afterwards).

        ``wait_timeout``: the deadline in seconds (``None``: none); ``timeout=`` is its deprecated old name.
        """
        seconds = resolve_wait_timeout(wait_timeout, timeout)
        run = self._pool.enqueue(graph_or_batch, runs=runs, data=data)
        run.wait(wait_timeout=seconds)
        return run.outputs()

    def forget(self, run_id: str) -> None:
        """Drop a finished submission from the actor's memory."""
        self._runs.pop(run_id, None)

    def servers(self) -> list[dict[str, Any]]:
        """Each server's health, load, measured speed and completed count."""
        return [info.__dict__.copy() for info in self._pool.server_info()]

    def close(self) -> None:
        """Close the pool (the servers keep their queues)."""
        self._pool.close()


def pool_actor(
    servers: Sequence[str],
    *,
    max_concurrency: int = 64,
    name: str | None = None,
    **options: Any,
) -> Any:
    """Start a :class:`PoolActor` (``ray.remote``) and return its handle.

    ``max_concurrency`` is how many calls it serves at once (each waiting call holds one actor
    thread); ``name`` makes it a named actor other drivers can find with ``ray.get_actor``. Other
    keyword arguments go to the pool (``slots``, ``poll_interval``, ``reassign_after``, ...).
    The actor takes no CPU of its own (``num_cpus=0``): it mostly waits on the servers.
    """
    import ray  # type: ignore[import-not-found, unused-ignore]  # the optional "ray" extra

    actor_class = ray.remote(num_cpus=0, max_concurrency=max_concurrency)(PoolActor)
    if name is not None:
        actor_class = actor_class.options(name=name)
    return actor_class.remote(list(servers), **options)
