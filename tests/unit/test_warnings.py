"""The SDK's warnings name the caller's line, in async code and through the sync API."""

from __future__ import annotations

import sys
import warnings

import pytest
import respx

from invokeai_sdk import AsyncInvokeAI, InvokeAI
from invokeai_sdk._warnings import Collected, collecting, reissue, warn_user
from invokeai_sdk.jobs import BatchHandle

BASE = "http://127.0.0.1:9"
SUMMARIES = "/api/v1/queue/default/item_summaries_by_ids"
ENQUEUE = "/api/v1/queue/default/enqueue_batch"
GRAPH = {"nodes": {"sum": {"id": "sum", "type": "add", "a": 1, "b": 2}}, "edges": []}


def _mock_queue(router: respx.MockRouter) -> None:
    router.get("/openapi.json").respond(json={"paths": {}, "components": {"schemas": {}}})
    router.get("/api/v1/app/version").respond(json={"version": "6.14.2"})
    router.post(ENQUEUE).respond(
        json={
            "queue_id": "default",
            "enqueued": 1,
            "requested": 1,
            "batch": {"batch_id": "b1", "graph": GRAPH, "runs": 1},
            "priority": 0,
            "item_ids": [1],
        }
    )
    router.post(SUMMARIES).respond(json=[{"item_id": 1, "status": "completed"}])


def test_warn_user_points_past_the_package_at_the_caller() -> None:
    with pytest.warns(DeprecationWarning, match="old") as caught:
        warn_user("old")
    assert caught[0].filename == __file__


def test_collected_warnings_wait_for_the_call_to_return_then_name_its_caller() -> None:
    collected = Collected()
    with collecting(collected), warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_user("kept for later", FutureWarning)  # not raised here: collected
    with pytest.warns(FutureWarning, match="kept for later") as caught:
        reissue(collected)
    assert caught[0].filename == __file__
    with (
        pytest.warns(FutureWarning, match="after the call"),  # a call that returned warns directly
        collecting(collected),
    ):
        warn_user("after the call", FutureWarning)


async def test_an_async_wait_with_the_old_keyword_names_the_caller() -> None:
    async with respx.mock(base_url=BASE, assert_all_called=False) as router:
        _mock_queue(router)
        async with AsyncInvokeAI(BASE, max_retries=0) as ivk:
            batch = BatchHandle(ivk, queue_id="default", batch_id="b1", item_ids=[1])
            with pytest.warns(DeprecationWarning, match="wait_timeout") as caught:
                assert await batch.wait(timeout=5) == ["completed"]
            assert caught[0].filename == __file__
            with pytest.deprecated_call(match="run.batch is deprecated") as caught:
                assert batch.batch is batch
            assert caught[0].filename == __file__


def test_a_sync_wait_with_the_old_keyword_names_the_caller_not_the_loop_thread() -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        _mock_queue(router)
        with InvokeAI(BASE, max_retries=0) as ivk:
            batch = ivk.queue.enqueue(GRAPH, validate=False)
            line = sys._getframe().f_lineno + 2
            with pytest.warns(DeprecationWarning, match="wait_timeout") as caught:
                assert batch.wait(timeout=5) == ["completed"]
            assert [(w.filename, w.lineno) for w in caught] == [(__file__, line)]
            job = batch[0]
            with pytest.deprecated_call(match="job.job is deprecated") as caught:
                assert job.job.item_id == 1
            assert caught[0].filename == __file__
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                assert job.wait(wait_timeout=5) == "completed"  # the new name: no warning
