"""The sync runtime: private loop, Ctrl-C, fork, callers with a running loop, threads, closing.

What a real InvokeAI server will not do on demand (hang for a while, serve a forked child while we
watch) runs against a small HTTP server in this process (real sockets) or an httpx mock transport.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import faulthandler
import json
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anyio
import anyio.abc
import anyio.to_thread
import httpx
import pytest

from invokeai_sdk import InvokeAI, SyncInAsyncContextWarning, SyncRuntimeError
from invokeai_sdk._sync import runtime

VERSION_PATH = "/api/v1/app/version"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        server = self.server
        assert isinstance(server, _Server)
        server.hits += 1
        if self.path.startswith(VERSION_PATH):
            body = json.dumps({"version": "6.14.2", "pid": os.getpid()}).encode()
        elif self.path.startswith("/api/v1/images/"):
            body = json.dumps(_image_page(self.path)).encode()
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _image_page(path: str) -> dict[str, object]:
    query = httpx.URL(path).params
    offset, limit, total = int(query.get("offset", 0)), int(query.get("limit", 10)), 25
    names = [f"img-{i}.png" for i in range(offset, min(offset + limit, total))]
    return {"items": [_image(n) for n in names], "offset": offset, "limit": limit, "total": total}


def _image(name: str) -> dict[str, object]:
    return {
        "image_name": name,
        "image_url": f"/api/v1/images/i/{name}/full",
        "thumbnail_url": f"/api/v1/images/i/{name}/thumbnail",
        "image_origin": "external",
        "image_category": "user",
        "width": 8,
        "height": 8,
        "created_at": "2026-01-01 00:00:00",
        "updated_at": "2026-01-01 00:00:00",
        "is_intermediate": False,
        "starred": False,
        "has_workflow": False,
    }


class _Server(ThreadingHTTPServer):
    hits = 0


@pytest.fixture(scope="module")
def http_server() -> Iterator[str]:
    """A tiny real HTTP server answering the version and image-list endpoints."""
    server = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _hanging_client(cancelled: threading.Event, started: threading.Event) -> InvokeAI:
    async def handler(request: httpx.Request) -> httpx.Response:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return httpx.Response(200, json={"version": "never"})

    return InvokeAI(
        "http://invoke.test", http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler))
    )


def test_calls_run_on_one_private_loop_thread(http_server: str) -> None:
    with InvokeAI(http_server) as ivk:
        assert ivk.app.version() == "6.14.2"
        rt = runtime.get_runtime()
        loop_thread = rt._loop_thread
        assert loop_thread is not None and loop_thread != threading.get_ident()
        assert ivk.app.version() == "6.14.2"
        assert rt._loop_thread == loop_thread  # the same loop serves every call
    assert ivk.is_closed


def test_a_task_future_serves_timeouts_and_several_waiters() -> None:
    release = threading.Event()

    async def slow(value: int) -> int:
        await anyio.to_thread.run_sync(release.wait)
        return value

    future = runtime.start(slow, 7)
    with pytest.raises(TimeoutError):
        future.result(timeout=0.05)  # still running: the wait gives up, the task goes on
    assert not future.done()
    with ThreadPoolExecutor(3) as pool:
        waiters = [pool.submit(runtime.result, future) for _ in range(3)]
        time.sleep(0.05)
        release.set()
        assert [w.result(timeout=5) for w in waiters] == [7, 7, 7]  # every waiter is woken
    assert runtime.result(future) == 7  # and a finished future answers at once


def _blocked_loop() -> tuple[asyncio.AbstractEventLoop, threading.Event, threading.Thread]:
    """A loop on its own thread whose next callback blocks until the returned event is set."""
    loop, gate, busy = asyncio.new_event_loop(), threading.Event(), threading.Event()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    loop.call_soon_threadsafe(lambda: (busy.set(), gate.wait(5)))
    assert busy.wait(5)
    return loop, gate, thread


def _stop(loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


@pytest.mark.parametrize("when", ["on the way over", "before its first step"])
def test_a_task_cancelled_before_it_runs_settles_at_once(when: str) -> None:
    ran = threading.Event()

    async def body() -> int:
        ran.set()
        return 1

    loop, gate, thread = _blocked_loop()
    try:
        future = runtime._spawn(loop, body())  # its start() waits behind the blocked callback
        if when == "on the way over":
            future.cancel()
        else:  # the loop cancels every task (as at shutdown) right after start() made it
            loop.call_soon_threadsafe(lambda: [task.cancel() for task in asyncio.all_tasks(loop)])
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the coroutine is closed, never left "never awaited"
            gate.set()
            assert future.wait_unwound(5)
            with pytest.raises(concurrent.futures.CancelledError):
                future.result(timeout=5)
        assert not ran.is_set()
    finally:
        gate.set()
        _stop(loop, thread)


def test_ctrl_c_cancels_the_task_on_the_loop() -> None:
    cancelled, started = threading.Event(), threading.Event()
    ivk = _hanging_client(cancelled, started)
    timer = threading.Timer(0.5, lambda: started.wait(5) and os.kill(os.getpid(), signal.SIGINT))
    # a script's Ctrl-C: Python's default handler (an earlier asyncio runner may have left its own)
    # (and no event loop of the test runner may see the signal through its wakeup fd)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    wakeup_fd = signal.set_wakeup_fd(-1)
    timer.start()
    began = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            ivk.app.version(timeout=60)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
        signal.set_wakeup_fd(wakeup_fd)
    assert time.monotonic() - began < 5
    assert cancelled.wait(5), "the request task on the loop was not cancelled"
    ivk.close()


def test_caller_running_a_loop_is_served_with_a_one_time_warning(
    http_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime.get_runtime(), "_warned", False)
    results: list[object] = []

    async def notebook_cell() -> None:
        with InvokeAI(http_server) as ivk:
            with pytest.warns(SyncInAsyncContextWarning, match="runs an event loop"):
                results.append(ivk.app.version())
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                results.append(ivk.app.version())  # no second warning

    asyncio.run(notebook_cell())
    assert results == ["6.14.2", "6.14.2"]


def test_a_call_from_the_loop_thread_itself_is_refused(http_server: str) -> None:
    with InvokeAI(http_server) as ivk:
        ivk.app.version()

        async def callback_on_the_loop() -> object:
            return ivk.app.version()

        with pytest.raises(SyncRuntimeError, match="own event loop"):
            runtime.call(callback_on_the_loop)


def test_eight_threads_share_one_client(http_server: str) -> None:
    with InvokeAI(http_server) as ivk:

        def work(n: int) -> list[str]:
            return [str(ivk.app.version()) for _ in range(25)] + [
                ivk.images.list(limit=10).first_page().items[0].image_name
            ]

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(work, range(8)))
    assert len(results) == 8
    assert all(r[:25] == ["6.14.2"] * 25 and r[25] == "img-0.png" for r in results)


def test_plain_for_loop_walks_every_page(http_server: str) -> None:
    with InvokeAI(http_server) as ivk:
        names = [image.image_name for image in ivk.images.list(limit=10)]
        assert names == [f"img-{i}.png" for i in range(25)]
        pages = list(ivk.images.list(limit=10).first_page().iter_pages())
        assert [len(p) for p in pages] == [10, 10, 5]
        assert [p.offset for p in pages] == [0, 10, 20]


def test_breaking_out_of_an_iterator_stops_its_task() -> None:
    async def endless() -> AsyncIterator[int]:
        n = 0
        while True:
            yield n
            n += 1
            await asyncio.sleep(0)

    iterator = runtime.iterate(endless)
    assert next(iterator) == 0
    task = iterator._task
    assert task is not None
    iterator.close()
    deadline = time.monotonic() + 5
    while not task.done() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert task.done()
    with pytest.raises(StopIteration):
        next(iterator)


def test_a_sync_walk_crosses_threads_once_per_page(http_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from invokeai_sdk._sync import pages

    crossings: list[object] = []
    real_call, real_start = pages.call, pages.start

    def counting_call(fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        crossings.append(fn)
        return real_call(fn, *args, **kwargs)

    def counting_start(fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        crossings.append(fn)
        return real_start(fn, *args, **kwargs)

    monkeypatch.setattr(pages, "call", counting_call)
    monkeypatch.setattr(pages, "start", counting_start)
    with InvokeAI(http_server) as ivk:
        names = [image.image_name for image in ivk.images.list(limit=10)]
        assert names == [f"img-{n}.png" for n in range(25)]
        assert len(crossings) == 3  # 25 items in pages of 10: three requests, three crossings
        crossings.clear()
        listing = ivk.images.list(limit=10)
        assert (listing.total, len(listing), listing[0].image_name) == (25, 10, "img-0.png")
        assert len(crossings) == 1  # the first page is fetched once for all its attributes


def test_a_walk_fetches_ahead_but_raises_where_async_does_and_cancels_on_break() -> None:
    from invokeai_sdk import NotFoundError

    requested: list[int] = []
    hang = threading.Event()
    second_page_started, second_page_cancelled = threading.Event(), threading.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        requested.append(offset)
        if offset == 10 and not hang.is_set():
            return httpx.Response(404, json={"detail": "gone"})
        if offset == 10:  # the fetch ahead of a walk the caller leaves early
            second_page_started.set()
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                second_page_cancelled.set()
                raise
        return httpx.Response(200, json=_image_page(f"/api/v1/images/?{request.url.query.decode()}"))

    with InvokeAI(
        "http://invoke.test", http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler))
    ) as ivk:
        seen: list[str] = []
        with pytest.raises(NotFoundError):
            seen.extend(image.image_name for image in ivk.images.list(limit=10))
        assert seen == [f"img-{n}.png" for n in range(10)]  # the whole first page, then the error
        requested.clear()
        hang.set()
        for image in ivk.images.list(limit=10):
            assert image.image_name == "img-0.png"
            assert second_page_started.wait(5)  # fetched ahead while the caller reads this page
            break  # the page at 10 is being fetched ahead: leaving the walk cancels it
        assert second_page_cancelled.wait(5)
        assert requested == [0, 10]


def test_errors_raised_inside_iteration_reach_the_caller() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"detail": "gone"})

    from invokeai_sdk import NotFoundError

    with (
        InvokeAI(
            "http://invoke.test", http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler))
        ) as ivk,
        pytest.raises(NotFoundError),
    ):
        list(ivk.images.list(limit=10))


def _in_forked_child(body: Callable[[], Any]) -> Any:
    """Run ``body`` in a forked child and return what it returned (JSON through a pipe)."""
    read_fd, write_fd = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork of a threaded process
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        code = 1
        faulthandler.dump_traceback_later(20, exit=True)
        try:
            os.write(write_fd, json.dumps(body()).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        reported = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return json.loads(reported)


def test_forked_child_gets_a_fresh_loop_and_connection_pool(http_server: str) -> None:
    ivk = InvokeAI(http_server)
    assert ivk.app.version() == "6.14.2"  # the parent's loop and pool are in use

    def child() -> list[Any]:
        version = ivk.app.version(timeout=10)
        client_id = id(ivk._target)
        ivk.close()
        return [str(version), client_id]

    version, child_client_id = _in_forked_child(child)
    assert version == "6.14.2"
    assert child_client_id != id(ivk._target)  # the child rebuilt its session
    assert ivk.app.version() == "6.14.2"  # the parent is unaffected
    ivk.close()


def test_a_walk_started_before_a_fork_is_refused_in_the_child_not_hung(http_server: str) -> None:
    ivk = InvokeAI(http_server)
    pages = ivk.images.list(limit=10).iter_pages()
    assert len(next(pages).items) == 10  # the second page is being fetched ahead, on the parent's loop

    def child() -> str:
        try:
            next(pages)
        except SyncRuntimeError as exc:
            return str(exc)
        return "no error"

    assert "started before os.fork()" in _in_forked_child(child)
    assert [len(page.items) for page in pages] == [10, 5]  # the parent's walk goes on
    ivk.close()


def test_forgotten_clients_are_closed_at_exit(http_server: str) -> None:
    ivk = InvokeAI(http_server)
    ivk.app.version()
    copy = ivk.with_options(timeout=5)
    assert not copy.is_closed
    runtime._close_at_exit()
    assert ivk.is_closed and copy.is_closed
    assert not runtime.get_runtime().started


def test_interpreter_exit_with_an_open_client_is_clean(http_server: str) -> None:
    script = f"from invokeai_sdk import InvokeAI\nivk = InvokeAI({http_server!r})\nprint(ivk.app.version())\n"
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "6.14.2"
    assert result.stderr == ""


def test_with_options_copy_shares_the_session(http_server: str) -> None:
    with InvokeAI(http_server, max_retries=2) as ivk:
        copy = ivk.with_options(max_retries=0, timeout=3)
        assert isinstance(copy, InvokeAI)
        assert copy.max_retries == 0 and ivk.max_retries == 2
        assert copy.timeout.read == 3
        assert copy.app.version() == "6.14.2"
        assert copy._target._transport is ivk._target._transport
    assert copy.is_closed


# -- context managers: one task, Ctrl-C while entering ----------------------------------------------


class _TaskGroupContext:
    """An async context manager shaped like ``events.subscribe``: ``__aenter__`` opens a task group
    with a background task (the subscription's reader), ``__aexit__`` closes it."""

    def __init__(self, *, hang_on_enter: bool = False) -> None:
        self.hang_on_enter = hang_on_enter
        self.enter_task: object = None
        self.exit_task: object = None
        self.reader_started = threading.Event()
        self.reader_cancelled = threading.Event()
        self.unwound = threading.Event()
        self.exit_args: tuple[object, ...] = ()
        self._group: anyio.abc.TaskGroup | None = None

    async def _reader(self) -> None:
        self.reader_started.set()
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            self.reader_cancelled.set()
            raise

    async def __aenter__(self) -> str:
        self.enter_task = asyncio.current_task()
        group = anyio.create_task_group()
        await group.__aenter__()
        self._group = group
        group.start_soon(self._reader)
        if self.hang_on_enter:
            try:
                await anyio.sleep(30)  # e.g. a subscription whose rooms never get joined
            except BaseException as exc:
                group.cancel_scope.cancel()
                try:
                    with anyio.CancelScope(shield=True):
                        await group.__aexit__(type(exc), exc, exc.__traceback__)
                finally:
                    self.unwound.set()
                raise
        return "stream"

    async def __aexit__(self, *exc_info: object) -> bool:
        self.exit_task = asyncio.current_task()
        self.exit_args = exc_info
        assert self._group is not None
        self._group.cancel_scope.cancel()
        await self._group.__aexit__(None, None, None)  # anyio refuses this from another task
        self.unwound.set()
        kind = exc_info[0]
        return isinstance(kind, type) and issubclass(kind, LookupError)  # handles LookupError


def test_a_context_owning_a_task_group_enters_and_exits_in_one_task() -> None:
    cm = _TaskGroupContext()
    with runtime.context(lambda: cm) as value:
        assert value == "stream"
        assert cm.reader_started.wait(5)
        assert cm.exit_task is None
    assert cm.enter_task is not None and cm.exit_task is cm.enter_task
    assert cm.reader_cancelled.is_set() and cm.unwound.is_set()
    assert cm.exit_args == (None, None, None)

    suppressing = _TaskGroupContext()
    with runtime.context(lambda: suppressing).map(str.upper) as upper:
        assert upper == "STREAM"
        raise KeyError("handled by the async side")
    assert suppressing.exit_args[0] is KeyError and suppressing.exit_task is suppressing.enter_task

    with pytest.raises(ZeroDivisionError), runtime.context(lambda: _TaskGroupContext()):
        raise ZeroDivisionError


def test_ctrl_c_while_entering_a_context_cancels_and_unwinds_it() -> None:
    cm = _TaskGroupContext(hang_on_enter=True)
    context = runtime.context(lambda: cm)
    timer = threading.Timer(0.3, lambda: cm.reader_started.wait(5) and os.kill(os.getpid(), signal.SIGINT))
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    wakeup_fd = signal.set_wakeup_fd(-1)
    timer.start()
    began = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt), context:
            pytest.fail("the body must not run: entering was interrupted")
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
        signal.set_wakeup_fd(wakeup_fd)
    assert time.monotonic() - began < 5
    # unwound before KeyboardInterrupt reached us: the background task is gone, nothing leaks
    assert cm.reader_cancelled.is_set() and cm.unwound.is_set()
    assert cm.exit_task is None  # never entered, so never exited
    assert context._task is None
    with runtime.context(lambda: _TaskGroupContext()) as value:  # the loop still serves
        assert value == "stream"


def test_forked_child_refuses_a_caller_supplied_http_client(http_server: str) -> None:
    ivk = InvokeAI(http_server, http_client=httpx.AsyncClient())
    assert ivk.app.version() == "6.14.2"

    def child() -> list[str]:
        try:
            ivk.app.version(timeout=10)
            outcome = ["served", ""]
        except SyncRuntimeError as exc:
            outcome = ["refused", str(exc)]
        ivk.close()  # closing in the child is allowed and touches nothing of the parent's
        fresh = InvokeAI(http_server, http_client=httpx.AsyncClient())
        outcome.append(str(fresh.app.version(timeout=10)))
        fresh.close()
        return outcome

    outcome, message, fresh_version = _in_forked_child(child)
    assert outcome == "refused"
    assert "os.fork()" in message and "http_client" in message and "in the child" in message
    assert fresh_version == "6.14.2"  # a client made in the child works
    assert ivk.app.version() == "6.14.2"  # the parent's own client is unaffected
    ivk.close()
