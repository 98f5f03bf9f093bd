"""Every way a wait ends, on the real server, each settled both ways: by an event and by the poll.

* by event: the session listens to the queue's events; periodic polls are pushed 60 s apart, and the
  job ends only after the wait's first (reconciling) poll saw it unfinished, so the event decides;
* by poll: the session's watcher never subscribes (``use_events = False``), the REST poll decides.

``settled_by`` on the job (and on ``JobError`` s) says which path settled the wait. The failure must
carry the server's error type, message and traceback on both paths. "Server gone" uses a TCP proxy
in front of the real server that the test shuts down (connections reset, new ones refused).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import pytest

from invokeai_sdk import (
    APIConnectionError,
    AsyncInvokeAI,
    JobCanceledError,
    JobDeletedError,
    JobFailedError,
    ValidationError,
    _job_watcher,
)
from invokeai_sdk._job_watcher import get_watcher
from invokeai_sdk.jobs import JobHandle

from ..conftest import ServerInfo
from ._graphs import batch_runs3_data, fail_missing_image, math

WAYS = ["event", "poll"]


@pytest.fixture(autouse=True)
def slow_periodic_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Periodic polls 60 s apart: a wait that ends sooner was ended by an event or an event-woken poll
    (the poll-only sessions below poll on their own 0.2 s clock instead)."""
    monkeypatch.setattr(_job_watcher, "POLL_INTERVAL", 60.0)


class _Waiting:
    """A ``job.wait()`` running in the background; ``outcome()`` is its return value or exception."""

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.result: str | None = None
        self.error: BaseException | None = None

    async def run(self, job: JobHandle) -> None:
        try:
            self.result = await job.wait(wait_timeout=90)
        except Exception as exc:
            self.error = exc
        finally:
            self.done.set()

    async def outcome(self) -> str | BaseException:
        with anyio.fail_after(60):
            await self.done.wait()
        return self.error if self.error is not None else str(self.result)


