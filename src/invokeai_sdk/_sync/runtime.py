"""The private event loop behind the sync API.

``InvokeAI`` (the sync twin of ``AsyncInvokeAI``) runs the async session on one event loop that
lives on a daemon thread (an anyio blocking portal, asyncio backend). The loop starts on first use
and keeps running between calls, so the Socket.IO connection stays up while a script does other
work. Every sync call hands one coroutine to that loop and waits for it:

- a caller whose own thread already runs a loop (Jupyter, a FastAPI handler) is served, with a
  one-time :class:`SyncInAsyncContextWarning`; a call made from the private loop itself is refused
  with :class:`SyncRuntimeError` (it would deadlock);
- Ctrl-C (``KeyboardInterrupt``) while waiting cancels the task on the loop, then re-raises;
- after ``os.fork()`` the child gets a fresh loop and every ``InvokeAI`` a fresh session; one made
  with a caller-supplied ``http_client`` raises :class:`SyncRuntimeError` in the child instead
  (an ``httpx.AsyncClient`` cannot be rebuilt from outside, and the parent's is unusable there);
- sessions still open at interpreter exit are closed (``atexit``, tracked through weak references).

The generated facade (``generated.py``) calls :func:`call`, :func:`iterate` and :func:`context`.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import functools
import os
import threading
import weakref
from collections.abc import AsyncIterable, Awaitable, Callable, Coroutine, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, Self, TypeVar

import anyio
from anyio.from_thread import BlockingPortal, start_blocking_portal

from .._errors import InvokeAIError
from .._warnings import Collected, collecting, reissue, warn_user

if TYPE_CHECKING:
    from .._client import AsyncInvokeAI

__all__ = [
    "SyncClientBase",
    "SyncInAsyncContextWarning",
    "SyncIterator",
    "SyncObject",
    "SyncResource",
    "SyncRuntimeError",
    "call",
    "call_next",
    "context",
    "get_runtime",
    "iterate",
    "optional",
    "result",
    "start",
]

P = ParamSpec("P")
T = TypeVar("T")
U = TypeVar("U")

_CANCEL_GRACE = 5.0
"""Seconds a Ctrl-C waits for the cancelled task to unwind before re-raising."""

_CLOSE_AT_EXIT_TIMEOUT = 5.0


class SyncRuntimeError(InvokeAIError, RuntimeError):
    """The sync API was used where it cannot work (e.g. from inside its own event loop)."""


class SyncInAsyncContextWarning(RuntimeWarning):
    """A sync call was made from a thread that runs an event loop; it blocks that loop while it waits.

    Shown once per process. In async code prefer ``AsyncInvokeAI`` and ``await``.
    """


class Runtime:
    """One private event loop on a daemon thread, started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._portal_cm: AbstractContextManager[BlockingPortal] | None = None
        self._portal: BlockingPortal | None = None
        self._loop_thread: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._warned = False
        self.pid = os.getpid()

    @property
    def started(self) -> bool:
        """True once the loop thread runs."""
        return self._portal is not None

    def portal(self) -> BlockingPortal:
        """The blocking portal into the loop (starting the loop thread the first time)."""
        portal = self._portal
        if portal is None:
            with self._lock:
                portal = self._portal
                if portal is None:
                    cm = start_blocking_portal("asyncio", name="invokeai-sdk-sync")
                    portal = cm.__enter__()
                    self._loop_thread = portal.call(threading.get_ident)
                    self._loop = portal.call(asyncio.get_running_loop)
                    self._portal_cm = cm
                    self._portal = portal
        return portal

    def in_loop_thread(self) -> bool:
        """True when called from the private loop's own thread."""
        return self._loop_thread is not None and threading.get_ident() == self._loop_thread

    def check_caller(self) -> None:
        """Refuse a call from the loop thread; warn once when the caller's thread runs a loop."""
        if self.in_loop_thread():
            raise SyncRuntimeError(
                "The sync InvokeAI API was called from its own event loop thread (for example from an "
                "async callback); that would deadlock. Use AsyncInvokeAI and await there."
            )
        if asyncio._get_running_loop() is None:
            return
        if not self._warned:
            self._warned = True
            warn_user(
                "The sync InvokeAI API was called from a thread that runs an event loop; each call "
                "blocks that loop until it finishes. In async code use AsyncInvokeAI with await.",
                SyncInAsyncContextWarning,
            )

    def submit(self, fn: Callable[..., Awaitable[T]], args: tuple[Any, ...]) -> concurrent.futures.Future[T]:
        """Start ``fn(*args)`` as a task on the loop; the future resolves to its result.

        Cancelling the future cancels the task. A coroutine goes over in one thread hop
        (``run_coroutine_threadsafe``); anything else through the portal.
        """
        portal = self.portal()
        self.check_caller()
        loop = self._loop
        awaitable = fn(*args) if loop is not None else None
        if loop is not None and asyncio.iscoroutine(awaitable):
            return _spawn(loop, awaitable)
        if awaitable is not None:
            return portal.start_task_soon(_await, awaitable)
        return portal.start_task_soon(fn, *args)

    def wait(
        self, future: concurrent.futures.Future[T], *, task: concurrent.futures.Future[Any] | None = None
    ) -> T:
        """Block until ``future`` is done; on Ctrl-C cancel its task, let it unwind, re-raise.

        ``task`` is the task to cancel when it is not ``future`` itself (a future the task resolves
        part-way, such as the value a context manager was entered with).
        """
        if isinstance(future, _TaskFuture) and future.pid != os.getpid():
            raise SyncRuntimeError(
                "this call was started before os.fork(): its task runs in the parent process, so its "
                "result never reaches this one. Start it again in the child."
            )
        try:
            return future.result()
        except KeyboardInterrupt:
            owner = task if task is not None else future
            owner.cancel()
            if isinstance(owner, _TaskFuture):
                owner.wait_unwound(_CANCEL_GRACE)
            else:
                concurrent.futures.wait([owner], timeout=_CANCEL_GRACE)
            raise
        finally:
            if isinstance(future, _TaskFuture):
                reissue(future.warnings)  # the SDK's warnings of this call, at the caller's line

    def close(self) -> None:
        """Stop the loop thread (tasks still running are cancelled)."""
        with self._lock:
            cm, self._portal_cm, self._portal = self._portal_cm, None, None
            self._loop_thread = None
            self._loop = None
        if cm is not None:
            cm.__exit__(None, None, None)


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()
_generation = 0
"""Bumped in a child process after ``fork``: sessions made before it are rebuilt on next use."""

