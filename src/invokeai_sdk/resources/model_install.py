"""``InstallJob``: the handle of one model install running on the server.

``wait()`` runs on the SDK's one waiting engine (``_waiting.settle``): it listens for the install's
terminal event and refreshes the job over REST (every ``poll_interval`` seconds), whichever sees the
end first; without events it only polls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from .._base_client import validate_response
from .._errors import (
    InstallCanceledError,
    InstallFailedError,
    NotFoundError,
    UnsupportedMediaTypeError,
    ValidationError,
)
from .._transport import segment
from .._types import NOT_GIVEN, NotGiven, SettledBy, TimeoutArg
from .._waiting import Deadline, backoff, resolve_wait_timeout, settle, subscribed
from ..types.models import InstallProgress, InstallResult, ModelConfig, ModelInstallJobInfo

if TYPE_CHECKING:
    from .._base_client import BaseClient

__all__ = ["InstallJob", "InstallJobHost"]

_TERMINAL_EVENTS = ("model_install_complete", "model_install_error", "model_install_cancelled")


class InstallJobHost(Protocol):
    """What an :class:`InstallJob` needs from the models namespace (``ivk.models`` is one)."""

    _client: BaseClient

    async def _install_job_info(self, id: int, *, timeout: TimeoutArg = ...) -> ModelInstallJobInfo: ...

    async def _find_installed(self, info: ModelInstallJobInfo) -> ModelConfig | None: ...

    async def _require(self, feature: str) -> None: ...

    async def _request(
        self, method: str, path: str, *, json: Any = ..., timeout: TimeoutArg = ...
    ) -> httpx.Response: ...


class InstallJob:
    """A model install job on the server.

    ``info`` is the latest snapshot (refreshed by :meth:`refresh`, :meth:`progress` and
    :meth:`wait`). ``await job.wait()`` returns an :class:`InstallResult`; a model that was already
    installed is ``result.already_installed``, not an error.
    """

    def __init__(self, models: InstallJobHost, info: ModelInstallJobInfo) -> None:
        self._models = models
        self.info = info
        """The server's latest record of the job (refreshed by ``refresh()`` and while waiting)."""
        self._settled_by: SettledBy | None = None

    @property
    def settled_by(self) -> SettledBy | None:
        """How the last :meth:`wait` saw the job end (``None`` before one did).

        ``"event"``: the job's terminal model install event woke the wait; ``"poll"``: a REST
        refresh found it finished (before any event, or with no event stream).
        """
        return self._settled_by

    @property
    def id(self) -> int:
        """The server's job id."""
        return self.info.id

    @property
    def source(self) -> str:
        """The model source: a path, URL or Hugging Face repo id."""
        return self.info.source_text

    @property
    def status(self) -> str:
        """The status of the latest snapshot (an :class:`InstallStatus` when known)."""
        return self.info.status

    @property
    def already_installed(self) -> bool:
        """True when the server did not install because the model was already installed."""
        return self.info.already_installed

    @property
    def model(self) -> ModelConfig | None:
        """The installed model, once the job completed."""
        return self.info.config_out

    async def refresh(self, *, timeout: TimeoutArg = NOT_GIVEN) -> ModelInstallJobInfo:
        """Fetch the job's current state (and keep it in ``info``)."""
        self.info = await self._models._install_job_info(self.id, timeout=timeout)
        return self.info

    async def progress(self, *, timeout: TimeoutArg = NOT_GIVEN) -> InstallProgress:
        """The job's status and bytes done so far, freshly fetched."""
        return _progress_of(await self.refresh(timeout=timeout))

    async def cancel(self, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Ask the server to cancel the job (a finished job stays as it is)."""
        await self._control("DELETE", "", timeout=timeout)

    async def pause(self, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Pause a downloading job (servers 6.12+)."""
        await self._models._require("model_install_pause")
        await self._control("POST", "/pause", timeout=timeout)

    async def resume(self, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Resume a paused job (servers 6.12+)."""
        await self._models._require("model_install_pause")
        await self._control("POST", "/resume", timeout=timeout)

    async def restart_failed(self, *, timeout: TimeoutArg = NOT_GIVEN) -> ModelInstallJobInfo:
        """Download again the files of this job that failed (the others are kept); returns the job's state."""
        await self._models._require("model_install_restart")
        response = await self._control("POST", "/restart_failed", timeout=timeout)
        self.info = validate_response(ModelInstallJobInfo, response)
        return self.info

    async def restart_file(self, url: str, *, timeout: TimeoutArg = NOT_GIVEN) -> ModelInstallJobInfo:
        """Download one file of this job again, by its source URL; returns the job's state."""
        await self._models._require("model_install_restart")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValidationError(f"url must be the http(s) URL of one of the job's files, got {url!r}.")
        response = await self._control("POST", "/restart_file", json=url, timeout=timeout)
        self.info = validate_response(ModelInstallJobInfo, response)
        return self.info

    async def _control(
        self, method: str, suffix: str, *, json: Any = None, timeout: TimeoutArg
    ) -> httpx.Response:
        try:
            return await self._models._request(
                method, f"/api/v2/models/install/{segment(self.id)}{suffix}", json=json, timeout=timeout
            )
        except UnsupportedMediaTypeError as exc:  # the server answers 415 for "no such job"
            raise NotFoundError(str(exc), response=exc.response, detail=exc.detail) from exc

    async def wait(
        self,
        *,
        wait_timeout: float | None = None,
        poll_interval: float = 1.0,
        on_progress: Callable[[InstallProgress], object] | None = None,
        timeout: float | None | NotGiven = NOT_GIVEN,
    ) -> InstallResult:
        """Wait until the job ends and return what it installed.

        Raises :class:`InstallFailedError` (with the server's ``error_reason`` and ``error``) when it
        failed, :class:`InstallCanceledError` when it was cancelled, :class:`WaitTimeoutError` when
        ``wait_timeout`` seconds pass first (``None``: no deadline; the job keeps running). A model
        that was already installed is not a failure: the result has ``already_installed=True`` and
        ``model`` is the existing one. :attr:`settled_by` then tells whether the job's event or a
        REST refresh saw the end. ``on_progress(progress)`` gets an :class:`InstallProgress` for every
        snapshot the wait reads, the final one included (a progress bar needs nothing else). The job
        is refreshed every ``poll_interval`` seconds while its events are live; without events the
        refreshes start fast (local installs take tens of ms) and back off to ``poll_interval``.
        ``timeout=`` is the deprecated old name of ``wait_timeout``.
        """
        seconds = resolve_wait_timeout(wait_timeout, timeout)
        if poll_interval <= 0:
            poll_interval = 1.0
        self._settled_by = None
        deadline = Deadline(
            seconds,
            lambda: f"Model install job {self.id} did not finish within {seconds} s (status {self.status}).",
        )

        async def probe(announced: bool) -> ModelInstallJobInfo | None:
            info = await self.refresh()
            if on_progress is not None:
                on_progress(_progress_of(info))
            return info if info.is_terminal else None

        with deadline.enforce():
            async with subscribed(
                self._models._client, queue_id=None, types=list(_TERMINAL_EVENTS)
            ) as events:
                settled = await settle(
                    probe,
                    deadline=deadline,
                    events=events,
                    matches=lambda event: (
                        getattr(event, "event_name", None) in _TERMINAL_EVENTS
                        and getattr(event, "id", None) == self.id
                    ),
                    quiet_period=poll_interval,
                    poll_delays=backoff(0.05, poll_interval),
                )
            self._settled_by = settled.settled_by
            return await self._settle(settled.value)

    async def _settle(self, info: ModelInstallJobInfo) -> InstallResult:
        status = str(info.status)
        if status == "completed":
            return InstallResult(job=info, model=info.config_out)
        if info.already_installed:
            return InstallResult(
                job=info, model=await self._models._find_installed(info), already_installed=True
            )
        message = f"Model install job {info.id} for {info.source_text!r} "
        error_type = InstallCanceledError if status == "cancelled" else InstallFailedError
        reason = info.error_reason or status
        detail = f": {info.error_reason}: {info.error}" if info.error else f" ({reason})"
        raise error_type(
            message + ("was cancelled" if status == "cancelled" else "failed") + detail,
            job_id=info.id,
            source=info.source_text,
            error=info.error,
            error_reason=info.error_reason,
        )

    def __repr__(self) -> str:
        return f"InstallJob(id={self.id}, status={str(self.status)!r}, source={self.source!r})"


def _progress_of(info: ModelInstallJobInfo) -> InstallProgress:
    fraction = None
    if info.total_bytes > 0:
        fraction = min(1.0, info.bytes / info.total_bytes)
    elif str(info.status) == "completed":
        fraction = 1.0
    return InstallProgress(
        status=info.status, bytes=info.bytes, total_bytes=info.total_bytes, fraction=fraction
    )
