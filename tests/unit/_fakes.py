"""Fakes shared by unit tests."""

from __future__ import annotations

from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from invokeai_sdk._features import FEATURE_PATHS

__all__ = ["FakeStream", "openapi"]


class FakeStream:
    """Stands in for the session's EventStream: the test pushes events into it; ``receive()`` raises
    ``StopAsyncIteration`` once closed."""

    def __init__(self) -> None:
        self.send: MemoryObjectSendStream[Any]
        self._receive: MemoryObjectReceiveStream[Any]
        self.send, self._receive = anyio.create_memory_object_stream[Any](16)

    async def receive(self) -> Any:
        try:
            return await self._receive.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    def close(self) -> None:
        self.send.close()
        self._receive.close()


def openapi(*features: str) -> dict[str, Any]:
    """An OpenAPI document with the operations that prove ``features``."""
    paths: dict[str, dict[str, Any]] = {}
    for feature in features:
        method, _, path = FEATURE_PATHS[feature].rpartition(" ")
        paths.setdefault(path, {})[(method or "get").lower()] = {}
    return {"openapi": "3.1.0", "paths": paths}
