"""The ``invokeai-sdk`` command line against the real server, as subprocesses (``python -m invokeai_sdk``).

``--json`` output is parsed and checked against what the server really holds (read back over REST).
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from ..conftest import ServerInfo
from ._graphs import image_to_board
from .test_models import write_safetensors

ROOT = Path(__file__).resolve().parents[2]


def cli(
    server: ServerInfo, *args: str, cwd: Path | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INVOKEAI_BASE_URL": server.base_url, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "invokeai_sdk", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def cli_json(server: ServerInfo, *args: str, code: int = 0, cwd: Path | None = None) -> Any:
    result = cli(server, *args, "--json", cwd=cwd)
    assert result.returncode == code, f"exit {result.returncode}\n{result.stdout}\n{result.stderr[-3000:]}"
    return json.loads(result.stdout)


def rest(server: ServerInfo) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, timeout=30)


def queue_counts(server: ServerInfo) -> dict[str, int]:
    with rest(server) as http:
        counts: dict[str, int] = http.get("/api/v1/queue/default/status").json()["queue"]
        return counts


def test_run_a_shipped_workflow_with_sets_sweep_board_and_downloads(
    clean: ServerInfo, tmp_path: Path
) -> None:
    data = cli_json(
        clean,
        "run",
        "blur-to-board",
        "--set",
        "Width=40",
        "--set",
        "Blur Type=box",
        "--sweep",
        "Blur Radius=1,3",
        "--board",
        "cli board",
        "--out",
        str(tmp_path / "out"),
    )
    assert data["workflow"] == "Blur to board"
    assert [item["status"] for item in data["items"]] == ["completed", "completed"]
    names = [name for item in data["items"] for name in item["images"]]
    assert len(names) == 2
    assert sorted(Path(p).name for p in data["downloaded"]) == sorted(names)
    for path in data["downloaded"]:
        with Image.open(path) as image:
            assert image.width == 40
    with rest(clean) as http:
        (board,) = http.get("/api/v1/boards/", params={"all": True}).json()
        assert board["board_name"] == "cli board"
        on_board = http.get(f"/api/v1/boards/{board['board_id']}/image_names").json()
        assert sorted(on_board) == sorted(names)
        item = http.get(f"/api/v1/queue/default/i/{data['items'][0]['item_id']}").json()
        assert item["batch_id"] == data["batch_id"]
    # The board is found by name next time, not created twice.
    again = cli_json(clean, "run", "blur-to-board", "--board", "cli board")
    assert again["items"][0]["status"] == "completed"
    assert [b["board_name"] for b in cli_json(clean, "boards", "list")] == ["cli board"]


def test_a_failed_job_exits_1_with_the_servers_error(clean: ServerInfo) -> None:
    data = cli_json(clean, "run", "resize-and-crop", "--set", "Image=no-such-image.png", code=1)
    (item,) = data["items"]
    assert item["status"] == "failed"
    assert item["error_type"] == "ImageRecordNotFoundException"


def test_bad_input_exits_2_before_anything_is_enqueued(clean: ServerInfo) -> None:
    data = cli_json(clean, "run", "blur-to-board", "--set", "No Such Input=1", code=2)
    assert data["error"]["type"] == "WorkflowInputError" and "Blur Radius" in data["error"]["message"]
    malformed = cli(clean, "run", "blur-to-board", "--set", "no-equals-sign")
    assert malformed.returncode == 2 and "LABEL=VALUE" in malformed.stderr
    unknown = cli(clean, "run", "no-such-workflow-or-id", "--json")
    assert unknown.returncode == 2 and json.loads(unknown.stdout)["error"]["type"] == "WorkflowError"
    assert queue_counts(clean)["total"] == 0


def test_an_unreachable_server_exits_3_naming_the_url() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = ServerInfo(f"http://127.0.0.1:{port}")
    data = cli_json(dead, "boards", "list", code=3)
    assert data["error"]["type"] == "APIConnectionError"
    assert f"127.0.0.1:{port}/api/v1/boards/" in data["error"]["message"]


def test_progress_on_a_terminal_and_none_with_json(clean: ServerInfo) -> None:
    controller, terminal = pty.openpty()
    env = {**os.environ, "INVOKEAI_BASE_URL": clean.base_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "invokeai_sdk", "run", "blur-to-board", "--sweep", "Blur Radius=1,2"],
        stdout=subprocess.PIPE,
        stderr=terminal,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    os.close(terminal)
    shown = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            shown += chunk
        elif process.poll() is not None:
            break
    os.close(controller)
    assert process.wait(timeout=60) == 0
    text = shown.decode(errors="replace")
    assert "2 queue item(s)" in text and "2/2" in text  # the items bar, finished
    assert "node save (save_image)" in text  # the node bar followed the running nodes
    assert "\x1b[" in text  # drawn live (cursor moves), not printed line by line
    assert process.stdout is not None
    with process.stdout:
        assert process.stdout.read().decode().count("completed") == 2  # results on stdout, bars on stderr
    quiet = cli(clean, "run", "blur-to-board", "--json")
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert json.loads(quiet.stdout)["items"][0]["status"] == "completed"


def test_ctrl_c_cancels_what_the_run_enqueued_and_exits_130(clean: ServerInfo) -> None:
    with rest(clean) as http:
        http.put("/api/v1/queue/default/processor/pause").raise_for_status()
        try:
            env = {**os.environ, "INVOKEAI_BASE_URL": clean.base_url}
            process = subprocess.Popen(
                [sys.executable, "-m", "invokeai_sdk", "run", "blur-to-board", "--runs", "2", "--json"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            deadline = time.monotonic() + 60
            while queue_counts(clean)["pending"] < 2:
                assert process.poll() is None and time.monotonic() < deadline, process.stderr
                time.sleep(0.2)
            time.sleep(0.5)  # the command is waiting now
            process.send_signal(signal.SIGINT)
            out, _ = process.communicate(timeout=60)
            assert process.returncode == 130
            assert json.loads(out)["error"]["exit_code"] == 130
            counts = queue_counts(clean)
            assert counts["pending"] == 0 and counts["canceled"] == 2
        finally:
            http.put("/api/v1/queue/default/processor/resume").raise_for_status()


def test_queue_status_cancel_watch_and_clear(clean: ServerInfo) -> None:
    with rest(clean) as http:
        http.put("/api/v1/queue/default/processor/pause").raise_for_status()
        try:
            batches = []
            for _ in range(3):
                body = {"batch": {"graph": image_to_board(), "runs": 1}, "prepend": False}
                batches.append(http.post("/api/v1/queue/default/enqueue_batch", json=body).json())
            status = cli_json(clean, "queue", "status")
            assert status["queue"]["pending"] == 3 and status["processor"]["is_started"] is False
            one = cli_json(clean, "queue", "cancel", "--item", str(batches[0]["item_ids"][0]))
            assert one == {"canceled": 1}
            by_batch = cli_json(clean, "queue", "cancel", "--batch", batches[1]["batch"]["batch_id"])
            assert by_batch == {"canceled": 1}
            assert queue_counts(clean)["canceled"] == 2
        finally:
            http.put("/api/v1/queue/default/processor/resume").raise_for_status()
        watched = cli(clean, "queue", "watch", "--until-idle", "--json")
        assert watched.returncode == 0
        lines = [json.loads(line) for line in watched.stdout.splitlines() if line.strip()]
        assert queue_counts(clean)["completed"] == 1
        last = batches[2]["item_ids"][0]
        assert all(line["item_id"] == last for line in lines)  # only the item that was still to run
        everything = cli_json(clean, "queue", "cancel", "--all")
        assert everything == {"canceled": 0}
        assert cli_json(clean, "queue", "clear")["deleted"] == 3
        assert queue_counts(clean)["total"] == 0
    empty = cli(clean, "queue", "cancel")
    assert empty.returncode == 2


def test_images_push_then_pull_a_board(clean: ServerInfo, tmp_path: Path) -> None:
    files = []
    for index, color in enumerate(("red", "blue")):
        path = tmp_path / f"in-{index}.png"
        Image.new("RGB", (20 + index, 10), color).save(path)
        files.append(str(path))
    pushed = cli_json(clean, "images", "push", *files, "--board", "pushed")
    assert [u["file"] for u in pushed] == files
    board_id = pushed[0]["board_id"]
    with rest(clean) as http:
        assert sorted(http.get(f"/api/v1/boards/{board_id}/image_names").json()) == sorted(
            u["image_name"] for u in pushed
        )
    pulled = cli_json(clean, "images", "pull", "--board", "pushed", "--out", str(tmp_path / "pulled"))
    assert pulled["board_id"] == board_id
    widths = []
    for path in pulled["downloaded"]:
        with Image.open(path) as image:
            widths.append(image.width)
    assert sorted(widths) == [20, 21]
    missing = cli_json(clean, "images", "pull", "--board", "no such board", "--out", str(tmp_path), code=2)
    assert "no such board" in missing["error"]["message"]


def test_boards_create_and_list(clean: ServerInfo) -> None:
    created = cli_json(clean, "boards", "create", "from the cli")
    assert created["board_name"] == "from the cli"
    listed = cli_json(clean, "boards", "list")
    assert [(b["board_id"], b["board_name"]) for b in listed] == [(created["board_id"], "from the cli")]
    table = cli(clean, "boards", "list")
    assert table.returncode == 0 and "from the cli" in table.stdout


def test_models_install_with_progress_then_list(clean: ServerInfo, tmp_path: Path) -> None:
    source = write_safetensors(tmp_path / "cli-model.safetensors")
    installed = cli_json(clean, "models", "install", str(source))
    assert installed["already_installed"] is False
    assert installed["model"]["name"] == "cli-model" and installed["model"]["path"] == str(source)
    listed = cli_json(clean, "models", "list")
    assert [m["key"] for m in listed] == [installed["model"]["key"]]
    again = cli_json(clean, "models", "install", str(source))
    assert again["already_installed"] is True and again["model"]["key"] == installed["model"]["key"]
    bad = cli_json(clean, "models", "install", str(tmp_path / "missing.safetensors"), code=2)
    assert bad["error"]["type"] == "InvalidModelSourceError"


def test_workflows_import_list_export(clean: ServerInfo, tmp_path: Path) -> None:
    imported = cli_json(clean, "workflows", "import", str(ROOT / "workflows" / "blur-to-board.json"))
    assert imported["name"] == "Blur to board"
    listed = cli_json(clean, "workflows", "list", "--category", "user")
    assert [w["workflow_id"] for w in listed["library"]] == [imported["workflow_id"]]
    assert "blur-to-board" in [w["name"] for w in listed["shipped"]]
    exported = cli_json(clean, "workflows", "export", imported["workflow_id"], str(tmp_path))
    document = json.loads(Path(exported["path"]).read_text())
    original = json.loads((ROOT / "workflows" / "blur-to-board.json").read_text())
    assert document["name"] == original["name"] and len(document["nodes"]) == len(original["nodes"])
    # The exported file runs as it is.
    ran = cli_json(clean, "run", exported["path"])
    assert ran["items"][0]["status"] == "completed"


def test_server_start_then_stop(tmp_path: Path) -> None:
    started = subprocess.run(
        [sys.executable, "-m", "invokeai_sdk", "server", "start", "--json"],
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert started.returncode == 0, started.stderr[-3000:]
    server = json.loads(started.stdout)
    try:
        boards = cli_json(ServerInfo(server["base_url"]), "boards", "list")
        assert boards == []
        assert Path(server["root"], "invokeai.yaml").exists()
    finally:
        stopped = cli_json(ServerInfo(server["base_url"]), "server", "stop", server["root"])
    assert stopped["stopped"] == server["pid"]
    assert not Path(server["root"]).exists()  # a temporary root is deleted
    gone = cli_json(ServerInfo(server["base_url"]), "boards", "list", code=3)
    assert gone["error"]["type"] == "APIConnectionError"
