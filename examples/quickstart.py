"""Quickstart: connect to an InvokeAI server and look around.

Run it with ``nox -s demo`` (starts a local server unless ``INVOKEAI_BASE_URL`` is set), or directly:
``INVOKEAI_BASE_URL=http://127.0.0.1:9090 python examples/quickstart.py``.
"""

from __future__ import annotations

import anyio

from invokeai_sdk import AsyncInvokeAI


async def main() -> None:
    async with AsyncInvokeAI() as ivk:  # INVOKEAI_BASE_URL, else http://127.0.0.1:9090
        health = await ivk.app.health()
        print(f"server {ivk.base_url}: ok={health.ok} version={health.version} ({health.latency_ms:.0f} ms)")
        features = await ivk.app.features()
        print(f"  {len(features.paths)} API paths, {len(features.invocation_types)} node types")
        auth = await ivk.auth.status()
        print(f"  multi-user: {auth.multiuser_enabled}")
        cache = await ivk.app.cache_status()
        print(f"  invocation cache: enabled={cache.enabled} size={cache.size}/{cache.max_size}")


if __name__ == "__main__":
    anyio.run(main)
