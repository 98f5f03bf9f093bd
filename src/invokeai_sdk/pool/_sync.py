"""``InvokeAIPool``: the blocking twin of :class:`AsyncInvokeAIPool`, on the SDK's sync runtime.

Hand-written rather than generated (``scripts/gen_sync.py`` walks the classes reachable from
``AsyncInvokeAI``; a pool is not one), but built the same way: the async pool lives on the private
event loop of ``invokeai_sdk._sync.runtime`` (one daemon thread shared with every ``InvokeAI``),
entered and exited by one task there (``runtime.context``), and every method hands one coroutine
to that loop (``runtime.call``) or iterates on it (``runtime.iterate``). Ctrl-C cancels the
waiting call, as it does for ``InvokeAI``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .._errors import ValidationError
from .._sync import runtime
from .._types import NOT_GIVEN, NotGiven
from .._waiting import resolve_wait_timeout
from ._handle import PoolEvent, PoolImage, PoolJob, PoolRun, PoolStatus
from ._pool import AsyncInvokeAIPool, PoolError, ServerInfo

if TYPE_CHECKING:
    from ..types.queue import QueueItem

if TYPE_CHECKING:
    import httpx

    from ..workflows import WorkflowDocument
    from ._backend import PoolServer

__all__ = ["InvokeAIPool", "SyncPoolJob", "SyncPoolRun"]


class SyncPoolJob:
    """One item of a pool submission (blocking twin of :class:`PoolJob`)."""

    def __init__(self, job: PoolJob) -> None:
        self._job = job
        self.index = job.index

    def __repr__(self) -> str:
        return repr(self._job).replace("PoolJob", "SyncPoolJob", 1)

    @property
    def status(self) -> str | None:
        """``completed``, ``failed``, ``canceled``, ``error``, or ``None`` while unsettled."""
        return self._job.status

    @property
    def server(self) -> str | None:
        """The server whose result counts."""
        return self._job.server

    @property
    def item_id(self) -> int | None:
        """The queue item id on :attr:`server`."""
        return self._job.item_id

    @property
    def attempts(self) -> list[tuple[str, str]]:
        """``(server, batch_id marker)`` of every send of this item, oldest first."""
        return self._job.attempts

    def result(self) -> QueueItem:
        """The queue item (with its session) on the server that ran it."""
        return runtime.call(self._job.result)

    def wait(self, *, wait_timeout: float | None = None, timeout: float | None | NotGiven = NOT_GIVEN) -> str:
        """Wait until the item settles (see :meth:`PoolJob.wait`; ``timeout=`` is deprecated)."""
        seconds = resolve_wait_timeout(wait_timeout, timeout)
        return runtime.call(self._job.wait, wait_timeout=seconds)

    def outputs(self) -> dict[str, list[dict[str, Any]]]:
        """Outputs per source node id."""
        return runtime.call(self._job.outputs)

    def images(self, *, include_intermediate: bool = False) -> list[PoolImage]:
        """The item's images with their server."""
        return runtime.call(self._job.images, include_intermediate=include_intermediate)

    def download_images(
        self, to_dir: str | os.PathLike[str], *, include_intermediate: bool = False
    ) -> list[Path]:
        """Download the item's images into ``to_dir``."""
        return runtime.call(self._job.download_images, to_dir, include_intermediate=include_intermediate)


class SyncPoolRun:
    """A submission spread over a pool's servers (blocking twin of :class:`PoolRun`)."""

    def __init__(self, run: PoolRun) -> None:
        self._run = run
        self.origin = run.origin
        self.servers = list(run.servers)
        self.jobs = [SyncPoolJob(job) for job in run.jobs]

    def __repr__(self) -> str:
        return repr(self._run).replace("PoolRun", "SyncPoolRun", 1)

    def __len__(self) -> int:
        return len(self.jobs)

    def __iter__(self) -> Iterator[SyncPoolJob]:
        return iter(self.jobs)

    def __getitem__(self, index: int) -> SyncPoolJob:
        return self.jobs[index]

    @property
    def done(self) -> bool:
        """True when every item has its outcome."""
        return self._run.done

    def wait(
        self,
        *,
        wait_timeout: float | None = None,
        cancel_on_timeout: bool = False,
        timeout: float | None | NotGiven = NOT_GIVEN,
    ) -> list[str]:
        """Wait for every item on every server (see :meth:`PoolRun.wait`; ``timeout=`` is deprecated)."""
        seconds = resolve_wait_timeout(wait_timeout, timeout)
        return runtime.call(self._run.wait, wait_timeout=seconds, cancel_on_timeout=cancel_on_timeout)

    def status(self) -> PoolStatus:
        """Counts per status over all servers."""
        return self._run.status()

    def progress(self, *, every: float = 1.0) -> runtime.SyncIterator[PoolStatus]:
        """A status every ``every`` seconds while it changes, ending with the final one."""
        return runtime.iterate(self._run.progress, every=every)

    def events(self) -> runtime.SyncIterator[PoolEvent]:
        """Every server's events of this submission, tagged with the server, until it is done."""
        return runtime.iterate(self._run.events)

    def cancel(self) -> int:
        """Cancel every unsettled item."""
        return runtime.call(self._run.cancel)

    def results(self) -> list[QueueItem]:
        """Every item's queue item, in submission order."""
        return runtime.call(self._run.results)

    def outputs(self) -> list[dict[str, list[dict[str, Any]]]]:
        """Every item's outputs per source node id, in submission order."""
        return runtime.call(self._run.outputs)

    def images(self, *, include_intermediate: bool = False) -> list[PoolImage]:
        """Every image with its server, item after item."""
        return runtime.call(self._run.images, include_intermediate=include_intermediate)

    def download_images(
        self, to_dir: str | os.PathLike[str], *, include_intermediate: bool = False
    ) -> list[Path]:
        """Download every image from whichever server holds it into one folder."""
        return runtime.call(self._run.download_images, to_dir, include_intermediate=include_intermediate)


