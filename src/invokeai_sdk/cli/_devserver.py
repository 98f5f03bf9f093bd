"""``invokeai-sdk server start|stop``: a local InvokeAI development server on 127.0.0.1.

The SDK does not install InvokeAI (several GB): it runs an ``invokeai-web`` that is already there,
found in this order: ``--invokeai-web``, ``$INVOKEAI_WEB``, ``PATH``, then the venvs that a clone's
``python scripts/invokeai_server.py install`` (and ``nox``) create under ``$INVOKEAI_SDK_CACHE``,
``$XDG_CACHE_HOME/invokeai-sdk`` or ``~/.cache/invokeai-sdk``. Standard library only.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["DevServer", "DevServerError", "find_invokeai_web", "start", "stop"]

_TEMP_MARK = ".invokeai-sdk-temporary"
"""A file in a root this module created: ``stop`` deletes such a root."""
_OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1"}


class DevServerError(Exception):
    """The server could not be found, started or stopped; the message says what to do."""


@dataclass(frozen=True)
class DevServer:
    """A server started by :func:`start`."""

    base_url: str
    pid: int
    root: str
    log: str


def _cache_dirs() -> list[Path]:
    if os.environ.get("INVOKEAI_SDK_CACHE"):
        return [Path(os.environ["INVOKEAI_SDK_CACHE"])]
    xdg = os.environ.get("XDG_CACHE_HOME")
    return [Path(xdg) / "invokeai-sdk" if xdg else Path.home() / ".cache" / "invokeai-sdk"]


def find_invokeai_web(explicit: str | None = None) -> Path:
    """The ``invokeai-web`` to run (see the module docs for the order); :class:`DevServerError` if none."""
    for candidate in (explicit, os.environ.get("INVOKEAI_WEB"), shutil.which("invokeai-web")):
        if candidate:
            path = Path(candidate)
            if path.is_file() and os.access(path, os.X_OK):
                return path
            if candidate in (explicit, os.environ.get("INVOKEAI_WEB")):
                raise DevServerError(f"{candidate} is not an executable invokeai-web")
    for cache in _cache_dirs():
        found = [p for p in cache.glob("invokeai-*/bin/invokeai-web") if _release(p) is not None]
        if found:
            return max(found, key=lambda p: _release(p) or ())  # the newest release installed
    raise DevServerError(
        "No invokeai-web found. Install InvokeAI into its own venv (pip install invokeai) and pass "
        "--invokeai-web PATH (or put it on PATH), or from a clone of invokeai-sdk run "
        "'python scripts/invokeai_server.py install' (CPU-only, no model weights)."
    )


def _release(executable: Path) -> tuple[int, ...] | None:
    """``(6, 14, 2)`` for ``.../invokeai-6.14.2/bin/invokeai-web``; ``None`` for other folders."""
    version = executable.parent.parent.name.removeprefix("invokeai-")
    parts = version.split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else None


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _version(base_url: str) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(f"{base_url}/api/v1/app/version", timeout=2) as response:
            data = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def start(
    *,
    invokeai_web: str | None = None,
    root: str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    wait: float = 240.0,
) -> DevServer:
    """Start ``invokeai-web`` in the background and wait until its API answers.

    ``root`` is the InvokeAI root folder (kept); without one a temporary root is made, which
    :func:`stop` deletes. Raises :class:`DevServerError` (with the log's tail) when it does not start.
    """
    executable = find_invokeai_web(invokeai_web)
    port = port or _free_port(host)
    base_url = f"http://{host}:{port}"
    if _version(base_url) is not None:
        raise DevServerError(f"Something already answers at {base_url}.")
    folder = Path(root).resolve() if root else Path(tempfile.mkdtemp(prefix="invokeai-root."))
    folder.mkdir(parents=True, exist_ok=True)
    if not root:
        (folder / _TEMP_MARK).write_text("deleted by invokeai-sdk server stop\n")
    env = {**os.environ, **_OFFLINE, "INVOKEAI_HOST": host, "INVOKEAI_PORT": str(port)}
    log_path = folder / "server.log"
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(
            [str(executable), "--root", str(folder)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # survives this command; `server stop` ends it
        )
    server = DevServer(base_url=base_url, pid=process.pid, root=str(folder), log=str(log_path))
    (folder / "server.json").write_text(json.dumps(asdict(server)))
    deadline = time.monotonic() + wait
    try:
        while _version(base_url) is None:
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise DevServerError(f"invokeai-web did not start (exit {process.poll()}):\n{tail}")
            time.sleep(0.3)
    except BaseException:  # Ctrl-C included: leave nothing running
        stop(str(folder))
        raise
    return server


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs (an exited process nobody reaped yet does not count)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError, IndexError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def stop(root: str) -> DevServer:
    """Stop the server started with root folder ``root``; delete the root when it was temporary."""
    folder = Path(root)
    state = folder / "server.json"
    if not state.is_file():
        raise DevServerError(f"{root} is not the root of a server started by invokeai-sdk (no server.json).")
    server = DevServer(**json.loads(state.read_text()))
    with contextlib.suppress(ProcessLookupError):
        os.kill(server.pid, signal.SIGTERM)
        for _ in range(80):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(server.pid, os.WNOHANG)  # reap it when it is our child
            if not _alive(server.pid):
                break
            time.sleep(0.125)
        else:
            os.kill(server.pid, signal.SIGKILL)
    if (folder / _TEMP_MARK).exists():
        shutil.rmtree(folder, ignore_errors=True)
    else:
        state.unlink(missing_ok=True)
    return server
