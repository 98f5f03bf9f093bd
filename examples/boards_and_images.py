"""Boards and image management: create, upload, list, move, star, rename, download, delete.

python examples/boards_and_images.py       # uses INVOKEAI_BASE_URL, else http://127.0.0.1:9090

Leaves the server as it found it: the boards and images it makes are deleted at the end.
"""

from __future__ import annotations

import tempfile

import anyio
from PIL import Image

from invokeai_sdk import UNCATEGORIZED, AsyncInvokeAI


async def main() -> None:
    async with AsyncInvokeAI() as ivk:
        holiday = await ivk.boards.create("holiday")
        picks = await ivk.boards.create("picks")
        try:
            for color in ("red", "green", "blue"):
                image = await ivk.images.upload(Image.new("RGB", (64, 48), color), board=holiday)
                print(f"uploaded {image.image_name} ({color}) to {holiday.board_name!r}")
            names = await ivk.boards.image_names(holiday)
            print(f"{holiday.board_name!r} holds {len(names)} images")

            await ivk.boards.add_images(picks, names[:1])  # move one image to another board
            await ivk.images.star(names[:1])
            async for image in ivk.images.list(board=picks):
                print(f"on {picks.board_name!r}: {image.image_name} starred={image.starred}")

            renamed = await ivk.boards.update(holiday, name="holiday 2025")
            print("renamed to", renamed.board_name)
            for board in [b async for b in ivk.boards.list()]:
                print(f"board {board.board_name!r}: {board.image_count} images")

            with tempfile.TemporaryDirectory() as folder:
                paths = [await ivk.images.download_to(name, f"{folder}/holiday/") for name in names]
                print("downloaded", [p.name for p in paths])
                zipped = await ivk.images.bulk_download(board=picks, to=f"{folder}/picks.zip")
                print("zipped the picks board:", zipped.path.name)

            loose = await ivk.images.upload(Image.new("RGB", (8, 8), "white"))  # on no board
            print("on no board:", (await ivk.images.list(board=UNCATEGORIZED, limit=1)).total)
            await ivk.images.delete(loose.image_name)
        finally:
            for board in (holiday, picks):
                await ivk.boards.delete(board, include_images=True)
            print("deleted both boards and their images")


if __name__ == "__main__":
    anyio.run(main)
