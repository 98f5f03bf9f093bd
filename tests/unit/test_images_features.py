"""``ivk.videos`` on a server whose ``/api/v1/videos/`` is the old 6.8 API: every call is refused (respx)."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from invokeai_sdk import AsyncInvokeAI, FeatureNotSupportedError
from invokeai_sdk._features import ServerFeatures
from invokeai_sdk.resources.videos import VideosResource

BASE = "http://invoke.test"

# The video routes of InvokeAI 6.8.x: the same "/api/v1/videos/" prefix, but videos by id and no
# files (no upload, no /full, no /thumbnail), so none of the SDK's calls would work there.
OLD_VIDEO_PATHS = [
    "/api/v1/videos/",
    "/api/v1/videos/i/{video_id}",
    "/api/v1/videos/delete",
    "/api/v1/videos/star",
    "/api/v1/videos/unstar",
    "/api/v1/videos/uncategorized",
    "/api/v1/videos/ids",
    "/api/v1/videos/videos_by_ids",
]
OPENAPI_68 = {
    "openapi": "3.1.0",
    "paths": {
        **{path: {"get": {}} for path in OLD_VIDEO_PATHS},
        "/api/v1/images/": {"get": {}},
        "/api/v1/boards/": {"get": {}},
    },
}
MP4 = b"\x00\x00\x00\x20ftypisom" + b"\x00" * 32

CALLS: dict[str, Callable[[VideosResource, Path], Awaitable[Any]]] = {
    "upload": lambda v, _: v.upload(MP4),
    "get": lambda v, _: v.get("a.mp4"),
    "list": lambda v, _: v.list(),  # type: ignore[arg-type, return-value]
    "names": lambda v, _: v.names(),
    "download": lambda v, _: v.download("a.mp4"),
    "download_to": lambda v, tmp: v.download_to("a.mp4", tmp),
    "star": lambda v, _: v.star("a.mp4"),
    "unstar": lambda v, _: v.unstar(["a.mp4"]),
    "delete": lambda v, _: v.delete("a.mp4"),
    "delete_many": lambda v, _: v.delete_many(["a.mp4"]),
    "delete_uncategorized": lambda v, _: v.delete_uncategorized(),
    "update": lambda v, _: v.update("a.mp4", starred=True),
    "exists": lambda v, _: v.exists("a.mp4"),
    "urls": lambda v, _: v.urls("a.mp4"),
    "metadata": lambda v, _: v.metadata("a.mp4"),
    "workflow": lambda v, _: v.workflow("a.mp4"),
    "add_to_board": lambda v, _: v.add_to_board("b1", "a.mp4"),
    "remove_from_board": lambda v, _: v.remove_from_board("a.mp4"),
}


def listdir(path: Path) -> list[Path]:
    """The entries of a directory (a sync helper: async tests must not block on pathlib)."""
    return list(path.iterdir())


def public_methods() -> set[str]:
    """Every public method of ``ivk.videos``."""
    return {
        name for name, _ in inspect.getmembers(VideosResource, inspect.isfunction) if not name.startswith("_")
    }


@pytest.fixture
async def old_server() -> AsyncIterator[tuple[AsyncInvokeAI, respx.MockRouter]]:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.get("/openapi.json").mock(return_value=httpx.Response(200, json=OPENAPI_68))
        mock.get("/api/v1/app/version").mock(return_value=httpx.Response(200, json={"version": "6.8.1"}))
        mock.route(name="anything_else").mock(return_value=httpx.Response(500, json={"detail": "unexpected"}))
        async with AsyncInvokeAI(BASE, max_retries=0) as ivk:
            yield ivk, mock


def test_every_public_videos_method_is_covered() -> None:
    assert set(CALLS) == public_methods()


def test_the_feature_is_keyed_on_a_path_only_the_current_api_has() -> None:
    old = ServerFeatures(OPENAPI_68, version="6.8.1")
    assert not old.supports("videos")
    current = ServerFeatures({"paths": {"/api/v1/videos/i/{video_name}/full": {"get": {}}}})
    assert current.supports("videos")


@pytest.mark.parametrize("method", sorted(CALLS))
async def test_every_videos_call_is_refused_on_6_8(
    old_server: tuple[AsyncInvokeAI, respx.MockRouter], tmp_path: Path, method: str
) -> None:
    ivk, mock = old_server
    with pytest.raises(FeatureNotSupportedError, match=r"6\.8\.1.*'videos'") as raised:
        await CALLS[method](ivk.videos, tmp_path)
    assert raised.value.feature == "videos" and raised.value.server_version == "6.8.1"
    assert mock["anything_else"].call_count == 0  # nothing was sent to the old video routes
    assert listdir(tmp_path) == []