_sessions: weakref.WeakSet[_Session] = weakref.WeakSet()
_forked_away: list[Runtime] = []
"""Runtimes of parent processes (in a forked child): never finalized, see ``_after_fork_in_child``."""


def get_runtime() -> Runtime:
    """The process's runtime (a fresh one in a forked child)."""
    runtime = _runtime
    if runtime is None:
        runtime = _make_runtime()
    return runtime


def _make_runtime() -> Runtime:
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = Runtime()
        return _runtime


def generation() -> int:
    """How many forks this process is away from the one that made the current sessions."""
    return _generation


def _after_fork_in_child() -> None:
    global _runtime, _runtime_lock, _generation
    # The loop thread did not survive the fork, and its locks may be held: start over. The parent's
    # runtime is kept alive on purpose: finalizing its portal context manager would wait forever
    # for a loop that does not exist in this process.
    if _runtime is not None:
        _forked_away.append(_runtime)
    _runtime = None
    _runtime_lock = threading.Lock()
    _generation += 1
    for session in list(_sessions):
        session.lock = threading.Lock()


def _close_at_exit() -> None:
    runtime = _runtime
    if runtime is None or not runtime.started or runtime.pid != os.getpid():
        return
    for session in list(_sessions):
        session.close_quietly(runtime)
    runtime.close()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_close_at_exit)


