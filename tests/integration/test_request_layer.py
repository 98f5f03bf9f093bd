"""The public request layer: ``ivk.get/post/put/patch/delete/request/stream`` reach any endpoint with the
session's auth, retries, error mapping and base path, in the async and the sync API."""

from __future__ import annotations

import io

import anyio.to_thread
import pytest
from PIL import Image

from invokeai_sdk import AsyncInvokeAI, InvokeAI, NotFoundError, UnprocessableEntityError
from invokeai_sdk.types.boards import BoardDTO


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (6, 6), (9, 90, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


async def test_get_post_patch_delete_any_endpoint(ivk: AsyncInvokeAI) -> None:
    version = await ivk.get("/api/v1/app/version")
    assert version["version"] == (await ivk.app.version()).version
    board = await ivk.post("/api/v1/boards/", params={"board_name": "raw"}, cast_to=BoardDTO)
    assert isinstance(board, BoardDTO) and board.board_name == "raw"
    renamed = await ivk.patch(f"/api/v1/boards/{board.board_id}", json={"board_name": "raw-2"})
    assert renamed["board_name"] == "raw-2"
    assert (await ivk.boards.get(board.board_id)).board_name == "raw-2"
    await ivk.delete(f"/api/v1/boards/{board.board_id}")
    with pytest.raises(NotFoundError):
        await ivk.get(f"/api/v1/boards/{board.board_id}")


async def test_errors_are_the_sdk_errors(ivk: AsyncInvokeAI) -> None:
    with pytest.raises(UnprocessableEntityError) as caught:
        await ivk.post("/api/v1/queue/default/enqueue_batch", json={"batch": {"graph": "not a graph"}})
    assert caught.value.errors and caught.value.errors[0].loc


async def test_put_and_request(ivk: AsyncInvokeAI) -> None:
    status = await ivk.put("/api/v1/queue/default/processor/pause")
    assert status["is_started"] is False
    response = await ivk.request("PUT", "/api/v1/queue/default/processor/resume")
    assert response.status_code == 200 and response.json()["is_started"] is True


async def test_stream_reads_a_body_in_chunks(ivk: AsyncInvokeAI) -> None:
    image = await ivk.images.upload(_png())
    async with ivk.stream("GET", f"/api/v1/images/i/{image.image_name}/full") as response:
        assert response.status_code == 200
        body = b"".join([chunk async for chunk in response.aiter_bytes()])
    assert body == await ivk.images.download(image.image_name)

    def sync_side() -> tuple[bytes, str]:
        with InvokeAI(str(ivk.base_url)) as sync:
            with sync.stream("GET", f"/api/v1/images/i/{image.image_name}/full") as streamed:
                data = b"".join(streamed.iter_bytes())
            return data, sync.get("/api/v1/app/version")["version"]

    data, version = await anyio.to_thread.run_sync(sync_side)
    assert data == body
    assert version == (await ivk.app.version()).version


async def test_features_and_require_on_the_client(ivk: AsyncInvokeAI) -> None:
    features = await ivk.features()
    assert features is await ivk.app.features()
    assert await ivk.require("boards") is features
