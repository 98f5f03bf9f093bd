"""The ``invokeai-sdk`` command line (``pip install 'invokeai-sdk[cli]'``; also ``python -m invokeai_sdk``).

Built on typer and rich, which only this package imports: the SDK itself never loads them.
Exit codes: 0 done, 1 a job or request failed, 2 a usage error or bad input, 3 the server could not
be reached, 130 interrupted (Ctrl-C cancels what the command enqueued).
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> None:
    """Entry point of the console script: run the command line, or say which extra it needs."""
    try:
        from ._app import app
    except ModuleNotFoundError as exc:  # typer or rich missing: the [cli] extra is not installed
        if exc.name not in ("typer", "rich"):
            raise
        print(
            f"invokeai-sdk: the command line needs {exc.name}: pip install 'invokeai-sdk[cli]'",
            file=sys.stderr,
        )
        raise SystemExit(2) from None
    app()
