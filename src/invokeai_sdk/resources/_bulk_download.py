"""The wait-then-fetch dance of a bulk zip download, kept apart from the images namespace.

The server answers ``POST /images/download`` with 202 and a zip name, builds the zip in the
background, emits ``bulk_download_complete`` (or ``bulk_download_error``), and deletes the zip after
its first GET. ``GET /images/download/{name}`` answers 404 until the file exists, so a 200 doubles as
"ready" and is streamed straight to disk. The server writes the zip in place, so a zip fetched by
polling before the event could be cut short: every zip is checked to be complete before it is kept.
"""

from __future__ import annotations

import contextlib
import os
import time
import zipfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from .._download import resolve_target, safe_file_name, stream_to_file
from .._errors import (
    APIConnectionError,
    BulkDownloadError,
    EventsUnavailableError,
    NotFoundError,
    WaitTimeoutError,
)
from .._types import TimeoutArg
from ..types.images import BulkDownloadResult

if TYPE_CHECKING:
    from .images import ImagesResource

__all__ = ["run_bulk_download"]

COMPLETE = "bulk_download_complete"
FAILED = "bulk_download_error"


@contextlib.asynccontextmanager
async def _bulk_events(resource: ImagesResource) -> AsyncIterator[Any | None]:
    """The session's bulk-download event stream, or ``None`` when events cannot be used."""
    events = getattr(resource._client, "events", None)
    if events is None:
        yield None
        return
    try:
        context = events.subscribe(queue_id=None, types=[COMPLETE, FAILED], bulk_downloads=True)
        stream = await context.__aenter__()
    except (EventsUnavailableError, TypeError, AttributeError):
        yield None
        return
    try:
        yield stream
    finally:
        await context.__aexit__(None, None, None)


async def _next_event(stream: Any, item_name: str, within: float) -> Any | None:
    """The next bulk event for ``item_name`` arriving within ``within`` seconds, else ``None``."""
    with anyio.move_on_after(within):
        async for event in stream:
            if getattr(event, "bulk_download_item_name", None) == item_name:
                return event
    return None


def _check_zip(path: Path, expected: Sequence[str] | None) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = {Path(name).name for name in archive.namelist()}
    except (zipfile.BadZipFile, OSError) as exc:
        raise APIConnectionError(
            f"The bulk download zip is incomplete ({exc}): it was fetched before the server finished"
            " writing it, and the server deletes a zip once fetched. Ask for it again."
        ) from exc
    missing = [name for name in expected or () if name not in members]
    if missing:
        raise APIConnectionError(f"The bulk download zip lacks {missing}; ask for it again.")


async def run_bulk_download(
    resource: ImagesResource,
    body: dict[str, Any],
    *,
    to: str | os.PathLike[str],
    expected: Sequence[str] | None,
    wait_timeout: float,
    poll_interval: float,
    timeout: TimeoutArg,
) -> BulkDownloadResult:
    """Ask for the zip, wait until it is ready (event or poll), fetch it once to ``to``."""
    async with _bulk_events(resource) as stream:
        started = await resource._json("POST", "/api/v1/images/download", json=body, timeout=timeout)
        item_name = safe_file_name(str((started or {}).get("bulk_download_item_name") or ""))
        target = resolve_target(to, item_name)
        deadline = time.monotonic() + wait_timeout
        announced = False  # the server said the zip is complete
        live = stream is not None
        attempts = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WaitTimeoutError(
                    f"The bulk download {item_name} was not ready after {wait_timeout:g}s"
                    " (or someone else fetched it first: the server deletes a zip once fetched)."
                )
            if not announced:
                if live:
                    waited_from = time.monotonic()
                    within = min(poll_interval, remaining)
                    event = await _next_event(stream, item_name, within)
                    if event is None and time.monotonic() - waited_from < within / 2:
                        live = False  # the stream ended: poll from now on
                    if event is not None and getattr(event, "event_name", COMPLETE) == FAILED:
                        raise BulkDownloadError(
                            f"The server could not build {item_name}: {getattr(event, 'error', '')}"
                        )
                    announced = event is not None
                else:
                    await anyio.sleep(min(poll_interval if attempts else 0.1, remaining))
            attempts += 1
            try:
                async with resource._stream(
                    "GET", f"/api/v1/images/download/{item_name}", timeout=timeout
                ) as response:
                    size = await stream_to_file(response, target, verify=lambda p: _check_zip(p, expected))
                return BulkDownloadResult(item_name=item_name, path=target, size=size)
            except NotFoundError as exc:
                if announced:
                    raise NotFoundError(
                        f"The bulk download {item_name} was complete but is gone: it was already fetched"
                        " (the server deletes a zip after one download).",
                        response=exc.response,
                        detail=exc.detail,
                    ) from exc
