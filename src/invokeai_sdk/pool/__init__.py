"""A pool of InvokeAI servers: one submission spread over many servers, one handle for all.

::

    from invokeai_sdk.pool import AsyncInvokeAIPool

    async with AsyncInvokeAIPool(["http://gpu1:9090", "http://gpu2:9090", "http://gpu3:9090"]) as pool:
        run = await pool.enqueue(graph, runs=300)
        await run.wait()
        await run.download_images("out/")      # from every server into one folder

``InvokeAIPool`` is the sync twin; ``SimulatedServer`` is an in-process server for tests and
benchmarks; ``invokeai_sdk.pool.ray`` puts a pool behind a Ray actor.
"""

from ._backend import ItemState, PoolServer, RemoteServer
from ._handle import PoolEvent, PoolImage, PoolJob, PoolRun, PoolStatus
from ._pool import AsyncInvokeAIPool, NoServerError, PoolError, ServerInfo
from ._simulated import SimulatedServer
from ._sync import InvokeAIPool, SyncPoolJob, SyncPoolRun

__all__ = [
    "AsyncInvokeAIPool",
    "InvokeAIPool",
    "ItemState",
    "NoServerError",
    "PoolError",
    "PoolEvent",
    "PoolImage",
    "PoolJob",
    "PoolRun",
    "PoolServer",
    "PoolStatus",
    "RemoteServer",
    "ServerInfo",
    "SimulatedServer",
    "SyncPoolJob",
    "SyncPoolRun",
]