class InvokeAIPool:
    """A blocking session with many InvokeAI servers (twin of :class:`AsyncInvokeAIPool`).

    ::

        with InvokeAIPool(["http://gpu1:9090", "http://gpu2:9090"]) as pool:
            run = pool.enqueue(graph, runs=100)
            run.wait()
            run.download_images("out/")

    Takes the same arguments; use it as ``with`` (the pool's watchers run while the block runs).
    """

    def __init__(self, servers: Sequence[str | httpx.URL | PoolServer], **options: Any) -> None:
        if isinstance(servers, str | bytes) or not servers:
            raise ValidationError("a pool needs a non-empty list of servers (URLs or PoolServers)")
        self._servers = list(servers)
        self._options = options
        self._context: runtime.SyncContext[AsyncInvokeAIPool, AsyncInvokeAIPool] | None = None
        self._pool: AsyncInvokeAIPool | None = None

    def __repr__(self) -> str:
        names = [s if isinstance(s, str) else getattr(s, "name", str(s)) for s in self._servers]
        return f"InvokeAIPool({names!r})"

    def __enter__(self) -> InvokeAIPool:
        if self._context is not None:
            raise PoolError("this pool is already open")
        context = runtime.context(lambda: AsyncInvokeAIPool(self._servers, **self._options))
        self._pool = context.__enter__()
        self._context = context
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(exc_type, exc, tb)

    def close(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        tb: TracebackType | None = None,
    ) -> None:
        """Stop the watchers and close the sessions the pool made."""
        context, self._context, self._pool = self._context, None, None
        if context is not None:
            context.__exit__(exc_type, exc, tb)

    @property
    def async_pool(self) -> AsyncInvokeAIPool:
        """The async pool this one drives (on the sync runtime's loop)."""
        if self._pool is None:
            raise PoolError("the pool is not open: use it as `with InvokeAIPool([...]) as pool`")
        return self._pool

    @property
    def servers(self) -> list[str]:
        """The servers' names."""
        return self.async_pool.servers

    def server_info(self) -> list[ServerInfo]:
        """What the pool knows of each server now."""
        return self.async_pool.server_info()

    @property
    def reassigned(self) -> int:
        """Items moved off a dead server so far."""
        return self.async_pool.reassigned

    @property
    def duplicates(self) -> int:
        """Results ignored because their item had already settled elsewhere."""
        return self.async_pool.duplicates

    def refresh_models(self) -> None:
        """Forget the servers' model lists (read again by the next submission)."""
        runtime.call(self.async_pool.refresh_models)

    def enqueue(
        self,
        graph_or_batch: Mapping[str, Any],
        *,
        runs: int | None = None,
        data: Sequence[Sequence[Mapping[str, Any]]] | None = None,
        destination: str | None = None,
    ) -> SyncPoolRun:
        """Spread a graph or a batch (a sweep) over the servers (see :meth:`AsyncInvokeAIPool.enqueue`)."""
        pool = self.async_pool
        return SyncPoolRun(
            runtime.call(pool.enqueue, graph_or_batch, runs=runs, data=data, destination=destination)
        )

    def enqueue_workflow(
        self,
        workflow: WorkflowDocument | str | Mapping[str, Any],
        *,
        board: Any = None,
        sweep: Mapping[Any, Sequence[Any]] | None = None,
        zip: Sequence[Sequence[Any]] = (),
        runs: int = 1,
        destination: str = "gallery",
    ) -> SyncPoolRun:
        """Run a GUI workflow over the servers (see :meth:`AsyncInvokeAIPool.enqueue_workflow`)."""
        pool = self.async_pool
        return SyncPoolRun(
            runtime.call(
                pool.enqueue_workflow,
                workflow,
                board=board,
                sweep=sweep,
                zip=zip,
                runs=runs,
                destination=destination,
            )
        )
