"""Fakes shared by unit tests."""

from __future__ import annotations

from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

__all__ = ["FakeStream"]


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
