"""The commands of ``invokeai-sdk``: run, queue, images, boards, models, workflows, server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn

import anyio
import typer
from rich.console import Console
from rich.table import Table

from .._client import AsyncInvokeAI
from .._errors import (
    APIConnectionError,
    InstallFailedError,
    InvalidModelSourceError,
    InvokeAIError,
    JobError,
    ValidationError,
    WaitTimeoutError,
)
from .._types import UNCATEGORIZED
from . import _devserver
from ._render import ProgressView, stderr_console

__all__ = ["app"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CONNECT, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

app = typer.Typer(
    name="invokeai-sdk",
    help="Run workflows and manage an InvokeAI server: queue, images, boards, models, workflows.\n\n"
    "Exit codes: 0 done, 1 a job or request failed, 2 usage error or bad input, 3 cannot connect, "
    "130 interrupted (Ctrl-C cancels what the command enqueued).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
queue_app = typer.Typer(help="The queue: status, watch, cancel, clear.", no_args_is_help=True)
images_app = typer.Typer(
    help="Images: pull a board into a folder, push files onto a board.", no_args_is_help=True
)
boards_app = typer.Typer(help="Boards: list, create.", no_args_is_help=True)
models_app = typer.Typer(help="Models: list, install.", no_args_is_help=True)
workflows_app = typer.Typer(help="Workflows: list, export, import.", no_args_is_help=True)
server_app = typer.Typer(help="A local development server: start, stop.", no_args_is_help=True)
for _name, _sub in (
    ("queue", queue_app),
    ("images", images_app),
    ("boards", boards_app),
    ("models", models_app),
    ("workflows", workflows_app),
    ("server", server_app),
):
    app.add_typer(_sub, name=_name)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout; no progress.")]
QueueId = Annotated[str, typer.Option("--queue-id", help="The queue.")]


@dataclass
class Settings:
    """Options given before the command."""

    url: str | None
    token: str | None


@app.callback()
def _root(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Option("--url", envvar="INVOKEAI_BASE_URL", help="The server (default http://127.0.0.1:9090)."),
    ] = None,
    token: Annotated[
        str | None, typer.Option("--token", envvar="INVOKEAI_TOKEN", help="A token, for multi-user servers.")
    ] = None,
) -> None:
    """Every command reads the server from --url or INVOKEAI_BASE_URL."""
    ctx.obj = Settings(url=url, token=token)


# -- running a command ---------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a command produced: ``data`` (printed as JSON with ``--json``) and its exit code."""

    data: Any
    code: int = EXIT_OK


def _settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings(url=None, token=None)


def _fail(as_json: bool, exc: BaseException | None, message: str, code: int) -> NoReturn:
    if as_json:
        error = {"type": type(exc).__name__ if exc else "Interrupted", "message": message, "exit_code": code}
        print(json.dumps({"error": error}))
    else:
        stderr_console().print(f"[bold red]error:[/] {message}", markup=True, highlight=False)
    raise typer.Exit(code)


def _code_of(exc: BaseException) -> int:
    if isinstance(exc, APIConnectionError):
        return EXIT_CONNECT
    if isinstance(exc, ValidationError | InvalidModelSourceError | _devserver.DevServerError):
        return EXIT_USAGE
    return EXIT_FAILED


def _execute(
    ctx: typer.Context,
    work: Callable[[AsyncInvokeAI, ProgressView], Awaitable[Outcome]],
    *,
    as_json: bool,
    show: Callable[[Any], None],
) -> None:
    """Run ``work`` with a session; print its outcome; exit with a code that says how it went."""
    settings = _settings(ctx)
    view = ProgressView(stderr_console(), enabled=not as_json)

    async def main() -> Outcome:
        async with AsyncInvokeAI(settings.url, token=settings.token) as ivk:
            return await work(ivk, view)

    try:
        outcome = anyio.run(main)
    except (KeyboardInterrupt, asyncio.CancelledError):  # Ctrl-C: the loop cancelled the work
        _fail(as_json, None, "Interrupted (what this command enqueued was canceled).", EXIT_INTERRUPTED)
    except (InvokeAIError, _devserver.DevServerError) as exc:
        _fail(as_json, exc, str(exc), _code_of(exc))
    if outcome.data is None:
        pass
    elif as_json:
        print(json.dumps(outcome.data, indent=2, default=str))
    else:
        show(outcome.data)
    if outcome.code:
        raise typer.Exit(outcome.code)


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    Console().print(table)


