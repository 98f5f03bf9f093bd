"""Find the ```python blocks of Markdown files, and run a page's blocks in order in one session.

A block preceded by ``<!-- no-run: REASON -->`` is not run; the reason is reported. The blocks of a
page share one namespace, as in an async REPL (``python -m asyncio``) or a notebook: a bare ``await``
works, and names from earlier blocks on the page stay defined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RUNNER", "Block", "blocks_of"]

_FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w+-]*)[^\n]*$")
_NO_RUN = re.compile(r"<!--\s*no-run:\s*(?P<reason>.*?)\s*-->")


@dataclass(frozen=True)
class Block:
    """One fenced code block: where it is, its source, and why it is not run (if so)."""

    file: str
    line: int
    source: str
    no_run: str | None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def blocks_of(path: Path, root: Path) -> list[Block]:
    """The ```python blocks of ``path`` (named relative to ``root``), in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    name = path.relative_to(root).as_posix()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        indent, lang, start = match["indent"], match["lang"], index
        index += 1
        body: list[str] = []
        while index < len(lines) and lines[index].strip() != "```":
            body.append(lines[index][len(indent) :] if lines[index].startswith(indent) else lines[index])
            index += 1
        index += 1
        if lang != "python":
            continue
        previous = next((lines[i] for i in range(start - 1, -1, -1) if lines[i].strip()), "")
        reason = _NO_RUN.search(previous)
        found.append(Block(name, start + 1, "\n".join(body) + "\n", reason["reason"] if reason else None))
    return found


RUNNER = r"""
import ast, asyncio, json, sys, traceback

blocks = json.loads(sys.stdin.read())
namespace = {"__name__": "__main__"}
loop = asyncio.new_event_loop()
status = 0
for block in blocks:
    print(f"--- running {block['where']}", flush=True)
    try:
        code = compile(block["source"], block["where"], "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        result = eval(code, namespace)
        if asyncio.iscoroutine(result):  # the block has a bare await: run it on the page's loop
            loop.run_until_complete(result)
    except BaseException:
        traceback.print_exc()
        print(f"FAILED: the block at {block['where']}", file=sys.stderr, flush=True)
        status = 1
        break
loop.run_until_complete(loop.shutdown_asyncgens())
loop.close()
sys.exit(status)
"""
"""Runs the blocks given as JSON on stdin in one namespace; exits 1 at the first failing block."""