@contextlib.asynccontextmanager
async def _session(base_url: str, way: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[AsyncInvokeAI]:
    async with AsyncInvokeAI(base_url) as ivk:
        watcher = get_watcher(ivk, "default")
        if way == "poll":
            watcher.use_events = False
            monkeypatch.setattr(_job_watcher, "POLL_INTERVAL", 0.2)
        yield ivk
        if way == "event":
            assert watcher.listening


async def _registered(job: JobHandle) -> None:
    """Return once the wait on ``job`` is registered and its first poll found the job unfinished."""
    watcher = get_watcher(job._client, job.queue_id)
    for _ in range(1500):
        if job.item_id in watcher._waiters and watcher.polling:
            return
        await anyio.sleep(0.02)
    raise AssertionError(f"the wait on item {job.item_id} never started")


async def _end_while_waited(
    ivk: AsyncInvokeAI, graph: dict[str, Any], end: Callable[[JobHandle], Awaitable[Any]]
) -> tuple[JobHandle, str | BaseException]:
    """Enqueue ``graph`` on the paused queue, start waiting, then ``end`` the job."""
    await ivk.queue.pause()
    job = (await ivk.queue.enqueue(graph)).jobs[0]
    waiting = _Waiting()
    async with anyio.create_task_group() as tg:
        tg.start_soon(waiting.run, job)
        await _registered(job)
        await end(job)
        outcome = await waiting.outcome()
    return job, outcome


async def _resume(ivk: AsyncInvokeAI) -> Callable[[JobHandle], Awaitable[Any]]:
    async def end(job: JobHandle) -> None:
        await ivk.queue.resume()

    return end


@pytest.mark.parametrize("way", WAYS)
async def test_completed(clean: ServerInfo, way: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async with _session(clean.base_url, way, monkeypatch) as ivk:
        job, outcome = await _end_while_waited(ivk, math(), await _resume(ivk))
        assert outcome == "completed"
        assert job.settled_by == way
        assert (await job.outputs())["sum"][0]["value"] == 42


@pytest.mark.parametrize("way", WAYS)
async def test_failed_keeps_the_servers_error(
    clean: ServerInfo, way: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _session(clean.base_url, way, monkeypatch) as ivk:
        job, outcome = await _end_while_waited(ivk, fail_missing_image(), await _resume(ivk))
        assert isinstance(outcome, JobFailedError)
        assert outcome.settled_by == way and job.settled_by == way
        item = await ivk.queue.get(job.item_id)
        assert item.status == "failed"
        assert outcome.error_type == item.error_type == "ImageRecordNotFoundException"
        assert outcome.error_message == item.error_message and outcome.error_message
        assert outcome.error_traceback == item.error_traceback
        assert "Traceback" in (outcome.error_traceback or "")
        assert outcome.item_id == job.item_id and outcome.batch_id == job.batch_id


@pytest.mark.parametrize("way", WAYS)
async def test_canceled(clean: ServerInfo, way: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async with _session(clean.base_url, way, monkeypatch) as ivk:
        job, outcome = await _end_while_waited(ivk, math(), lambda job: job.cancel())
        assert type(outcome) is JobCanceledError
        assert outcome.settled_by == way
        assert (await ivk.queue.get(job.item_id)).status == "canceled"


@pytest.mark.parametrize("way", WAYS)
async def test_deleted_while_waited_on(clean: ServerInfo, way: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async with _session(clean.base_url, way, monkeypatch) as ivk:
        _, outcome = await _end_while_waited(ivk, math(), lambda job: ivk.queue.delete(job.item_id))
        assert isinstance(outcome, JobCanceledError)
        assert outcome.settled_by == way
        if way == "event":
            # the server cancels an unfinished item it deletes: its cancel event ends the wait
            assert type(outcome) is JobCanceledError
        else:
            assert isinstance(outcome, JobDeletedError)  # the poll finds it gone
        assert await ivk.queue.list_all() == []


@pytest.mark.parametrize("way", WAYS)
async def test_cleared_while_waited_on(clean: ServerInfo, way: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async with _session(clean.base_url, way, monkeypatch) as ivk:
        _, outcome = await _end_while_waited(ivk, math(), lambda job: ivk.queue.clear())
        # a pending item is deleted without a status event; on the event path the queue_cleared event
        # wakes the poller at once (periodic polls are 60 s apart here), which finds the item gone
        assert isinstance(outcome, JobDeletedError)
        assert outcome.settled_by == "poll"
        assert await ivk.queue.list_all() == []


@pytest.mark.parametrize("way", WAYS)
async def test_finished_before_the_wait_started(
    clean: ServerInfo, way: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _session(clean.base_url, way, monkeypatch) as ivk:
        ok = (await ivk.queue.enqueue(math())).jobs[0]
        bad = (await ivk.queue.enqueue(fail_missing_image())).jobs[0]
        for _ in range(600):
            if (await ivk.queue.get(bad.item_id)).is_terminal:
                break
            await anyio.sleep(0.1)
    async with _session(clean.base_url, way, monkeypatch) as fresh:  # never saw their events
        assert await JobHandle(fresh, ok.item_id).wait(wait_timeout=30) == "completed"
        with pytest.raises(JobFailedError) as caught:
            await JobHandle(fresh, bad.item_id).wait(wait_timeout=30)
        assert caught.value.settled_by == "poll"
        assert caught.value.error_type == "ImageRecordNotFoundException"
        assert "Traceback" in (caught.value.error_traceback or "")


# -- server gone ---------------------------------------------------------------------------------


class _Proxy:
    """A TCP proxy to the real server; :meth:`kill` resets every connection and refuses new ones."""

    def __init__(self, target: str) -> None:
        host, port = target.rsplit("//", 1)[1].rsplit(":", 1)
        self._target = (host, int(port))
        self._server: asyncio.AbstractServer | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._writers += [writer, up_writer]

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, RuntimeError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def kill(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.transport.abort()


@pytest.mark.parametrize("way", WAYS)
async def test_server_gone_ends_the_wait_after_the_give_up_time(
    clean: ServerInfo, way: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = _Proxy(clean.base_url)
    url = await proxy.start()
    monkeypatch.setattr(_job_watcher, "GIVE_UP_AFTER", 2.0)  # the README's 30 s, shortened for the test
    monkeypatch.setattr(_job_watcher, "POLL_INTERVAL", 0.2)  # a dropped socket does not wake the poller
    try:
        async with _session(url, way, monkeypatch) as ivk:
            watcher = get_watcher(ivk, "default")
            assert watcher.give_up_after == 2.0
            await ivk.queue.pause()
            job = (await ivk.queue.enqueue(math())).jobs[0]
            assert watcher.listening is (way == "event")
            waiting = _Waiting()
            async with anyio.create_task_group() as tg:
                tg.start_soon(waiting.run, job)
                await _registered(job)
                proxy.kill()
                outcome = await waiting.outcome()
            assert isinstance(outcome, APIConnectionError)  # the last poll's error, typed
            assert not watcher._waiters
    finally:
        proxy.kill()
    # the job itself is still on the (real) server, untouched
    async with AsyncInvokeAI(clean.base_url) as direct:
        assert (await direct.queue.get(job.item_id)).status == "pending"


async def test_run_refuses_more_than_one_item(ivk: AsyncInvokeAI) -> None:
    with pytest.raises(ValidationError, match="one item"):
        await ivk.queue.run({"graph": math(), "runs": 2})
    with pytest.raises(ValidationError, match="one item"):
        await ivk.queue.run(batch_runs3_data())
    assert await ivk.queue.list_all() == []  # nothing was sent