def _print_lines(lines: Sequence[str]) -> None:
    for line in lines:
        print(line)


async def _download(ivk: AsyncInvokeAI, view: ProgressView, name: str, out: Path) -> str:
    """Download one image into ``out`` (created when missing), showing its bytes on the download bar."""

    def show(done: int, total: int | None) -> None:
        of = f" of {total / 1024:.0f}" if total else ""
        view.update("download", text=f"downloading {name}: {done / 1024:.0f}{of} KiB")

    path = await ivk.images.download_to(name, f"{out}/", on_progress=show)
    view.update("download", advance=1)
    return str(path)


async def _cancel_on_interrupt(cancel: Callable[[], Awaitable[Any]]) -> None:
    """Cancel enqueued work (shielded: the command itself is being cancelled)."""
    with anyio.CancelScope(shield=True), contextlib.suppress(InvokeAIError, OSError):
        await cancel()


# -- run -----------------------------------------------------------------------------------------


def _parse_assignment(text: str, option: str) -> tuple[str, str]:
    label, sep, value = text.partition("=")
    if not sep or not label.strip():
        raise typer.BadParameter(f"expected LABEL=VALUE, got {text!r}", param_hint=option)
    return label.strip(), value


def _value_for(kind: str | None, text: str) -> Any:
    """A command-line value as the input's type wants it: text for strings, enums, boards and models;
    a local file for images when one exists; JSON (numbers, booleans, objects) for the rest."""
    if kind in ("string", "enum", "board", "model"):
        return text
    if kind == "image":
        return Path(text) if Path(text).is_file() else text
    try:
        return json.loads(text)
    except ValueError:
        return text


async def _board_named(ivk: AsyncInvokeAI, name: str, *, create: bool) -> str:
    """The id of the board called (or with id) ``name``; created when missing and ``create``."""
    if name.lower() in ("none", UNCATEGORIZED):
        return UNCATEGORIZED
    async for board in ivk.boards.list(include_archived=True):
        if name in (board.board_name, board.board_id):
            return board.board_id
    if not create:
        raise ValidationError(f"No board named {name!r}.")
    return (await ivk.boards.create(name)).board_id


def _workflow_source(workflow: str) -> Any:
    """A file, else a workflow shipped with the SDK by name, else a library id."""
    from ..workflows import bundled_workflows

    if Path(workflow).is_file():
        return Path(workflow)
    shipped = bundled_workflows()
    return shipped.get(workflow.removesuffix(".json"), workflow)


async def _follow(ivk: AsyncInvokeAI, events: AsyncIterator[Any], view: ProgressView, ids: list[int]) -> None:
    """Show the run's events, and its position in the queue until it starts."""
    from .._errors import EventsUnavailableError

    async def position() -> None:
        first = min(ids)
        while True:
            ahead = 0
            async for item in ivk.queue.list(status=("pending", "in_progress"), order="asc"):
                if item.item_id >= first:
                    break
                ahead += 1
            view.queue_position(ahead)
            await anyio.sleep(1.0)

    async with anyio.create_task_group() as group:
        if view.live:
            group.start_soon(position)
        with contextlib.suppress(EventsUnavailableError):
            async for event in events:
                view.event(event)
        group.cancel_scope.cancel()


