"""The one waiting engine: deadline, event wins, poll fallback, stream end, quiet period (fast, no server)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest
import respx

from invokeai_sdk import AsyncInvokeAI, WaitTimeoutError
from invokeai_sdk._waiting import Deadline, Poke, as_source, backoff, resolve_wait_timeout, settle
from invokeai_sdk.jobs import BatchHandle, JobHandle

from ._fakes import FakeStream as Stream


@pytest.fixture
def stream() -> Iterator[Stream]:
    fed = Stream()
    yield fed
    fed.close()


class Probe:
    """Answers ``None`` until ``done_after`` calls, then ``"done"``; records what it was told."""

    def __init__(self, done_after: int) -> None:
        self.done_after = done_after
        self.calls: list[tuple[float, bool]] = []

    async def __call__(self, announced: bool) -> str | None:
        self.calls.append((anyio.current_time(), announced))
        return "done" if len(self.calls) >= self.done_after else None


async def test_the_deadline_raises_its_message_and_the_probe_count_is_bounded() -> None:
    probe = Probe(done_after=10**6)
    started = anyio.current_time()
    with pytest.raises(WaitTimeoutError, match=r"job 7 did not finish within 0\.15 s"):
        await settle(
            probe,
            deadline=Deadline(0.15, lambda: "job 7 did not finish within 0.15 s"),
            quiet_period=1.0,
            poll_delays=backoff(0.02, 0.05),
        )
    assert 0.14 <= anyio.current_time() - started < 0.5
    assert 3 <= len(probe.calls) < 15


async def test_a_matching_event_wins_over_a_long_poll_interval(stream: Stream) -> None:
    probe = Probe(done_after=2)

    async def announce() -> None:
        await anyio.sleep(0.05)
        await stream.send.send({"id": 99})  # someone else's: ignored
        await stream.send.send({"id": 7})

    async with anyio.create_task_group() as group:
        group.start_soon(announce)
        with anyio.fail_after(2):  # the quiet period is 60 s: only the event can end this early
            settled = await settle(
                probe,
                deadline=Deadline(None, "never"),
                events=stream,
                matches=lambda event: event["id"] == 7,
                quiet_period=60,
                poll_delays=backoff(60, 60),
            )
    assert settled.value == "done" and settled.settled_by == "event"
    assert [announced for _, announced in probe.calls] == [False, True]


async def test_without_events_it_polls_on_the_backoff_schedule() -> None:
    probe = Probe(done_after=4)
    settled = await settle(probe, deadline=Deadline(5, "x"), quiet_period=60, poll_delays=backoff(0.01, 0.04))
    assert settled.settled_by == "poll" and len(probe.calls) == 4
    gaps = [b - a for (a, _), (b, _) in zip(probe.calls, probe.calls[1:], strict=False)]
    assert gaps[0] < gaps[2] < 0.2  # 0.01, 0.02, 0.04: it backs off


async def test_a_stream_that_ends_hands_over_to_polling(stream: Stream) -> None:
    probe = Probe(done_after=3)
    stream.send.close()  # the socket is gone before anything came
    with anyio.fail_after(2):
        settled = await settle(
            probe,
            deadline=Deadline(5, "x"),
            events=stream,
            quiet_period=60,
            poll_delays=backoff(0.01, 0.01),
        )
    assert settled.settled_by == "poll" and len(probe.calls) == 3


async def test_a_silent_live_stream_is_probed_after_the_quiet_period_only(stream: Stream) -> None:
    probe = Probe(done_after=2)
    started = anyio.current_time()
    settled = await settle(
        probe,
        deadline=Deadline(5, "x"),
        events=stream,
        quiet_period=0.1,
        poll_delays=backoff(0.001, 0.001),  # never used while the stream lives
        probe_first=False,
    )
    assert settled.settled_by == "poll"
    first, second = (when - started for when, _ in probe.calls)
    assert 0.09 <= first < 0.2 and 0.18 <= second < 0.4  # one probe per quiet period, none before


async def test_a_matcher_that_raises_ends_the_wait_with_its_error(stream: Stream) -> None:
    probe = Probe(done_after=10)
    await stream.send.send({"error": "disk full"})

    def matches(event: Any) -> bool:
        raise RuntimeError(event["error"])

    with pytest.raises(RuntimeError, match="disk full"):
        await settle(
            probe,
            deadline=Deadline(5, "x"),
            events=stream,
            matches=matches,
            quiet_period=1,
            poll_delays=backoff(1, 1),
            probe_first=False,
        )
    assert probe.calls == []  # nothing was fetched


async def test_deadline_enforce_cancels_the_body_and_poke_wakes_a_wait() -> None:
    deadline = Deadline(0.05, lambda: "batch b: 2 item(s) unfinished")
    with pytest.raises(WaitTimeoutError, match="2 item"), deadline.enforce():
        await anyio.sleep(5)
    assert deadline.expired and deadline.remaining() == 0
    with Deadline(None, "never").enforce():
        await anyio.lowlevel.checkpoint()
    with pytest.raises(TypeError, match="seconds"):
        Deadline("10", "x")  # type: ignore[arg-type]

    poke = Poke()
    assert await poke.wait(0.01) is False
    poke.set()
    assert await poke.wait(5) is True
    assert await poke.wait(0.01) is False  # re-armed after a wake-up


async def test_an_async_iterable_is_read_through_one_iterator() -> None:
    async def events() -> Any:
        yield 1
        yield 2

    class Iterable:
        def __aiter__(self) -> Any:
            return events()

    source = as_source(Iterable())
    assert [await source.receive(), await source.receive()] == [1, 2]
    with pytest.raises(StopAsyncIteration):
        await source.receive()


def test_timeout_is_the_deprecated_name_of_wait_timeout() -> None:
    assert resolve_wait_timeout(5, _not_given()) == 5
    with pytest.warns(DeprecationWarning, match="wait_timeout"):
        assert resolve_wait_timeout(None, 7) == 7
    with pytest.raises(TypeError, match="not both"):
        resolve_wait_timeout(5, 7)


def _not_given() -> Any:
    from invokeai_sdk._types import NOT_GIVEN

    return NOT_GIVEN


SUMMARIES = "/api/v1/queue/default/item_summaries_by_ids"


async def test_handle_waits_take_wait_timeout_and_warn_on_timeout() -> None:
    async with respx.mock(base_url="http://127.0.0.1:9", assert_all_called=False) as router:
        router.post(SUMMARIES).mock(
            side_effect=lambda request: httpx.Response(
                200, json=[{"item_id": i, "status": "completed"} for i in (1, 2)]
            )
        )
        async with AsyncInvokeAI("http://127.0.0.1:9", max_retries=0) as ivk:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                assert await JobHandle(ivk, 1).wait(wait_timeout=5) == "completed"
            batch = BatchHandle(ivk, queue_id="default", batch_id="b", item_ids=[1, 2])
            with pytest.warns(DeprecationWarning, match="wait_timeout") as caught:
                assert await batch.wait(timeout=5) == ["completed", "completed"]
            assert caught[0].filename == __file__  # the warning points at the caller's line
            with pytest.raises(TypeError, match="not both"):
                await JobHandle(ivk, 1).wait(wait_timeout=5, timeout=5)
