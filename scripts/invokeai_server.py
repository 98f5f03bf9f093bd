#!/usr/bin/env python3
"""Provision and run a throw-away, CPU-only, model-free InvokeAI server on 127.0.0.1.

Used by ``noxfile.py`` (demo, integration, bench) and by the test suite's session fixture.
Standard library only, so it runs from any interpreter.

    python scripts/invokeai_server.py install           # create/reuse the server venv (idempotent)
    python scripts/invokeai_server.py start [--multiuser]   # prints INVOKEAI_BASE_URL=, ROOT=, PID=
    python scripts/invokeai_server.py stop ROOT
    python scripts/invokeai_server.py run [--multiuser] -- CMD   # start; CMD with INVOKEAI_BASE_URL; stop

The server lives in its own venv (several GB) under a cache folder outside the repository:
``$INVOKEAI_SDK_CACHE`` or ``$XDG_CACHE_HOME/invokeai-sdk`` or ``~/.cache/invokeai-sdk``.
Knobs: ``INVOKEAI_SERVER_VERSION`` (default 6.14.2; ``6.14.2-unpinned`` is 6.14.2 without pins),
``INVOKEAI_SERVER_PYTHON`` (an interpreter for the venv; default python3.11), ``INVOKEAI_SERVER_TORCH``
(torch requirements), ``INVOKEAI_SERVER_PINS`` (extra requirements such as ``starlette<1.8``; ``''``
for none, i.e. the install as users get it), ``INVOKEAI_SERVER_LEAN`` (``0`` keeps triton, which a
CPU server never loads). Each release and pin set gets its own venv folder.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DEFAULT_VERSION = "6.14.2"
# torch 2.13 has no torchvision that loads beside it; this pair works on CPU (InvokeAI imports torchvision).
DEFAULT_TORCH = "torch==2.14.1 torchvision==0.29.1"
# starlette 1.8+ breaks InvokeAI 6.14's gzip middleware (HTTP 500 on every 204 and on the Engine.IO
# polling handshake for clients that send Accept-Encoding: gzip, as httpx and aiohttp do).
DEFAULT_PINS = "starlette<1.8"
# 5.15 and 6.3 leave fastapi unpinned: freeze the web stack they were tested with.
OLD_WEB_PINS = "starlette<1.8 fastapi==0.165.0"
UNPINNED_SUFFIX = "-unpinned"
# Left out of lean installs: torch loads triton only for torch.compile, which a CPU server never runs.
# (The nvidia-* wheels cannot go: torch's CUDA build links them at import.)
LEAN_EXCLUDES = ("triton",)
HOST = "127.0.0.1"
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "DIFFUSERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "PYTHONUNBUFFERED": "1",
}
ADMIN_EMAIL = "admin@example.com"
# Popen objects of the servers this process started: kept so they are reaped, not garbage-collected alive.
_PROCESSES: dict[int, subprocess.Popen[bytes]] = {}
ADMIN_PASSWORD = "Sdk-Test-Passw0rd!"


def log(message: str) -> None:
    print(f"[invokeai-server] {message}", file=sys.stderr, flush=True)


def cache_dir() -> Path:
    explicit = os.environ.get("INVOKEAI_SDK_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "invokeai-sdk"


def _release() -> str:
    return os.environ.get("INVOKEAI_SERVER_VERSION", DEFAULT_VERSION) or DEFAULT_VERSION


def server_version() -> str:
    """The InvokeAI version to install (``INVOKEAI_SERVER_VERSION`` without a ``-unpinned`` suffix)."""
    release = _release()
    return release[: -len(UNPINNED_SUFFIX)] if release.endswith(UNPINNED_SUFFIX) else release


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")[:3] if part.isdigit())


@dataclass(frozen=True)
class Recipe:
    """How one InvokeAI release installs and starts on CPU (see the README's supported-servers table)."""

    version: str
    schema_version: str  # the invokeai.yaml schema the release asserts
    torch_override: bool  # the release pins torch~=2.7: override it with the local torch pair
    default_pins: str


def recipe(version: str) -> Recipe:
    """The install recipe of ``version``: releases differ in config schema, torch pin and web stack."""
    v = _version_tuple(version)
    return Recipe(
        version=version,
        schema_version="4.0.3" if v >= (6, 13) else "4.0.2",
        torch_override=v < (6, 13),
        default_pins=OLD_WEB_PINS if v < (6, 8) else DEFAULT_PINS,
    )


def server_pins(version: str | None = None) -> list[str]:
    """Extra requirements installed beside InvokeAI (``INVOKEAI_SERVER_PINS``; none when unpinned)."""
    if _release().endswith(UNPINNED_SUFFIX):
        return []
    explicit = os.environ.get("INVOKEAI_SERVER_PINS")
    if explicit is not None:
        return explicit.split()
    return recipe(version or server_version()).default_pins.split()


def venv_dir(version: str | None = None) -> Path:
    """The venv folder of a release and pin set: the default pins, none, or others each get their own."""
    version = version or server_version()
    pins = server_pins(version)
    if pins == recipe(version).default_pins.split():
        suffix = ""
    elif not pins:
        suffix = UNPINNED_SUFFIX
    else:
        suffix = "-pins-" + hashlib.sha256(" ".join(sorted(pins)).encode()).hexdigest()[:8]
    return cache_dir() / f"invokeai-{version}{suffix}"


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _is_installed(venv: Path, version: str) -> bool:
    python = _venv_python(venv)
    if not (venv / "bin" / "invokeai-web").exists() or not python.exists():
        return False
    probe = (
        "import importlib.metadata as m, sys, torch, torchvision\n"
        "from torchvision.ops import nms\n"
        "from packaging.requirements import Requirement\n"
        f"assert m.version('invokeai') == {version!r}, m.version('invokeai')\n"
        f"for spec in {server_pins(version)!r}:\n"
        "    r = Requirement(spec)\n"
        "    assert r.specifier.contains(m.version(r.name), prereleases=True), spec\n"
    )
    return subprocess.run([str(python), "-c", probe], capture_output=True).returncode == 0


def _find_python() -> str:
    explicit = os.environ.get("INVOKEAI_SERVER_PYTHON")
    candidates = [explicit] if explicit else ["python3.11"]
    for name in candidates:
        path = shutil.which(name) if name and not os.path.isabs(name) else name
        if path:
            check = subprocess.run(
                [path, "-c", "import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 12) else 1)"],
                capture_output=True,
            )
            if check.returncode == 0:
                return path
    if sys.version_info[:2] == (3, 11):
        return sys.executable
    raise SystemExit(
        "the server venv needs Python 3.11 (the torch wheels); set INVOKEAI_SERVER_PYTHON to one"
    )


def _local_wheel_sources() -> list[str]:
    """The local wheel folders pip is configured with; uv reads no pip config, so pass them on."""
    sources: list[str] = []
    for key in ("global.find-links", "global.extra-index-url"):
        result = subprocess.run(
            [sys.executable, "-m", "pip", "config", "get", key], capture_output=True, text=True
        )
        for entry in result.stdout.split():
            path = entry
            if entry.startswith("file://"):
                path = entry[len("file://") :]
                if path.endswith("/simple"):
                    path = (
                        path[: -len("/simple")] + "/files"
                    )  # a local simple index keeps its wheels beside it
            if os.path.isdir(path):
                sources.append(path)
    return sources


def install(version: str | None = None) -> Path:
    """Create or reuse the server venv; return its path."""
    version = version or server_version()
    venv = venv_dir(version)
    if _is_installed(venv, version):
        log(f"InvokeAI {version} already installed in {venv}")
        return venv
    started = time.monotonic()
    venv.parent.mkdir(parents=True, exist_ok=True)
    if not _venv_python(venv).exists():
        python = _find_python()
        log(f"creating venv {venv} with {python}")
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
    python = str(_venv_python(venv))
    torch = os.environ.get("INVOKEAI_SERVER_TORCH", DEFAULT_TORCH).split()
    requirements = [*torch, f"invokeai=={version}", *server_pins(version)]
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    installed = False
    if subprocess.run([python, "-m", "pip", "install", "-q", "uv"], env=env).returncode == 0:
        uv = str(venv / "bin" / "uv")
        links: list[str] = []
        for source in _local_wheel_sources():
            links += ["--find-links", source]
        if recipe(version).torch_override:  # the release pins torch~=2.7; its code runs on the newer pair
            overrides = venv / "invokeai-sdk-overrides.txt"
            overrides.write_text("\n".join(torch) + "\n")
            links += ["--overrides", str(overrides)]
        if os.environ.get("INVOKEAI_SERVER_LEAN", "1") != "0":
            excludes = venv / "invokeai-sdk-excludes.txt"
            excludes.write_text("\n".join(LEAN_EXCLUDES) + "\n")
            links += ["--excludes", str(excludes)]
        log(f"uv pip install {' '.join(requirements)} (several GB)")
        # --compile-bytecode: without .pyc files every start takes ~2.5x longer.
        command = [uv, "pip", "install", "--compile-bytecode", "--python", python, *links, *requirements]
        installed = subprocess.run(command, env=env).returncode == 0
        if not installed:
            log("uv failed; falling back to pip")
    if not installed:
        subprocess.run(
            [python, "-m", "pip", "install", "--progress-bar", "off", *requirements], env=env, check=True
        )
    if not _is_installed(venv, version):
        raise SystemExit("InvokeAI installed, but torch/torchvision/invokeai do not import together")
    log(f"installed InvokeAI {version} in {time.monotonic() - started:.0f} s into {venv}")
    return venv


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((HOST, port)) == 0


@dataclass
class Server:
    """A running server: its URL, process id and temporary root folder."""

    base_url: str
    pid: int
    root: Path
    started_in: float
    multiuser: bool = False
    admin_email: str | None = None
    admin_password: str | None = None

    def stop(self) -> None:
        stop(self.root)


def _get_json(url: str, timeout: float = 2.0) -> object:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def _post_json(url: str, body: object) -> object:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def start(*, multiuser: bool = False, port: int = 0, timeout: float = 240.0) -> Server:
    """Start a server on a fresh temporary root (installing first if needed)."""
    venv = install()
    port = port or _free_port()
    if _port_in_use(port):  # InvokeAI would silently move to port+1
        raise SystemExit(f"port {port} on {HOST} is already in use")
    root = Path(tempfile.mkdtemp(prefix="invokeai-root."))
    schema = recipe(server_version()).schema_version
    lines = [f"schema_version: {schema}", f"host: {HOST}", f"port: {port}", "log_format: plain"]
    if multiuser:
        lines.append("multiuser: true")
    (root / "invokeai.yaml").write_text("\n".join(lines) + "\n")
    env = {**os.environ, **OFFLINE_ENV, "INVOKEAI_HOST": HOST, "INVOKEAI_PORT": str(port)}
    env.pop("INVOKEAI_BASE_URL", None)
    started = time.monotonic()
    with open(root / "server.log", "wb") as log_file:
        process = subprocess.Popen(
            [str(venv / "bin" / "invokeai-web"), "--root", str(root)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    _PROCESSES[process.pid] = process
    (root / "server.pid").write_text(str(process.pid))
    base_url = f"http://{HOST}:{port}"
    log(f"started invokeai-web pid {process.pid} on {base_url} (root {root})")
    deadline = started + timeout
    while True:
        try:
            version = _get_json(f"{base_url}/api/v1/app/version")
            break
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (root / "server.log").read_text(errors="replace")[-4000:]
                stop(root)
                raise SystemExit(f"InvokeAI did not start (exit {process.poll()}):\n{tail}") from None
            time.sleep(0.3)
    elapsed = time.monotonic() - started
    log(f"API up after {elapsed:.1f} s: {version}")
    server = Server(base_url=base_url, pid=process.pid, root=root, started_in=elapsed, multiuser=multiuser)
    if multiuser:
        _post_json(
            f"{base_url}/api/v1/auth/setup",
            {"email": ADMIN_EMAIL, "display_name": "Admin", "password": ADMIN_PASSWORD},
        )
        server.admin_email, server.admin_password = ADMIN_EMAIL, ADMIN_PASSWORD
    (root / "server.json").write_text(
        json.dumps(
            {
                "base_url": base_url,
                "pid": process.pid,
                "root": str(root),
                "started_in": elapsed,
                "multiuser": multiuser,
                "admin_email": server.admin_email,
                "admin_password": server.admin_password,
            }
        )
    )
    return server


def stop(root_or_pid: Path | str | int) -> None:
    """Stop a server started by :func:`start` and delete its temporary root."""
    root: Path | None = None
    if isinstance(root_or_pid, int) or str(root_or_pid).isdigit():
        pid = int(root_or_pid)
    else:
        root = Path(root_or_pid)
        pid_file = root / "server.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text())
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        for _ in range(40):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            if pid in _PROCESSES:
                _PROCESSES[pid].poll()  # reap it if it exited
            else:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)
            time.sleep(0.25)
        else:
            log(f"pid {pid} ignored SIGTERM for 10 s; killing it")
            os.kill(pid, signal.SIGKILL)
    process = _PROCESSES.pop(pid, None)
    if process is not None:
        process.wait()
    else:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    if root is not None and root.name.startswith("invokeai-root."):
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def running(*, multiuser: bool = False) -> Iterator[Server]:
    """A server for the duration of a ``with`` block."""
    server = start(multiuser=multiuser)
    try:
        yield server
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install")
    start_parser = sub.add_parser("start")
    start_parser.add_argument("--multiuser", action="store_true")
    start_parser.add_argument("--port", type=int, default=0)
    stop_parser = sub.add_parser("stop")
    stop_parser.add_argument("root")
    run_parser = sub.add_parser("run")
    run_parser.add_argument("--multiuser", action="store_true")
    run_parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.command == "install":
        install()
        return 0
    if args.command == "start":
        server = start(multiuser=args.multiuser, port=args.port)
        print(f"INVOKEAI_BASE_URL={server.base_url}")
        print(f"INVOKEAI_SERVER_ROOT={server.root}")
        print(f"INVOKEAI_SERVER_PID={server.pid}")
        return 0
    if args.command == "stop":
        stop(args.root)
        return 0
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        parser.error("run needs a command after --")
    with running(multiuser=args.multiuser) as server:
        env = {**os.environ, "INVOKEAI_BASE_URL": server.base_url}
        return subprocess.run(cmd, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