@app.command()
def run(
    ctx: typer.Context,
    workflow: Annotated[
        str,
        typer.Argument(
            help="A workflow file, the name of a shipped workflow (blur-to-board), or a library id."
        ),
    ],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help='An input by its label (or index): "Blur Radius=4". Repeatable.'),
    ] = None,
    sweep: Annotated[
        list[str] | None,
        typer.Option("--sweep", help='Run once per value: "Blur Radius=1,2,4". Repeatable (a product).'),
    ] = None,
    board: Annotated[
        str | None, typer.Option("--board", help="Save onto this board (by name; created when missing).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Download the output images into this folder.")
    ] = None,
    runs: Annotated[int, typer.Option("--runs", min=1, help="Run everything this many times.")] = 1,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Give up (and cancel) after this many seconds.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Run a GUI workflow with live progress; download its images with --out."""
    settings = [_parse_assignment(s, "--set") for s in set_ or []]
    sweeps = [_parse_assignment(s, "--sweep") for s in sweep or []]

    async def work(ivk: AsyncInvokeAI, view: ProgressView) -> Outcome:
        from ..jobs import images_of

        wf = await ivk.workflows.load(_workflow_source(workflow))
        kinds = {item.label: item.kind for item in wf.inputs}

        def key(label: str) -> str | int:
            return int(label) if label.isdigit() and label not in kinds else label

        def kind(label: str) -> str | None:
            found = key(label)
            return wf.inputs[found].kind if isinstance(found, int) else kinds.get(label)

        for label, value in settings:
            wf.inputs[key(label)] = _value_for(kind(label), value)
        grid: dict[str | int | tuple[str, str], Sequence[Any]] = {
            key(label): [_value_for(kind(label), v) for v in values.split(",")] for label, values in sweeps
        }
        board_id = await _board_named(ivk, board, create=True) if board else None
        handle = await ivk.workflows.run(wf, board=board_id, sweep=grid or None, runs=runs)
        view.note(f"enqueued {wf.name!r}: batch {handle.batch_id}, {len(handle)} item(s)")
        try:
            with view.running():
                view.start_items(handle.item_ids)
                async with anyio.create_task_group() as group:
                    group.start_soon(_follow, ivk, handle.events(), view, handle.item_ids)
                    with contextlib.suppress(JobError):  # reported per item below
                        await handle.wait(wait_timeout=timeout, cancel_on_timeout=True)
                    group.cancel_scope.cancel()
                results = await handle.results()
                images = {item.item_id: images_of(item) for item in results}
                paths: list[str] = []
                if out is not None:
                    wanted = [name for names in images.values() for name in names]
                    view.bar("download", f"downloading {len(wanted)} image(s) to {out}", total=len(wanted))
                    paths = [await _download(ivk, view, name, out) for name in wanted]
        except BaseException:
            await _cancel_on_interrupt(handle.cancel)
            raise
        items = [
            {
                "item_id": item.item_id,
                "status": str(item.status),
                "error_type": item.error_type,
                "error_message": item.error_message,
                "images": images[item.item_id],
            }
            for item in results
        ]
        failed = any(item["status"] != "completed" for item in items)
        data = {"workflow": wf.name, "batch_id": handle.batch_id, "items": items, "downloaded": paths}
        return Outcome(data, EXIT_FAILED if failed else EXIT_OK)

    def show(data: dict[str, Any]) -> None:
        for item in data["items"]:
            error = f": {item['error_type']}: {item['error_message']}" if item["error_type"] else ""
            print(f"item {item['item_id']} {item['status']}{error} {' '.join(item['images'])}".rstrip())
        _print_lines(data["downloaded"])

    _execute(ctx, work, as_json=as_json, show=show)


# -- queue ---------------------------------------------------------------------------------------


@queue_app.command("status")
def queue_status(ctx: typer.Context, queue_id: QueueId = "default", as_json: JsonFlag = False) -> None:
    """Counts per status, the running item, and whether the processor runs."""

    async def work(ivk: AsyncInvokeAI, view: ProgressView) -> Outcome:
        return Outcome((await ivk.queue.status(queue_id=queue_id)).model_dump(mode="json"))

    def show(data: dict[str, Any]) -> None:
        counts = data["queue"]
        keys = ("pending", "in_progress", "completed", "failed", "canceled", "total")
        _table(f"queue {queue_id}", keys, [[counts[k] for k in keys]])
        processor = data["processor"]
        state = "started" if processor["is_started"] else "paused"
        print(f"processor: {state}, running item {counts['item_id']}")

    _execute(ctx, work, as_json=as_json, show=show)


@queue_app.command("watch")
def queue_watch(
    ctx: typer.Context,
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="Stop once nothing is pending or running.")
    ] = False,
    queue_id: QueueId = "default",
    as_json: JsonFlag = False,
) -> None:
    """Print every status change of the queue's items as it happens (JSON lines with --json)."""

    async def work(ivk: AsyncInvokeAI, view: ProgressView) -> Outcome:
        from ..events import QueueItemStatusChangedEvent

        async with ivk.events.subscribe(queue_id=queue_id, types=["queue_item_status_changed"]) as stream:

            async def idle() -> bool:
                counts = (await ivk.queue.status(queue_id=queue_id)).queue
                return counts.pending + counts.in_progress == 0

            while not (until_idle and await idle()):
                with anyio.move_on_after(2.0):
                    event = await stream.receive()
                    if isinstance(event, QueueItemStatusChangedEvent):
                        line = {"item_id": event.item_id, "batch_id": event.batch_id, "status": event.status}
                        text = f"item {event.item_id}: {event.status}"
                        print(json.dumps(line) if as_json else text, flush=True)
        return Outcome(None)  # the lines were the output

    _execute(ctx, work, as_json=as_json, show=lambda data: None)


