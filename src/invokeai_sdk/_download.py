"""Atomic, constant-memory downloads to disk.

:func:`stream_to_file` writes a streamed response body into a temporary file next to the target and
renames it into place only once the whole body arrived: an error or a cancellation leaves neither a
half-written target nor a stray temporary file. :func:`resolve_target` turns a user's
"file or directory" argument plus a server-chosen file name into a path that can never leave the
directory the user named.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable
from email.message import Message
from pathlib import Path

from ._errors import ValidationError
from ._transport import StreamedResponse

__all__ = [
    "CHUNK_SIZE",
    "ProgressCallback",
    "content_disposition_filename",
    "names_directory",
    "precheck_target",
    "resolve_target",
    "safe_file_name",
    "stream_to_file",
]

CHUNK_SIZE = 256 * 1024
"""Bytes read from the network and written to disk per step."""

ProgressCallback = Callable[[int, "int | None"], object]
"""``on_progress(bytes_written, total_bytes)`` after each chunk; ``total_bytes`` is ``None`` when the
server did not announce a length."""

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")


def safe_file_name(name: str) -> str:
    """``name`` when it is a plain file name; raise :class:`ValidationError` for anything that is a path.

    Rejects empty names, ``.`` and ``..``, absolute paths, drive letters, path separators (``/`` and
    ``\\``) and control characters, so joining the result onto a directory stays inside it.
    """
    if not isinstance(name, str) or not name:
        raise ValidationError("A file name must be a non-empty string.")
    if name in (".", "..") or "/" in name or "\\" in name or _WINDOWS_DRIVE.match(name):
        raise ValidationError(f"Refusing the file name {name!r}: it is a path, not a plain file name.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise ValidationError(f"Refusing the file name {name!r}: it contains control characters.")
    return name


def content_disposition_filename(header: str | None) -> str | None:
    """The ``filename`` of a ``Content-Disposition`` header, if it has one (not yet checked for safety)."""
    if not header:
        return None
    message = Message()
    message["content-disposition"] = header
    filename = message.get_param("filename", header="content-disposition")
    if isinstance(filename, tuple):  # RFC 2231 (charset, language, value)
        filename = filename[2]
    return str(filename) if filename else None


def names_directory(path_or_dir: str | os.PathLike[str]) -> bool:
    """Whether ``path_or_dir`` names a directory: an existing one, or any path ending in a separator
    (``"out/"``), which is created when missing."""
    text = os.fspath(path_or_dir)
    separators = tuple(sep for sep in (os.sep, os.altsep, "/") if sep)
    return text.endswith(separators) or Path(text).is_dir()


def resolve_target(path_or_dir: str | os.PathLike[str], file_name: str) -> Path:
    """Where to write: ``path_or_dir/file_name`` when ``path_or_dir`` names a directory, else ``path_or_dir``.

    A directory is an existing one or a path ending in a separator (``"out/"``), created (with its
    parents) when missing. ``file_name`` comes from the server and is checked with
    :func:`safe_file_name`; the result is also checked to lie directly inside the directory. A file path
    chosen by the caller is used as given, but its directory must exist.
    """
    target = Path(path_or_dir)
    if names_directory(path_or_dir):
        if target.exists() and not target.is_dir():
            raise ValidationError(f"{str(target)!r} is a file, not a directory.")
        safe_file_name(file_name)
        target.mkdir(parents=True, exist_ok=True)
        directory = target.resolve()
        resolved = (directory / file_name).resolve()
        if resolved.parent != directory:
            raise ValidationError(f"Refusing to write {file_name!r} outside {str(directory)!r}.")
        return resolved
    if not target.parent.is_dir():
        raise ValidationError(f"The directory of {str(target)!r} does not exist.")
    return target


def precheck_target(path_or_dir: str | os.PathLike[str], file_name: str) -> None:
    """Refuse a bad ``file_name`` (or a file where a directory is meant) before anything is sent."""
    if names_directory(path_or_dir):
        target = Path(path_or_dir)
        if target.exists() and not target.is_dir():
            raise ValidationError(f"{str(target)!r} is a file, not a directory.")
        safe_file_name(file_name)
    elif not Path(path_or_dir).parent.is_dir():
        raise ValidationError(f"The directory of {str(path_or_dir)!r} does not exist.")


async def stream_to_file(
    response: StreamedResponse,
    target: Path,
    *,
    chunk_size: int = CHUNK_SIZE,
    verify: Callable[[Path], None] | None = None,
    on_progress: ProgressCallback | None = None,
) -> int:
    """Write the body of ``response`` to ``target`` atomically; return the number of bytes written.

    The body goes to a temporary file in ``target``'s directory (same file system, so the final
    ``os.replace`` is atomic). On any failure, cancellation included, the temporary file is removed
    and ``target`` is left as it was. ``verify`` may inspect the complete temporary file and raise to
    reject it (then nothing is written either). ``on_progress`` is called after every chunk.
    """
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    written = 0
    total = response.content_length
    try:
        with os.fdopen(fd, "wb") as handle:
            async for chunk in response.aiter_bytes(chunk_size):
                handle.write(chunk)
                written += len(chunk)
                if on_progress is not None:
                    on_progress(written, total)
        if verify is not None:
            verify(Path(temp_name))
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    return written
