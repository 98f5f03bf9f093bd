"""Events: typed parsing, filters, bounded streams, trio, and reconnects against an in-process server."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
import respx
import socketio
from aiohttp import web

from invokeai_sdk import AsyncInvokeAI, EventsOverflowError, EventsUnavailableError, JobError
from invokeai_sdk._job_watcher import get_watcher
from invokeai_sdk.events import (
    EVENT_TYPES,
    BatchEnqueuedEvent,
    BulkDownloadCompleteEvent,
    DisconnectedEvent,
    Event,
    EventFilter,
    EventStream,
    InvocationCompleteEvent,
    InvocationProgressEvent,
    ModelInstallErrorEvent,
    QueueClearedEvent,
    QueueItemStatusChangedEvent,
    ReconnectedEvent,
    UnknownEvent,
    parse_event,
)
from invokeai_sdk.events._connection import get_connection
from invokeai_sdk.events._stream import OVERFLOW_LIMIT
from invokeai_sdk.jobs import BatchHandle, JobHandle

from ..conftest import run_under_trio

STATUS = {
    "timestamp": 1795325058,
    "queue_id": "default",
    "item_id": 5,
    "batch_id": "b",
    "origin": "o",
    "destination": None,
    "user_id": "system",
    "status": "completed",
    "status_sequence": 2,
    "error_type": None,
    "error_message": None,
    "error_traceback": None,
    "batch_status": {"completed": 1},
    "brand_new_field": 1,
}


def _status(item_id: int = 5, status: str = "completed", seq: int = 2, **extra: Any) -> dict[str, Any]:
    return {**STATUS, "item_id": item_id, "status": status, "status_sequence": seq, **extra}


def _progress(item_id: int = 5) -> dict[str, Any]:
    return {"queue_id": "default", "item_id": item_id, "message": "Saving image", "invocation": {"id": "x"}}


# -- typing -------------------------------------------------------------------------------------


def test_every_server_event_has_a_class() -> None:
    names = {
        "invocation_started", "invocation_progress", "invocation_complete", "invocation_error",
        "queue_item_status_changed", "batch_enqueued", "queue_items_retried", "queue_items_canceled",
        "queue_cleared", "recall_parameters_updated", "download_started", "download_progress",
        "download_complete", "download_cancelled", "download_paused", "download_error",
        "model_load_started", "model_load_complete", "model_install_download_started",
        "model_install_download_progress", "model_install_downloads_complete", "model_install_started",
        "model_install_complete", "model_install_cancelled", "model_install_error", "bulk_download_started",
        "bulk_download_complete", "bulk_download_error", "workflow_created", "workflow_updated",
        "workflow_deleted", "workflow_access_revoked", "llm_task_progress", "llm_task_complete",
        "llm_task_error", "user_access_changed",
    }  # fmt: skip
    assert names <= set(EVENT_TYPES)
    for name, cls in EVENT_TYPES.items():
        assert cls.event_name == name


def test_parse_is_typed_lenient_and_never_raises() -> None:
    event = parse_event("queue_item_status_changed", STATUS)
    assert isinstance(event, QueueItemStatusChangedEvent)
    assert event.status == "completed" and event.item_id == 5
    assert event.model_extra == {"brand_new_field": 1}
    assert isinstance(
        parse_event("queue_item_status_changed", _status(status="zombie")), QueueItemStatusChangedEvent
    )
    bulk = parse_event(
        "bulk_download_complete", {"bulk_download_id": "default", "bulk_download_item_name": "z.zip"}
    )
    assert isinstance(bulk, BulkDownloadCompleteEvent) and bulk.bulk_download_item_name == "z.zip"
    err = parse_event(
        "model_install_error", {"id": 1, "source": {"path": "/x"}, "error_type": "E", "error": "m"}
    )
    assert isinstance(err, ModelInstallErrorEvent) and err.error_type == "E"
    unknown = parse_event("brand_new_event", {"a": 1})
    assert (
        isinstance(unknown, UnknownEvent) and unknown.name == "brand_new_event" and unknown.data == {"a": 1}
    )
    broken = parse_event("queue_item_status_changed", {"item_id": "not-an-int"})
    assert isinstance(broken, UnknownEvent)
    assert isinstance(parse_event("queue_cleared", ["not", "a", "dict"]), UnknownEvent)


# -- filters and buffering ------------------------------------------------------------------------


def test_filters() -> None:
    status = parse_event("queue_item_status_changed", _status())
    other_item = parse_event("queue_item_status_changed", _status(item_id=6, origin="x"))
    canceled = parse_event("queue_items_canceled", {"queue_id": "default", "canceled_item_ids": [5, 9]})
    cleared = parse_event("queue_cleared", {"queue_id": "default"})
    workflow = parse_event("workflow_created", {"workflow_id": "w"})
    other_queue = parse_event("queue_item_status_changed", _status(queue_id="q2"))
    marker = ReconnectedEvent()

    by_item = EventFilter(queue_id="default", item_ids=[5])
    events = (status, other_item, canceled, cleared, workflow, other_queue, marker)
    assert [by_item.matches(e) for e in events] == [True, False, True, True, False, False, True]
    assert EventFilter(types=["queue_cleared"], item_ids=[1]).matches(DisconnectedEvent())
    assert "__disconnected__" not in EVENT_TYPES and "__reconnected__" not in EVENT_TYPES
    by_type = EventFilter(types=[QueueItemStatusChangedEvent, "queue_cleared"])
    assert [by_type.matches(e) for e in (status, canceled, cleared, marker)] == [True, False, True, True]
    by_origin = EventFilter(origin="x")
    assert [by_origin.matches(e) for e in (status, other_item)] == [False, True]
    unknown = EventFilter(types=[UnknownEvent])
    assert unknown.matches(parse_event("new_thing", {})) and not unknown.matches(status)


async def test_slow_consumer_loses_progress_never_status() -> None:
    stream = EventStream(EventFilter(), buffer_size=2)
    stream.offer(parse_event("invocation_progress", _progress()))
    stream.offer(parse_event("queue_item_status_changed", _status(status="in_progress", seq=1)))
    for _ in range(5):
        stream.offer(parse_event("invocation_progress", _progress()))  # buffer full: dropped
    for seq in range(3, 8):
        stream.offer(parse_event("queue_item_status_changed", _status(seq=seq)))  # overflow: kept
    assert stream.dropped == 5
    stream.close()
    got = [e async for e in stream]
    assert [type(e) for e in got] == [InvocationProgressEvent] + [QueueItemStatusChangedEvent] * 6
    assert [e.status_sequence for e in got[1:]] == [1, 3, 4, 5, 6, 7]  # type: ignore[attr-defined]


async def test_overflow_ends_the_stream_with_a_typed_error_after_the_kept_events() -> None:
    stream = EventStream(EventFilter(), buffer_size=2)
    for seq in range(2 + OVERFLOW_LIMIT):  # fills the buffer, then the overflow queue to its cap
        stream.offer(parse_event("queue_item_status_changed", _status(seq=seq)))
    stream.offer(parse_event("invocation_progress", _progress()))  # still just counted as dropped
    stream.offer(parse_event("queue_item_status_changed", _status(seq=-1)))  # one too many: the end
    stream.offer(parse_event("queue_item_status_changed", _status(seq=-2)))  # after the end: ignored
    assert stream.dropped == 1
    got = [(await stream.receive()).status_sequence for _ in range(2 + OVERFLOW_LIMIT)]  # type: ignore[attr-defined]
    assert got == list(range(2 + OVERFLOW_LIMIT))  # every kept event, in order, before the error
    with pytest.raises(EventsOverflowError) as info:
        await stream.receive()
    assert info.value.limit == OVERFLOW_LIMIT and "fell" in str(info.value)
    with pytest.raises(EventsOverflowError):
        await stream.receive()  # stays ended


# -- trio -----------------------------------------------------------------------------------------


def test_under_trio_events_raise_and_waits_poll() -> None:
    async def main() -> str:
        async with respx.mock(base_url="http://ivk.test") as router:
            router.post("/api/v1/queue/default/item_summaries_by_ids").mock(
                side_effect=[
                    httpx.Response(200, json=[{"item_id": 1, "status": "in_progress"}]),
                    httpx.Response(200, json=[{"item_id": 1, "status": "completed"}]),
                ]
            )
            async with AsyncInvokeAI("http://ivk.test") as ivk:
                with pytest.raises(EventsUnavailableError, match="asyncio"):
                    async with ivk.events.subscribe():
                        pass
                return await JobHandle(ivk, 1).wait(wait_timeout=10)

    assert run_under_trio(main) == "completed"


# -- an in-process Socket.IO server ---------------------------------------------------------------


class FakeServer:
    """A python-socketio server under a path prefix, recording room joins per connection.

    ``refuse`` makes it refuse connections (each refusal sets ``refused``); ``join_delay`` holds
    every join's acknowledgement back that long (the join is recorded just before the ack).
    """

    def __init__(self) -> None:
        self.sio = socketio.AsyncServer(async_mode="aiohttp")
        self.joins: list[tuple[str, dict[str, Any]]] = []
        self.auths: list[Any] = []
        self.headers: list[dict[str, str]] = []
        self.on_join: list[Any] = []
        self.refuse = False
        self.refused = anyio.Event()
        self.join_delay = 0.0

        @self.sio.event
        async def connect(sid: str, environ: Any, auth: Any = None) -> bool:
            if self.refuse:
                self.refused.set()
                return False
            self.auths.append(auth)
            self.headers.append({k: v for k, v in environ.items() if k.startswith("HTTP_")})
            return True

        @self.sio.event
        async def subscribe_queue(sid: str, data: dict[str, Any]) -> None:
            await self.sio.enter_room(sid, f"queue:{data['queue_id']}")
            if self.join_delay:
                await anyio.sleep(self.join_delay)  # a slow server: the ack comes late
            self.joins.append((sid, data))
            for hook in list(self.on_join):
                await hook(sid)

    async def emit(self, name: str, data: Any, queue_id: str = "default") -> None:
        await self.sio.emit(name, data, room=f"queue:{queue_id}")


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeServer, str]]:
    server = FakeServer()
    app = web.Application()
    server.sio.attach(app, socketio_path="/prefix/ws/socket.io")
    runner = web.AppRunner(app)
    await runner.setup()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield server, f"http://127.0.0.1:{port}/prefix"
    finally:
        await runner.cleanup()


async def test_rooms_joined_before_subscribe_returns_with_token(fake: tuple[FakeServer, str]) -> None:
    server, base = fake
    async with AsyncInvokeAI(base, token="t0k") as ivk:
        async with ivk.events.subscribe(queue_id="q1", types=[QueueClearedEvent]) as stream:
            assert [data for _, data in server.joins] == [{"queue_id": "q1"}]  # acknowledged join
            await server.emit("queue_cleared", {"queue_id": "q1"}, queue_id="q1")
            with anyio.fail_after(5):
                event = await anext(stream)
        assert isinstance(event, QueueClearedEvent)
        assert server.auths == [{"token": "t0k"}]


async def test_unknown_and_duplicate_events(fake: tuple[FakeServer, str]) -> None:
    server, base = fake
    async with AsyncInvokeAI(base) as ivk, ivk.events.subscribe() as stream:
        await server.emit("queue_item_status_changed", _status(seq=1, status="in_progress"))
        await server.emit("queue_item_status_changed", _status(seq=1, status="in_progress"))  # 6.13.8 twin
        await server.emit(
            "invocation_complete", {"queue_id": "default", "item_id": 5, "invocation": {"id": "n"}}
        )
        await server.emit(
            "invocation_complete", {"queue_id": "default", "item_id": 5, "invocation": {"id": "n"}}
        )
        batch = {"queue_id": "default", "batch_id": "b1", "enqueued": 1, "requested": 1, "priority": 0}
        await server.emit("batch_enqueued", batch)
        await server.emit("batch_enqueued", batch)  # 6.13.8 sends this one twice too
        await server.emit("something_new", {"x": 1})
        with anyio.fail_after(5):
            got = [await anext(stream) for _ in range(4)]
    assert [type(e) for e in got] == [
        QueueItemStatusChangedEvent,
        InvocationCompleteEvent,
        BatchEnqueuedEvent,
        UnknownEvent,
    ]


async def test_reconnect_marker_rejoin_and_wait_settles(fake: tuple[FakeServer, str]) -> None:
    server, base = fake
    summaries = [{"item_id": 7, "status": "in_progress"}]
    async with respx.mock(base_url=base, assert_all_called=False) as router:
        router.route(host="127.0.0.1", path__regex=r"^/prefix/ws/").pass_through()
        router.post("/api/v1/queue/default/item_summaries_by_ids").mock(
            side_effect=lambda request: httpx.Response(200, json=summaries)
        )
        async with AsyncInvokeAI(base) as ivk, ivk.events.subscribe(types=[ReconnectedEvent]) as stream:
            job = JobHandle(ivk, 7)
            outcome: list[str] = []

            async def wait() -> None:
                outcome.append(await job.wait(wait_timeout=20))

            async def finish_after_rejoin(sid: str) -> None:
                # the item completes while the socket was down; the server only tells the re-joined room
                await server.emit("queue_item_status_changed", _status(item_id=7, seq=2))

            async with anyio.create_task_group() as tg:
                tg.start_soon(wait)
                await anyio.sleep(0.3)
                assert len(server.joins) == 1  # the stream and the job's watcher share one room join
                server.on_join.append(finish_after_rejoin)
                await get_connection(ivk).drop_transport()
                with anyio.fail_after(10):
                    marker = await anext(stream)
                assert isinstance(marker, ReconnectedEvent)
            assert outcome == ["completed"]
            assert len(server.joins) == 2 and server.joins[0][0] != server.joins[1][0]
            assert ivk.events.reconnects == 1


async def test_wait_settles_by_poll_when_events_stay_silent(fake: tuple[FakeServer, str]) -> None:
    _, base = fake
    calls: list[Any] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(json.loads(request.content))
        status = "in_progress" if len(calls) < 2 else "canceled"
        return httpx.Response(200, json=[{"item_id": 9, "status": status}])

    async with respx.mock(base_url=base, assert_all_called=False) as router:
        router.route(host="127.0.0.1", path__regex=r"^/prefix/ws/").pass_through()
        router.post("/api/v1/queue/default/item_summaries_by_ids").mock(side_effect=answer)
        async with AsyncInvokeAI(base) as ivk:
            with pytest.raises(Exception, match="canceled"):
                await JobHandle(ivk, 9).wait(wait_timeout=10)
    assert len(calls) == 2 and calls[0] == {"item_ids": [9]}


async def test_bulk_cancel_event_settles_waiters(fake: tuple[FakeServer, str]) -> None:
    server, base = fake
    async with respx.mock(base_url=base, assert_all_called=False) as router:
        router.route(host="127.0.0.1", path__regex=r"^/prefix/ws/").pass_through()
        router.post("/api/v1/queue/default/item_summaries_by_ids").respond(
            json=[{"item_id": 1, "status": "pending"}, {"item_id": 2, "status": "pending"}]
        )
        async with AsyncInvokeAI(base) as ivk:
            errors: list[str] = []

            async def wait(item_id: int) -> None:
                try:
                    await JobHandle(ivk, item_id).wait(wait_timeout=5)
                except Exception as exc:
                    errors.append(type(exc).__name__)

            async with anyio.create_task_group() as tg:
                tg.start_soon(wait, 1)
                tg.start_soon(wait, 2)
                await anyio.sleep(0.3)
                await server.emit(
                    "queue_items_canceled", {"queue_id": "default", "canceled_item_ids": [1, 2]}
                )
    assert errors == ["JobCanceledError", "JobCanceledError"]


async def test_refused_socket_raises_events_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with AsyncInvokeAI(f"http://127.0.0.1:{port}") as ivk:
        with pytest.raises(EventsUnavailableError):
            async with ivk.events.subscribe():
                pass


def test_event_base_is_lenient() -> None:
    assert Event.model_validate({"timestamp": 1, "anything": [1]}).model_extra == {"anything": [1]}


async def test_aclose_ends_a_pending_wait_with_a_clear_error(fake: tuple[FakeServer, str]) -> None:
    _, base = fake
    async with respx.mock(base_url=base, assert_all_called=False) as router:
        router.route(host="127.0.0.1", path__regex=r"^/prefix/ws/").pass_through()
        router.post("/api/v1/queue/default/item_summaries_by_ids").respond(
            json=[{"item_id": 3, "status": "in_progress"}]
        )
        ivk = AsyncInvokeAI(base)
        errors: list[BaseException] = []

        async def wait() -> None:
            try:
                await JobHandle(ivk, 3).wait()  # no timeout: only aclose() can end it
            except JobError as exc:
                errors.append(exc)

        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(wait)
                await anyio.sleep(0.3)
                await ivk.aclose()
        assert len(errors) == 1 and "closed" in str(errors[0]) and errors[0].item_id == 3  # type: ignore[attr-defined]
        with pytest.raises(JobError, match="closed"), anyio.fail_after(5):
            await JobHandle(ivk, 3).wait()


async def test_job_events_end_when_the_queue_is_cleared(fake: tuple[FakeServer, str]) -> None:
    server, base = fake
    async with respx.mock(base_url=base, assert_all_called=False) as router:
        router.route(host="127.0.0.1", path__regex=r"^/prefix/ws/").pass_through()
        router.get("/api/v1/queue/default/i/5").mock(
            side_effect=[
                httpx.Response(200, json={"item_id": 5, "status": "in_progress"}),
                httpx.Response(404, json={"detail": "Queue item with id 5 not found"}),
            ]
        )
        async with AsyncInvokeAI(base) as ivk:
            seen: list[Event] = []

            async def follow() -> None:
                async for event in JobHandle(ivk, 5).events():
                    seen.append(event)

            with anyio.fail_after(5):
                async with anyio.create_task_group() as tg:
                    tg.start_soon(follow)
                    await anyio.sleep(0.3)
                    await server.emit("queue_cleared", {"queue_id": "default"})
    assert [type(e) for e in seen] == [QueueClearedEvent]


async def test_batch_wait_polls_in_bulk_not_once_per_item(fake: tuple[FakeServer, str]) -> None:
    _, base = fake
    calls: list[list[int]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        ids = json.loads(request.content)["item_ids"]
        calls.append(ids)
        return httpx.Response(200, json=[{"item_id": i, "status": "completed"} for i in ids])

    async with respx.mock(base_url=base, assert_all_called=False) as router:
        router.route(host="127.0.0.1", path__regex=r"^/prefix/ws/").pass_through()
        router.post("/api/v1/queue/default/item_summaries_by_ids").mock(side_effect=answer)
        async with AsyncInvokeAI(base) as ivk:
            batch = BatchHandle(ivk, queue_id="default", batch_id="b", item_ids=list(range(1, 201)))
            with anyio.fail_after(10):
                assert await batch.wait() == ["completed"] * 200
    assert len(calls) == 1 and sorted(calls[0]) == list(range(1, 201))


async def test_handshake_sends_default_headers_and_token(fake: tuple[FakeServer, str]) -> None:
    server, base = fake
    async with (
        AsyncInvokeAI(base, token="t0k", default_headers={"X-Proxy-Key": "k1"}) as ivk,
        ivk.events.subscribe(),
    ):
        assert ivk.events.connected
    (headers,) = server.headers
    assert headers["HTTP_X_PROXY_KEY"] == "k1"
    assert headers["HTTP_AUTHORIZATION"] == "Bearer t0k"
    assert headers["HTTP_USER_AGENT"].startswith("invokeai-sdk/")


async def test_concurrent_subscribers_await_one_acknowledged_join(fake: tuple[FakeServer, str]) -> None:
    server, base = fake
    server.join_delay = 0.3
    seen: list[int] = []
    async with AsyncInvokeAI(base) as ivk:

        async def subscribe() -> None:
            async with ivk.events.subscribe(queue_id="q1"):
                seen.append(len(server.joins))  # how many acknowledged joins when it returned

        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(subscribe)
                tg.start_soon(subscribe)
    assert seen == [1, 1]  # both waited for the one join, neither returned before its ack


async def test_reconnect_rejoins_with_ack_before_the_marker(fake: tuple[FakeServer, str]) -> None:
    server, base = fake
    async with AsyncInvokeAI(base) as ivk, ivk.events.subscribe(types=[QueueClearedEvent]) as stream:
        server.join_delay = 0.3  # with an unacknowledged re-join the marker would come first
        await get_connection(ivk).drop_transport()
        with anyio.fail_after(10):
            marker = await anext(stream)
        assert isinstance(marker, ReconnectedEvent)
        assert len(server.joins) == 2 and server.joins[0][0] != server.joins[1][0]
        await server.emit("queue_cleared", {"queue_id": "default"})  # room-only: the room is back
        with anyio.fail_after(5):
            assert isinstance(await anext(stream), QueueClearedEvent)


async def test_subscribing_while_reconnecting_waits_for_the_reconnect(fake: tuple[FakeServer, str]) -> None:
    server, base = fake
    async with AsyncInvokeAI(base) as ivk, ivk.events.subscribe(types=[QueueClearedEvent]) as stream:
        conn = get_connection(ivk)
        server.refuse = True
        await conn.drop_transport()
        with anyio.fail_after(10):
            await server.refused.wait()  # the client is in python-socketio's reconnect loop
        assert conn.reconnecting and not conn.connected
        started = [anyio.Event(), anyio.Event()]
        results: dict[str, Any] = {}

        async def subscribe() -> None:
            started[0].set()
            async with ivk.events.subscribe(queue_id="q2", types=[QueueClearedEvent]) as other:
                results["joins"] = [data for _, data in server.joins]
                await server.emit("queue_cleared", {"queue_id": "q2"}, queue_id="q2")
                with anyio.fail_after(5):
                    # it subscribed before the room was joined: told so, then the room's events
                    results["events"] = [await anext(other), await anext(other)]

        async def start_watcher() -> None:
            started[1].set()
            results["watcher"] = await get_watcher(ivk, "q3").start()

        with anyio.fail_after(20):
            async with anyio.create_task_group() as tg:
                tg.start_soon(subscribe)
                tg.start_soon(start_watcher)
                await started[0].wait()
                await started[1].wait()  # both have recorded their rooms on the reconnecting socket
                server.refuse = False
            assert isinstance(await anext(stream), ReconnectedEvent)
    assert {"queue_id": "q2"} in results["joins"]
    marker, cleared = results["events"]
    assert isinstance(marker, ReconnectedEvent)
    assert isinstance(cleared, QueueClearedEvent) and cleared.queue_id == "q2"
    assert results["watcher"] is True  # a blip no longer latches the watcher into polling


async def test_server_side_disconnect_gives_markers_and_rejoins(fake: tuple[FakeServer, str]) -> None:
    server, base = fake
    async with AsyncInvokeAI(base) as ivk, ivk.events.subscribe(types=[QueueClearedEvent]) as stream:
        first_sid = server.joins[0][0]
        await server.sio.disconnect(first_sid)  # python-socketio does not reconnect after this
        with anyio.fail_after(10):
            assert isinstance(await anext(stream), DisconnectedEvent)
            assert isinstance(await anext(stream), ReconnectedEvent)
        assert len(server.joins) == 2 and server.joins[1][0] != first_sid  # re-joined before the marker
        await server.emit("queue_cleared", {"queue_id": "default"})
        with anyio.fail_after(5):
            assert isinstance(await anext(stream), QueueClearedEvent)
        assert ivk.events.connected and ivk.events.reconnects == 1


async def test_socket_closed_by_the_server_is_replaced_on_next_use(fake: tuple[FakeServer, str]) -> None:
    server, base = fake
    async with AsyncInvokeAI(base) as ivk:
        async with ivk.events.subscribe() as stream:
            server.refuse = True  # e.g. the user was deactivated: fresh connections are refused too
            await server.sio.disconnect(server.joins[0][0])
            with anyio.fail_after(10):
                assert isinstance(await anext(stream), DisconnectedEvent)
        assert not ivk.events.connected
        server.refuse = False
        async with ivk.events.subscribe(types=[QueueClearedEvent]) as stream:
            assert len(server.joins) == 2 and server.joins[0][0] != server.joins[1][0]
            await server.emit("queue_cleared", {"queue_id": "default"})
            with anyio.fail_after(5):
                assert isinstance(await anext(stream), QueueClearedEvent)