@queue_app.command("cancel")
def queue_cancel(
    ctx: typer.Context,
    item: Annotated[list[int] | None, typer.Option("--item", help="A queue item id. Repeatable.")] = None,
    batch: Annotated[list[str] | None, typer.Option("--batch", help="A batch id. Repeatable.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every pending item and the running one.")] = False,
    queue_id: QueueId = "default",
    as_json: JsonFlag = False,
) -> None:
    """Cancel items, batches, or everything."""
    if not (item or batch or all_):
        raise typer.BadParameter("say what to cancel: --item ID, --batch ID or --all")

    async def work(ivk: AsyncInvokeAI, view: ProgressView) -> Outcome:
        canceled = 0
        for item_id in item or []:
            await ivk.queue.cancel(item_id, queue_id=queue_id)
            canceled += 1
        if batch:
            canceled += await ivk.queue.cancel_batches(batch, queue_id=queue_id)
        if all_:
            running = await ivk.queue.current(queue_id=queue_id)
            canceled += await ivk.queue.cancel_all_except_current(queue_id=queue_id)
            if running is not None and not running.is_terminal:
                await ivk.queue.cancel(running.item_id, queue_id=queue_id)
                canceled += 1
        return Outcome({"canceled": canceled})

    _execute(ctx, work, as_json=as_json, show=lambda data: print(f"canceled {data['canceled']} item(s)"))


@queue_app.command("clear")
def queue_clear(ctx: typer.Context, queue_id: QueueId = "default", as_json: JsonFlag = False) -> None:
    """Cancel the running item and delete every item of the queue."""

    async def work(ivk: AsyncInvokeAI, view: ProgressView) -> Outcome:
        return Outcome({"deleted": await ivk.queue.clear(queue_id=queue_id)})

    _execute(ctx, work, as_json=as_json, show=lambda data: print(f"deleted {data['deleted']} item(s)"))


# -- images --------------------------------------------------------------------------------------


@images_app.command("pull")
def images_pull(
    ctx: typer.Context,
    board: Annotated[str, typer.Option("--board", help='A board name or id; "none" for images on no board.')],
    out: Annotated[Path, typer.Option("--out", help="The folder (created when missing).")],
    as_json: JsonFlag = False,
) -> None:
    """Download every image of a board into a folder."""

    async def work(ivk: AsyncInvokeAI, view: ProgressView) -> Outcome:
        board_id = await _board_named(ivk, board, create=False)
        names = [image.image_name async for image in ivk.images.list(board=board_id, is_intermediate=False)]
        with view.running():
            view.bar("download", f"downloading {len(names)} image(s) to {out}", total=len(names))
            paths = [await _download(ivk, view, name, out) for name in names]
        return Outcome({"board_id": board_id, "downloaded": paths})

    _execute(ctx, work, as_json=as_json, show=lambda data: _print_lines(data["downloaded"]))


