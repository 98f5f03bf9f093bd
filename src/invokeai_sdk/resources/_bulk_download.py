"""The wait-then-fetch dance of a bulk zip download, kept apart from the images namespace.

The server answers ``POST /images/download`` with 202 and a zip name, then builds the zip in a
background task: it opens ``<name>.zip`` in its download folder and writes the images into it *in
place*, then emits ``bulk_download_complete`` (or ``bulk_download_error``). ``GET
/images/download/{name}`` answers 404 until the file exists and 200 from the moment it exists, even
while it is still being written; after the first 200 it deletes the file.

That is a race: a GET sent before the zip is finished can stream a half-written zip *and* make the
server delete the real one. So while the event stream is live, the zip is fetched only after the
completion event for this very zip has arrived. Polling by GET happens only when events cannot be
used (no asyncio loop, the socket refused or ended), or after :data:`QUIET_PERIOD` seconds without
a word (an event missed across a reconnect). The waiting runs on the SDK's one waiting engine
(``_waiting.settle``). Every zip is still checked to be a complete archive
holding the expected images before it is kept, so a zip cut short never passes for a good one.
"""

from __future__ import annotations

import itertools
import os
import zipfile
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from .._download import ProgressCallback, resolve_target, safe_file_name, stream_to_file
from .._errors import (
    APIConnectionError,
    BulkDownloadError,
    NotFoundError,
)
from .._resource import AsyncAPIResource
from .._transport import segment
from .._types import TimeoutArg
from .._waiting import Deadline, EventSource, settle, subscribed
from ..types.images import BulkDownloadResult

__all__ = ["QUIET_PERIOD", "run_bulk_download"]

COMPLETE = "bulk_download_complete"
FAILED = "bulk_download_error"
QUIET_PERIOD = 30.0
"""Seconds of silence on a live event stream after which the zip's URL is probed once anyway."""


def _bulk_events(resource: AsyncAPIResource) -> AbstractAsyncContextManager[EventSource | None]:
    """The session's bulk-download event stream, or ``None`` when events cannot be used."""
    return subscribed(resource._client, queue_id=None, types=[COMPLETE, FAILED], bulk_downloads=True)


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
    resource: AsyncAPIResource,
    body: dict[str, Any],
    *,
    to: str | os.PathLike[str],
    expected: Sequence[str] | None,
    wait_timeout: float | None,
    poll_interval: float,
    timeout: TimeoutArg,
    quiet_period: float | None = None,
    on_progress: ProgressCallback | None = None,
) -> BulkDownloadResult:
    """Ask for the zip, wait until it is ready (event, else poll), fetch it once to ``to``.

    ``resource`` is any namespace of the session (its request layer sends). ``quiet_period``
    (default :data:`QUIET_PERIOD`) is how long a live but silent event stream is trusted before the
    zip's URL is probed once anyway.
    """
    quiet_period = QUIET_PERIOD if quiet_period is None else quiet_period
    async with _bulk_events(resource) as events:
        started = await resource._json("POST", "/api/v1/images/download", json=body, timeout=timeout)
        item_name = safe_file_name(str((started or {}).get("bulk_download_item_name") or ""))
        target = resolve_target(to, item_name)
        url_path = f"/api/v1/images/download/{segment(item_name)}"
        deadline = Deadline(
            wait_timeout,
            lambda: (
                f"The bulk download {item_name} was not ready after {wait_timeout:g}s"
                " (or someone else fetched it first: the server deletes a zip once fetched)."
            ),
        )

        def matches(event: Any) -> bool:
            if getattr(event, "bulk_download_item_name", None) != item_name:
                return False
            name = getattr(event, "event_name", None)
            if name == FAILED:
                reason = getattr(event, "error", None) or "unknown error"
                raise BulkDownloadError(f"The server could not build {item_name}: {reason}")
            return name == COMPLETE

        async def fetch(announced: bool) -> BulkDownloadResult | None:
            try:
                async with resource._stream("GET", url_path, timeout=timeout) as response:
                    size = await stream_to_file(
                        response, target, verify=lambda p: _check_zip(p, expected), on_progress=on_progress
                    )
                return BulkDownloadResult(item_name=item_name, path=target, size=size)
            except NotFoundError as exc:
                if announced:
                    raise NotFoundError(
                        f"The bulk download {item_name} was complete but is gone: it was already fetched"
                        " (the server deletes a zip after one download).",
                        response=exc.response,
                        detail=exc.detail,
                    ) from exc
                return None  # not written yet

        settled = await settle(
            fetch,
            deadline=deadline,
            events=events,
            matches=matches,
            quiet_period=quiet_period,
            poll_delays=itertools.chain([0.1], itertools.repeat(poll_interval)),
            probe_first=False,  # a GET before the zip is complete could fetch half of it
        )
        return settled.value