# -- the three ways generated code calls into the loop ------------------------------------------


def start(
    fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
) -> concurrent.futures.Future[T]:
    """Start ``await fn(*args, **kwargs)`` on the private loop (one thread crossing); :func:`result`
    waits for it. Cancelling the future cancels the task."""
    runtime = get_runtime()
    target: Callable[..., Awaitable[T]] = functools.partial(fn, *args, **kwargs) if kwargs else fn
    return runtime.submit(target, args if not kwargs else ())


def result(future: concurrent.futures.Future[T]) -> T:
    """Wait for a future of :func:`start` (Ctrl-C cancels its task, then re-raises)."""
    return get_runtime().wait(future)


def call(fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``await fn(*args, **kwargs)`` on the private loop and return its result."""
    runtime = get_runtime()
    target: Callable[..., Awaitable[T]] = functools.partial(fn, *args, **kwargs) if kwargs else fn
    return runtime.wait(runtime.submit(target, args if not kwargs else ()))


def call_next(fn: Callable[[], Awaitable[T]], /) -> T:
    """``await fn()`` for an ``__anext__``: the end of the async iterator becomes ``StopIteration``."""
    try:
        return call(fn)
    except StopAsyncIteration:
        raise StopIteration from None


def optional(wrap: Callable[[T], U], value: T | None) -> U | None:
    """``wrap(value)``, or ``None`` for ``None``."""
    return None if value is None else wrap(value)


def iterate(fn: Callable[P, AsyncIterable[T]], /, *args: P.args, **kwargs: P.kwargs) -> SyncIterator[T]:
    """A blocking iterator over ``fn(*args, **kwargs)`` (an async iterable made on the loop).

    The whole ``async for`` runs in one task on the loop (so async generators that hold task groups
    or cancel scopes work); items are handed over one at a time.
    """
    return SyncIterator(functools.partial(fn, *args, **kwargs))


def context(
    fn: Callable[P, AbstractAsyncContextManager[T]], /, *args: P.args, **kwargs: P.kwargs
) -> SyncContext[T, T]:
    """A context manager entering ``fn(*args, **kwargs)`` on the loop, in and out in one task."""
    return SyncContext(functools.partial(fn, *args, **kwargs), _identity)


class _TaskFuture(concurrent.futures.Future[T]):
    """The future of a task on the private loop: ``cancel()`` also cancels the running task.

    It stays pending while the task runs (so a cancel is always possible). The task's last step
    opens a latch (a plain lock, :meth:`wait_unwound`); :meth:`result` waits on that latch rather
    than on the future's condition, so the caller's thread wakes once per call, not twice.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._loop = loop
        self._task: asyncio.Task[None] | None = None
        self._running = threading.Lock()
        self._running.acquire()
        self._unwound = False  # read and set on the loop thread only
        self.warnings = Collected()
        self.pid = os.getpid()

    def unwound(self) -> None:
        """Called on the loop once the task's result is set and nothing of it runs any more (again by
        the task's done callback: only the first call counts)."""
        if not self._unwound:
            self._unwound = True
            self._running.release()

    def wait_unwound(self, timeout: float | None = None) -> bool:
        """Block until the task has unwound (``False`` when ``timeout`` seconds pass first)."""
        if not self._running.acquire(timeout=-1 if timeout is None else timeout):
            return False
        self._running.release()  # open for every other waiter too
        return True

    def result(self, timeout: float | None = None) -> T:
        if not self.done():
            self.wait_unwound(timeout)
        return super().result(timeout=0)

    def cancel(self) -> bool:
        task = self._task
        if task is not None and self.pid == os.getpid():  # a forked child cannot reach the task
            self._loop.call_soon_threadsafe(task.cancel)
        return super().cancel()


def _spawn(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T]) -> _TaskFuture[T]:
    """Run ``coro`` as a task on ``loop`` from another thread, in one hop."""
    future: _TaskFuture[T] = _TaskFuture(loop)

    async def run() -> None:
        try:
            if future.cancelled():
                coro.close()
                return
            try:
                with collecting(future.warnings):
                    result = await coro
            except asyncio.CancelledError:
                if not future.done():
                    future.cancel()
                raise
            except BaseException as exc:
                if not future.done():
                    future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
            else:
                if not future.done():
                    future.set_result(result)
        finally:
            future.unwound()

    def never_ran() -> None:
        coro.close()
        concurrent.futures.Future.cancel(future)  # the base cancel: there is no task left to cancel
        future.unwound()

    def settle(task: asyncio.Task[None]) -> None:
        # A task cancelled before its first step (the loop shutting down) never entered run().
        if not future.done():
            never_ran()
        future.unwound()

    def start() -> None:
        if future.cancelled():  # cancelled on the way over: nothing to run
            never_ran()
            return
        task = future._task = loop.create_task(run())
        task.add_done_callback(settle)

    loop.call_soon_threadsafe(start)
    return future