@images_app.command("push")
def images_push(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Image files.", exists=True, dir_okay=False)],
    board: Annotated[
        str | None, typer.Option("--board", help="Onto this board (by name; created when missing).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Upload image files, onto a board if given."""

    async def work(ivk: AsyncInvokeAI, view: ProgressView) -> Outcome:
        board_id = await _board_named(ivk, board, create=True) if board else None
        uploaded = []
        with view.running():
            view.bar("upload", f"uploading {len(files)} file(s)", total=len(files))
            for file in files:
                image = await ivk.images.upload(file, board=board_id)
                uploaded.append({"file": str(file), "image_name": image.image_name, "board_id": board_id})
                view.update("upload", advance=1)
        return Outcome(uploaded)

    _execute(
        ctx,
        work,
        as_json=as_json,
        show=lambda data: _print_lines([f"{u['file']} -> {u['image_name']}" for u in data]),
    )


# -- boards --------------------------------------------------------------------------------------


@boards_app.command("list")
def boards_list(
    ctx: typer.Context,
    include_archived: Annotated[bool, typer.Option("--archived", help="Archived boards too.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Every board, with its image count."""

    async def work(ivk: AsyncInvokeAI, view: ProgressView) -> Outcome:
        boards = [b.model_dump(mode="json") async for b in ivk.boards.list(include_archived=include_archived)]
        return Outcome(boards)

    def show(data: list[dict[str, Any]]) -> None:
        rows = [[b["board_name"], b["board_id"], b.get("image_count"), b.get("archived")] for b in data]
        _table("boards", ["name", "id", "images", "archived"], rows)

    _execute(ctx, work, as_json=as_json, show=show)


@boards_app.command("create")
def boards_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The new board's name.")],
    as_json: JsonFlag = False,
) -> None:
    """Create a board; print its id."""

    async def work(ivk: AsyncInvokeAI, view: ProgressView) -> Outcome:
        return Outcome((await ivk.boards.create(name)).model_dump(mode="json"))

    _execute(ctx, work, as_json=as_json, show=lambda data: print(data["board_id"]))


# -- models --------------------------------------------------------------------------------------


@models_app.command("list")
def models_list(
    ctx: typer.Context,
    base: Annotated[str | None, typer.Option("--base", help="sd-1, sdxl, flux, ...")] = None,
    type_: Annotated[str | None, typer.Option("--type", help="main, vae, lora, ...")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Installed models."""

    async def work(ivk: AsyncInvokeAI, view: ProgressView) -> Outcome:
        models = [m.model_dump(mode="json") async for m in ivk.models.list(base=base, type=type_)]
        return Outcome(models)

    def show(data: list[dict[str, Any]]) -> None:
        rows = [[m.get("name"), m.get("base"), m.get("type"), m.get("format"), m.get("key")] for m in data]
        _table("models", ["name", "base", "type", "format", "key"], rows)

    _execute(ctx, work, as_json=as_json, show=show)


@models_app.command("install")
def models_install(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="A path on the server, a URL or a Hugging Face repo id.")],
    inplace: Annotated[
        bool, typer.Option("--inplace/--copy", help="Use a local file where it is, or copy it in.")
    ] = True,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Stop waiting after this many seconds.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Install a model, with progress until it is installed."""

    async def work(ivk: AsyncInvokeAI, view: ProgressView) -> Outcome:
        job = await ivk.models.install(source, inplace=inplace)
        view.note(f"install job {job.id} for {source}")

        async def watch() -> None:
            while True:
                progress = await job.progress()
                view.update(
                    "install",
                    completed=progress.bytes,
                    total=progress.total_bytes or None,
                    text=f"install job {job.id}: {progress.status}",
                )
                await anyio.sleep(0.5)

        try:
            with view.running():
                view.bar("install", f"install job {job.id}", total=None)
                async with anyio.create_task_group() as group:
                    group.start_soon(watch)
                    result = await job.wait(wait_timeout=timeout)
                    group.cancel_scope.cancel()
        except (InstallFailedError, WaitTimeoutError):
            raise
        except BaseException:
            await _cancel_on_interrupt(job.cancel)
            raise
        model = result.model.model_dump(mode="json") if result.model is not None else None
        return Outcome({"job_id": job.id, "already_installed": result.already_installed, "model": model})

    def show(data: dict[str, Any]) -> None:
        model = data["model"] or {}
        state = "already installed" if data["already_installed"] else "installed"
        print(
            f"{state}: {model.get('name')} ({model.get('base')} {model.get('type')}) key {model.get('key')}"
        )

    _execute(ctx, work, as_json=as_json, show=show)


# -- workflows -----------------------------------------------------------------------------------


@workflows_app.command("list")
def workflows_list(
    ctx: typer.Context,
    category: Annotated[
        list[str] | None, typer.Option("--category", help="user, default, project. Repeatable.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The server's workflow library, and the workflows shipped with the SDK."""
    from ..workflows import bundled_workflows

    async def work(ivk: AsyncInvokeAI, view: ProgressView) -> Outcome:
        library = [w.model_dump(mode="json") async for w in ivk.workflows.list(categories=category)]
        shipped = [{"name": name, "path": str(path)} for name, path in bundled_workflows().items()]
        return Outcome({"library": library, "shipped": shipped})

    def show(data: dict[str, Any]) -> None:
        rows = [[w["name"], w["category"], w["workflow_id"]] for w in data["library"]]
        _table("library", ["name", "category", "id"], rows)
        _table(
            "shipped with the SDK (invokeai-sdk run NAME)", ["name"], [[w["name"]] for w in data["shipped"]]
        )

    _execute(ctx, work, as_json=as_json, show=show)


@workflows_app.command("export")
def workflows_export(
    ctx: typer.Context,
    workflow_id: Annotated[str, typer.Argument(help="The library id.")],
    out: Annotated[Path, typer.Argument(help="The JSON file to write (or a folder).")],
    as_json: JsonFlag = False,
) -> None:
    """Write a library workflow to a JSON file the GUI can load."""

    async def work(ivk: AsyncInvokeAI, view: ProgressView) -> Outcome:
        record = await ivk.workflows.get(workflow_id)
        target = out / f"{_safe_stem(record.name)}.json" if out.is_dir() else out
        await anyio.Path(target).write_text(json.dumps(record.workflow, indent=2) + "\n")
        return Outcome({"workflow_id": record.workflow_id, "name": record.name, "path": str(target)})

    _execute(ctx, work, as_json=as_json, show=lambda data: print(data["path"]))


def _safe_stem(name: str) -> str:
    stem = "".join(ch if ch.isalnum() or ch in "-_ ." else "_" for ch in name).strip(" .")
    return stem or "workflow"


@workflows_app.command("import")
def workflows_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A workflow JSON file (exported from the GUI).", exists=True)],
    as_json: JsonFlag = False,
) -> None:
    """Save a workflow file to the server's library; print its id."""

    async def work(ivk: AsyncInvokeAI, view: ProgressView) -> Outcome:
        document = await ivk.workflows.load(file)
        record = await ivk.workflows.create(document)
        return Outcome({"workflow_id": record.workflow_id, "name": record.name})

    _execute(ctx, work, as_json=as_json, show=lambda data: print(data["workflow_id"]))


# -- server --------------------------------------------------------------------------------------


@server_app.command("start")
def server_start(
    root: Annotated[
        str | None, typer.Option("--root", help="InvokeAI root folder (kept); default: a temporary one.")
    ] = None,
    port: Annotated[int, typer.Option("--port", help="Default: a free port.")] = 0,
    invokeai_web: Annotated[
        str | None, typer.Option("--invokeai-web", help="The invokeai-web executable to run.")
    ] = None,
    wait: Annotated[float, typer.Option("--wait", help="Seconds to wait for the API.")] = 240.0,
    as_json: JsonFlag = False,
) -> None:
    """Start a local InvokeAI server in the background; print its URL and root."""
    console = stderr_console()
    try:
        if not as_json:
            with console.status("starting invokeai-web ..."):
                server = _devserver.start(invokeai_web=invokeai_web, root=root, port=port, wait=wait)
        else:
            server = _devserver.start(invokeai_web=invokeai_web, root=root, port=port, wait=wait)
    except _devserver.DevServerError as exc:
        _fail(as_json, exc, str(exc), EXIT_USAGE if "No invokeai-web" in str(exc) else EXIT_FAILED)
    except (KeyboardInterrupt, asyncio.CancelledError):  # Ctrl-C: the loop cancelled the work
        _fail(as_json, None, "Interrupted; the server was stopped.", EXIT_INTERRUPTED)
    if as_json:
        print(
            json.dumps(
                {"base_url": server.base_url, "root": server.root, "pid": server.pid, "log": server.log}
            )
        )
        return
    print(f"export INVOKEAI_BASE_URL={server.base_url}")
    console.print(
        f"root {server.root} (pid {server.pid}); stop it with: invokeai-sdk server stop {server.root}"
    )


@server_app.command("stop")
def server_stop(
    root: Annotated[str, typer.Argument(help="The root printed by `server start`.")],
    as_json: JsonFlag = False,
) -> None:
    """Stop a server started by `server start` (and delete its temporary root)."""
    try:
        server = _devserver.stop(root)
    except _devserver.DevServerError as exc:
        _fail(as_json, exc, str(exc), EXIT_USAGE)
    if as_json:
        print(json.dumps({"stopped": server.pid, "root": server.root}))
    else:
        print(f"stopped {server.base_url} (pid {server.pid})")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
