"""Secrets never reach a log: a filter on the SDK's loggers and on those of the libraries it drives.

httpcore at DEBUG logs response headers (``x-refreshed-token``, ``set-cookie: invokeai_media_token=``),
engineio at INFO logs the Socket.IO auth packet (``{"token": ...}``). :func:`install` puts
:class:`RedactSecrets` on each of those loggers (once per process): it masks every JSON Web Token,
every ``Bearer`` credential, and the tokens and passwords the live sessions hold. The filter only
runs for records a logger really emits, so it costs nothing while logging is off.
"""

from __future__ import annotations

import logging
import re
import threading
import weakref
from typing import Protocol

__all__ = ["LOGGERS", "RedactSecrets", "install", "redact", "register"]

LOGGERS = (
    "invokeai_sdk",
    "invokeai_sdk.events",
    "invokeai_sdk.jobs",
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "hpack",
    "hpack.hpack",
    "engineio",
    "engineio.client",
    "socketio",
    "socketio.client",
    "aiohttp",
    "aiohttp.client",
    "aiohttp.websocket",
)
"""Loggers that may see a secret. A logger filter only sees records of that very logger, not of its
children, hence the explicit list."""

MASK = "***"
_PATTERNS = (
    re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),  # a JSON Web Token
    re.compile(r"(?i)(bearer\s+)[^\s'\",;]+"),
    re.compile(r"(?i)(invokeai_media_token=)[^\s'\",;]+"),
    # a header as httpcore logs it, (b'x-refreshed-token', b'...'), or as text, x-refreshed-token: ...
    re.compile(r"(?i)(x-refreshed-token['\"]?\s*[:,]\s*b?['\"]?)[^\s'\",;)]+"),
    # "token" / "password" / "access_token" keys of JSON or dict text (the Socket.IO auth packet)
    re.compile(r"(?i)([\"'](?:token|access_token|password)[\"']\s*:\s*[\"'])[^\"']+"),
)


class _HasSecrets(Protocol):
    token: str | None
    password: str | None


_holders: weakref.WeakSet[_HasSecrets] = weakref.WeakSet()
_installed = False
_lock = threading.Lock()


def register(holder: _HasSecrets) -> None:
    """Mask ``holder.token`` and ``holder.password`` (as they are when a record is logged) in logs."""
    _holders.add(holder)
    install()


def install() -> None:
    """Put the filter on every logger of :data:`LOGGERS` (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        redact = RedactSecrets()
        for name in LOGGERS:
            logging.getLogger(name).addFilter(redact)
        _installed = True


def redact(text: str) -> str:
    """``text`` with every secret the SDK knows of, and anything shaped like a token, masked."""
    for holder in list(_holders):
        for secret in (holder.token, holder.password):
            if secret and len(secret) >= 4 and secret in text:
                text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
    return text


class RedactSecrets(logging.Filter):
    """Rewrites a record whose message holds a secret; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error handling
            return True
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
