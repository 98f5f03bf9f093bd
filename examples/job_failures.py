"""Job failures and cancellation: how a failure is classified, and cancelling one item, a batch, all.

python examples/job_failures.py            # uses INVOKEAI_BASE_URL, else http://127.0.0.1:9090

Pauses the queue while it cancels (and resumes it); leaves no pending item behind.
"""

from __future__ import annotations

from typing import Any

import anyio

from invokeai_sdk import AsyncInvokeAI, JobCanceledError, JobFailedError, WaitTimeoutError


def edge(source: str, destination: str) -> dict[str, Any]:
    return {
        "source": {"node_id": source, "field": "image"},
        "destination": {"node_id": destination, "field": "image"},
    }


WORKS: dict[str, Any] = {
    "nodes": {
        "blank": {"id": "blank", "type": "blank_image", "width": 32, "height": 32, "is_intermediate": True},
        "save": {"id": "save", "type": "save_image", "is_intermediate": True},
    },
    "edges": [edge("blank", "save")],
}
FAILS: dict[str, Any] = {
    "nodes": {
        "blur": {"id": "blur", "type": "img_blur", "image": {"image_name": "no-such-image.png"}},
        "save": {"id": "save", "type": "save_image", "is_intermediate": True},
    },
    "edges": [edge("blur", "save")],
}


async def classify(ivk: AsyncInvokeAI) -> None:
    batch = await ivk.queue.enqueue(FAILS)
    try:
        await batch.wait(wait_timeout=120)
    except JobFailedError as exc:  # the server's exception type and message, and its traceback
        print(f"item {exc.item_id} failed: {exc.error_type}: {exc.error_message}")
        print("  last traceback line:", (exc.error_traceback or "").strip().splitlines()[-1:])
    except JobCanceledError as exc:
        print("canceled:", exc)
    except WaitTimeoutError as exc:
        print("still running after the timeout:", exc)


async def cancel(ivk: AsyncInvokeAI) -> None:
    await ivk.queue.pause()  # keep everything pending while we cancel it
    try:
        one = await ivk.queue.enqueue(WORKS)
        await one[0].cancel()
        print("one item:", (await one[0].result()).status)

        batch = await ivk.queue.enqueue(WORKS, runs=3)
        print("a batch:", await batch.cancel(), "items canceled")

        await ivk.queue.enqueue(WORKS, runs=2)
        await ivk.queue.enqueue(WORKS, runs=2)
        print("everything pending:", await ivk.queue.cancel_all_except_current(), "items canceled")
        try:
            await batch.wait(wait_timeout=30)
        except JobCanceledError as exc:
            print("waiting on a canceled batch raises JobCanceledError:", exc)
    finally:
        await ivk.queue.resume()
    status = (await ivk.queue.status()).queue
    print(f"queue: {status.pending} pending, {status.canceled} canceled, {status.failed} failed")


async def main() -> None:
    async with AsyncInvokeAI() as ivk:
        await classify(ivk)
        await cancel(ivk)


if __name__ == "__main__":
    anyio.run(main)