async def _await(awaitable: Awaitable[T]) -> T:
    return await awaitable


def _identity(value: T) -> T:
    return value


class SyncContext(AbstractContextManager[U], Generic[T, U]):
    """A sync context manager over an async one; ``map()`` converts what ``with`` binds.

    The async context manager is entered and exited by one task on the private loop (so task groups
    and cancel scopes it opens in ``__aenter__`` are closed by the same task in ``__aexit__``). A
    Ctrl-C while entering or exiting cancels that task and waits for it to unwind before re-raising,
    so nothing the async side opened (a subscription, a stream) is left behind.
    """

    def __init__(self, factory: Callable[[], AbstractAsyncContextManager[T]], convert: Callable[[T], U]):
        self._factory = factory
        self._convert = convert
        self._task: concurrent.futures.Future[bool | None] | None = None
        self._exit: concurrent.futures.Future[_ExcInfo] | None = None

    def map(self, convert: Callable[[T], Any]) -> SyncContext[T, Any]:
        """This context manager, binding ``convert(value)`` instead of ``value``."""
        return SyncContext(self._factory, convert)

    def __enter__(self) -> U:
        if self._task is not None:
            raise SyncRuntimeError("This context manager is already entered; use a new one.")
        runtime = get_runtime()
        entered: concurrent.futures.Future[T] = concurrent.futures.Future()
        exit_request: concurrent.futures.Future[_ExcInfo] = concurrent.futures.Future()
        task = runtime.submit(_hold_context, (self._factory, entered, exit_request))
        task.add_done_callback(lambda _: _fail_if_never_entered(entered))
        try:
            value = runtime.wait(entered, task=task)  # Ctrl-C here cancels the task and waits for it
        except BaseException:
            exit_request.cancel()  # the value may have arrived just now: have the task exit at once
            raise
        self._task, self._exit = task, exit_request
        return self._convert(value)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        task, exit_request = self._task, self._exit
        self._task = self._exit = None
        if task is None or exit_request is None:
            return None
        exit_request.set_result((exc_type, exc, tb))
        try:
            return get_runtime().wait(task)
        except BaseException as raised:
            if raised is exc:  # the async side re-raised the body's exception: let ``with`` do that
                return False
            raise


_ExcInfo = tuple[type[BaseException] | None, BaseException | None, TracebackType | None]


async def _hold_context(
    factory: Callable[[], AbstractAsyncContextManager[T]],
    entered: concurrent.futures.Future[T],
    exit_request: concurrent.futures.Future[_ExcInfo],
) -> bool | None:
    """Enter ``factory()``, report the value through ``entered``, wait for the exit, exit: one task."""
    try:
        cm = factory()
        value = await cm.__aenter__()
    except BaseException as exc:
        if not entered.done():
            stopped = SyncRuntimeError("The sync runtime stopped while entering a context manager.")
            entered.set_exception(exc if isinstance(exc, Exception) else stopped)
        raise
    try:
        entered.set_result(value)
        exc_info = await asyncio.wrap_future(exit_request)
    except BaseException as exc:  # cancelled (Ctrl-C, runtime closing) while inside: unwind with that
        with anyio.CancelScope(shield=True):
            await cm.__aexit__(type(exc), exc, exc.__traceback__)
        raise
    try:
        return await cm.__aexit__(*exc_info)
    except BaseException as exc:
        if exc is exc_info[1]:  # re-raised the body's own exception (maybe a KeyboardInterrupt):
            return False  # ``with`` re-raises it in the caller's thread, never on the loop
        raise


