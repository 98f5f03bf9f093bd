"""Waits never hang on a broken server: permanent refusals and long outages end them (respx)."""

from __future__ import annotations

import json
from collections.abc import Callable

import anyio
import httpx
import pytest
import respx

from invokeai_sdk import (
    APIConnectionError,
    AsyncInvokeAI,
    JobFailedError,
    PermissionDeniedError,
    WaitTimeoutError,
    _job_watcher,
)
from invokeai_sdk.jobs import BatchHandle, JobHandle

# Nothing listens on port 9 here: the event socket is refused at once and waits poll over REST.
BASE = "http://127.0.0.1:9"
SUMMARIES = "/api/v1/queue/default/item_summaries_by_ids"


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_job_watcher, "POLL_INTERVAL", 0.01)
    monkeypatch.setattr(_job_watcher, "GIVE_UP_AFTER", 0.2)


async def test_a_permanent_refusal_ends_the_wait_with_the_servers_error() -> None:
    async with respx.mock(base_url=BASE, assert_all_called=False) as router:
        route = router.post(SUMMARIES).mock(
            side_effect=[
                httpx.Response(200, json=[{"item_id": 7, "status": "in_progress"}]),
                httpx.Response(403, json={"detail": "Not allowed"}),
            ]
        )
        async with AsyncInvokeAI(BASE, max_retries=0) as ivk:
            with pytest.raises(PermissionDeniedError, match="Not allowed"):
                await JobHandle(ivk, 7).wait(wait_timeout=10)
    assert route.call_count == 2


async def test_a_long_outage_ends_every_wait_of_a_batch_with_a_connection_error() -> None:
    async with respx.mock(base_url=BASE, assert_all_called=False) as router:
        route = router.post(SUMMARIES).mock(
            side_effect=[httpx.Response(200, json=[{"item_id": i, "status": "pending"} for i in (1, 2)])]
            + [httpx.ConnectError("refused")] * 1000
        )
        async with AsyncInvokeAI(BASE, max_retries=0) as ivk:
            batch = BatchHandle(ivk, queue_id="default", batch_id="b", item_ids=[1, 2])
            with pytest.raises(APIConnectionError):
                await batch.wait(wait_timeout=10)
    # the first look, then failed polls until GIVE_UP_AFTER seconds had passed (a deadline, not a count)
    assert 2 < route.call_count < 1000


async def test_transient_failures_are_ridden_out() -> None:
    async with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.post(SUMMARIES).mock(
            side_effect=[
                httpx.Response(200, json=[{"item_id": 4, "status": "in_progress"}]),
                httpx.Response(503, text="busy"),
                httpx.ConnectError("refused"),
                httpx.Response(200, json=[{"item_id": 4, "status": "failed"}]),
            ]
        )
        router.get("/api/v1/queue/default/i/4").mock(
            return_value=httpx.Response(500, text="Internal Server Error")
        )
        async with AsyncInvokeAI(BASE, max_retries=0) as ivk:
            # the failed item's details cannot be read: it still settles as failed
            with pytest.raises(JobFailedError) as caught:
                await JobHandle(ivk, 4).wait(wait_timeout=10)
    assert caught.value.item_id == 4 and caught.value.error_type is None


async def test_a_subscription_that_fails_in_the_poll_loop_does_not_stop_the_polls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []

    async def start(self: _job_watcher.JobWatcher) -> bool:
        calls.append(1)
        if len(calls) > 1:  # e.g. the login before a new socket failed
            raise APIConnectionError("login failed")
        return False

    monkeypatch.setattr(_job_watcher.JobWatcher, "start", start)
    async with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.post(SUMMARIES).mock(
            side_effect=[
                httpx.Response(200, json=[{"item_id": 9, "status": "in_progress"}]),
                httpx.Response(200, json=[{"item_id": 9, "status": "in_progress"}]),
                httpx.Response(200, json=[{"item_id": 9, "status": "completed"}]),
            ]
        )
        async with AsyncInvokeAI(BASE, max_retries=0) as ivk:
            assert await JobHandle(ivk, 9).wait(wait_timeout=10) == "completed"
    assert len(calls) >= 2  # the poll loop tried again, failed, and went on polling


async def test_one_poller_serves_every_wait_and_is_handed_over_when_its_wait_leaves() -> None:
    bodies: list[list[int]] = []
    finished: set[int] = set()

    def answer(request: httpx.Request) -> httpx.Response:
        ids = json.loads(request.content)["item_ids"]
        bodies.append(sorted(ids))
        if len(bodies) >= 8:
            finished.add(2)
        return httpx.Response(
            200, json=[{"item_id": i, "status": "completed" if i in finished else "pending"} for i in ids]
        )

    async with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.post(SUMMARIES).mock(side_effect=answer)
        async with AsyncInvokeAI(BASE, max_retries=0) as ivk:
            watcher = _job_watcher.get_watcher(ivk, "default")
            watcher.use_events = False  # no socket attempt eats the first wait's short deadline
            outcomes: dict[int, object] = {}

            async def wait(item_id: int, seconds: float) -> None:
                try:
                    outcomes[item_id] = await JobHandle(ivk, item_id).wait(wait_timeout=seconds)
                except WaitTimeoutError as exc:
                    outcomes[item_id] = exc

            async with anyio.create_task_group() as group:
                group.start_soon(wait, 1, 0.06)  # the first wait runs the poller, then gives up
                await _until(lambda: watcher.polling)
                group.start_soon(wait, 2, 10)
                await _until(lambda: 1 in outcomes)
                assert isinstance(outcomes[1], WaitTimeoutError)
                await _until(lambda: watcher.polling)  # the other wait takes the poller over
                assert 2 not in outcomes
            assert outcomes[2] == "completed"
            assert not watcher.polling and not watcher._waiters
    shared = [body for body in bodies if body == [1, 2]]
    assert shared  # while both waited, one poll asked for both
    assert bodies[-1] == [2] and len(bodies) >= 8


async def _until(condition: Callable[[], bool]) -> None:
    """Return once ``condition()`` holds (checked every millisecond, for up to a second)."""
    for _ in range(1000):
        if condition():
            return
        await anyio.sleep(0.001)
    raise AssertionError("the condition never held")
