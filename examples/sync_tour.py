"""The sync API for scripts and notebooks: the same calls as the async tour, without ``await``.

``INVOKEAI_BASE_URL=http://127.0.0.1:9090 python examples/sync_tour.py``. Needs no model weights.
"""

from __future__ import annotations

from pathlib import Path

from invokeai_sdk import InvokeAI
from invokeai_sdk.events import QueueItemStatusChangedEvent

WORKFLOWS = Path(__file__).resolve().parent.parent / "workflows"


def main() -> None:
    with InvokeAI() as ivk:  # INVOKEAI_BASE_URL, else http://127.0.0.1:9090
        print(f"server version {ivk.app.version()}")
        board = ivk.boards.create("invokeai-sdk sync tour")

        wf = ivk.workflows.load(WORKFLOWS / "blur-to-board.json")
        run = ivk.workflows.run(wf, board=board, sweep={"Blur Radius": [1, 3, 6]})  # 3 images, one request
        print(f"statuses: {run.wait(wait_timeout=120)}")

        with ivk.events.subscribe(types=["queue_item_status_changed"]) as stream:
            batch = ivk.workflows.run(wf, board=board)
            for event in stream:  # typed events, while the socket runs on the SDK's own loop
                if isinstance(event, QueueItemStatusChangedEvent):
                    print(f"  event {event.event_name}: item {event.item_id} -> {event.status}")
                    if event.item_id == batch.item_ids[0] and event.status == "completed":
                        break

        for image in ivk.images.list(board=board):  # every image on the board, page after page
            print(f"  {image.image_name} {image.width}x{image.height}")
        ivk.boards.delete(board, include_images=True)


if __name__ == "__main__":
    main()