def _fail_if_never_entered(entered: concurrent.futures.Future[Any]) -> None:
    """Done-callback of a context manager's task: a task that ended (or never ran) before entering
    must not leave ``__enter__`` blocked forever."""
    if not entered.done():
        entered.set_exception(SyncRuntimeError("The context manager's task ended before it was entered."))


class _Failure:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


async def _pump(factory: Callable[[], Any], send: Any, receive: Any) -> None:
    """Run one ``async for`` over ``factory()`` in this task, handing each item to ``receive``."""
    try:
        iterable = factory()
        if asyncio.iscoroutine(iterable):
            iterable = await iterable
        iterator = iterable.__aiter__()
        try:
            while True:
                try:
                    item = await iterator.__anext__()
                except StopAsyncIteration:
                    return
                await send.send(item)
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                with anyio.CancelScope(shield=True):
                    await aclose()
    except (anyio.BrokenResourceError, anyio.ClosedResourceError):
        return
    except Exception as exc:
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
            await send.send(_Failure(exc))
    finally:
        send.close()  # wakes a waiting receiver with EndOfStream
        receive.close()


class SyncIterator(Iterator[T]):
    """A blocking iterator fed by an async iterable running as one task on the private loop.

    ``close()`` (or leaving a ``with`` block, or garbage collection) cancels that task.
    """

    def __init__(self, factory: Callable[[], AsyncIterable[Any]], convert: Callable[[Any], T] | None = None):
        self._factory = factory
        self._convert = convert
        self._receive: Any = None
        self._task: concurrent.futures.Future[None] | None = None
        self._done = False

    def map(self, convert: Callable[[T], U]) -> SyncIterator[U]:
        """This iterator with ``convert`` applied to each item."""
        previous = self._convert
        if previous is None:
            return SyncIterator(self._factory, convert)
        return SyncIterator(self._factory, lambda item: convert(previous(item)))

    def __iter__(self) -> SyncIterator[T]:
        return self

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        runtime = get_runtime()
        if self._receive is None:
            send, receive = anyio.create_memory_object_stream[Any](0)
            self._receive = receive
            self._task = runtime.submit(_pump, (self._factory, send, receive))
        try:
            item = runtime.wait(runtime.submit(self._receive.receive, ()))
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            self._finish()
            raise StopIteration from None
        if isinstance(item, _Failure):
            self._finish()
            raise item.exc
        return self._convert(item) if self._convert is not None else item

    def _finish(self) -> None:
        self._done = True
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()

    def close(self) -> None:
        """Stop the underlying async iteration."""
        self._finish()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        task = self._task
        if task is not None and not task.done():
            task.cancel()


# -- bases of the generated classes ---------------------------------------------------------------


class SyncObject:
    """Base of sync wrappers around one async object (pages, paginators, job handles, streams).

    A generated subclass declares the async type: ``_target: JobHandle``.
    """

    __slots__ = ("_target",)

    def __init__(self, target: Any) -> None:
        self._target = target

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._target!r})"


class SyncResource:
    """Base of the sync namespaces: resolves the async namespace through the client on each call
    (the client's async session changes after ``fork``).

    A generated subclass declares the async type: ``_target: ImagesResource``.
    """

    __slots__ = ("_client", "_path")

    def __init__(self, client: SyncClientBase, path: tuple[str, ...]) -> None:
        self._client = client
        self._path = path

    @property
    def _target(self) -> Any:
        target: Any = self._client._target
        for name in self._path:
            target = getattr(target, name)
        return target

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"


