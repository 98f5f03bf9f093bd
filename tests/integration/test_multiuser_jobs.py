"""Events and job waits on a multi-user server: the socket carries the session's token."""

from __future__ import annotations

import anyio
import pytest

from invokeai_sdk import AsyncInvokeAI
from invokeai_sdk.events import QueueItemStatusChangedEvent
from invokeai_sdk.events._connection import get_connection

from ..conftest import ServerInfo
from ._graphs import math

pytestmark = pytest.mark.multiuser


async def test_logged_in_session_gets_events_and_settles_jobs(multiuser_server: ServerInfo) -> None:
    assert multiuser_server.admin_email and multiuser_server.admin_password
    async with AsyncInvokeAI(
        multiuser_server.base_url,
        email=multiuser_server.admin_email,
        password=multiuser_server.admin_password,
    ) as ivk:
        async with ivk.events.subscribe(types=["queue_item_status_changed"]) as stream:
            assert get_connection(ivk).connected  # the server accepted the socket's token
            batch = await ivk.queue.enqueue(math())
            statuses = []
            with anyio.fail_after(30):
                async for event in stream:
                    assert isinstance(event, QueueItemStatusChangedEvent)
                    if event.item_id == batch.item_ids[0]:
                        statuses.append(event.status)
                        if event.status == "completed":
                            break
        assert statuses == ["in_progress", "completed"]
        assert await batch.wait(wait_timeout=30) == ["completed"]
        outputs = await batch.jobs[0].outputs()
        assert outputs["sum"][0]["value"] == 42
        await ivk.queue.clear()