class _Session:
    """What ``InvokeAI`` copies made by ``with_options`` share: the async session and how to rebuild it."""

    def __init__(self, factory: Callable[[], AsyncInvokeAI]) -> None:
        self.factory = factory
        keywords = factory.keywords if isinstance(factory, functools.partial) else {}
        self.user_http_client = keywords.get("http_client") is not None
        """True when the caller passed its own ``httpx.AsyncClient`` (it cannot cross a fork)."""
        self.root = factory()
        self.generation = _generation
        self.lock = threading.Lock()
        self.closed = False

    def current(self) -> AsyncInvokeAI:
        if self.generation != _generation:
            with self.lock:
                if self.generation != _generation:
                    # A forked child: the parent's sockets and loop are unusable here.
                    if self.user_http_client:
                        raise SyncRuntimeError(
                            "This InvokeAI was created before os.fork() with a caller-supplied "
                            "http_client; that httpx.AsyncClient holds the parent process's sockets "
                            "and cannot be used in the child. Create a new InvokeAI (and a new "
                            "httpx.AsyncClient) in the child process."
                        )
                    self.root = self.factory()
                    self.generation = _generation
        return self.root

    def close_quietly(self, runtime: Runtime) -> None:
        if self.closed or self.generation != _generation:
            return
        self.closed = True
        with contextlib.suppress(Exception):
            future = runtime.submit(self.root.aclose, ())
            future.result(timeout=_CLOSE_AT_EXIT_TIMEOUT)


# The base of ``InvokeAI``: owns a ``_Session`` and the ``with_options`` steps of each copy. Its
# docstring (what the sync runtime adds) starts the generated ``InvokeAI`` docstring.
class SyncClientBase:
    """The sync client: the async client's namespaces, methods and arguments, called directly::

        with InvokeAI("http://127.0.0.1:9090") as ivk:
            print(ivk.app.version())
            for image in ivk.images.list():
                print(image.image_name)

    It runs the async session on a private event loop thread (started on first use, kept between
    calls, reset after ``fork``, closed at exit). After ``fork`` a client made with your own
    ``http_client`` raises ``SyncRuntimeError`` in the child: create a new one there. Listings
    return a ``SyncPaginator``: its ``items`` and ``total`` are the first page's (fetched once),
    ``for`` walks every item a page at a time; ``ivk.events.subscribe()`` is a ``with`` block
    yielding a ``SyncEventStream``.
    """

    _session: _Session
    _steps: tuple[tuple[str, dict[str, Any]], ...]
    _derived: AsyncInvokeAI
    _derived_generation: int

    def _setup(self, factory: Callable[[], AsyncInvokeAI]) -> None:
        self._session = _Session(factory)
        self._steps = ()
        self._derived = self._session.root
        self._derived_generation = _generation
        _sessions.add(self._session)

    @property
    def _target(self) -> AsyncInvokeAI:
        if self._derived_generation == _generation:
            return self._derived
        client = self._session.current()
        for name, kwargs in self._steps:
            client = getattr(client, name)(**kwargs)
        self._derived = client
        self._derived_generation = _generation
        return client

    def _derive(self, method: str, /, **kwargs: Any) -> Self:
        copy = object.__new__(type(self))
        copy._session = self._session
        copy._steps = (*self._steps, (method, kwargs))
        copy._derived = getattr(self._target, method)(**kwargs)
        copy._derived_generation = _generation
        return copy

    def _close(self) -> None:
        if self._session.user_http_client and self._session.generation != _generation:
            self._session.closed = True  # a forked child: nothing of this session is usable here
            return
        target = self._target
        call(target.aclose)
        self._session.closed = True

    def __repr__(self) -> str:
        return repr(self._target).replace("AsyncInvokeAI(", f"{type(self).__name__}(", 1)
