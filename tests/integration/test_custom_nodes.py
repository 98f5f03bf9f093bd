"""``ivk.custom_nodes`` and ``ivk.image_moves`` on the real server (no network: installs fail in-band)."""

from __future__ import annotations

import anyio
import pytest

from invokeai_sdk import AsyncInvokeAI, ValidationError


async def test_list_install_failure_uninstall_and_reload(ivk: AsyncInvokeAI) -> None:
    packs = await ivk.custom_nodes.list()
    assert packs.node_packs == [] and packs.custom_nodes_path.endswith("nodes")

    # Nothing listens on port 1: the server's git clone fails and says so in the answer.
    failed = await ivk.custom_nodes.install("http://127.0.0.1:1/sdk-nodes.git")
    assert failed.name == "sdk-nodes" and not failed.success and "clone" in failed.message.lower()
    assert (await ivk.custom_nodes.list()).node_packs == []  # nothing half-installed

    missing = await ivk.custom_nodes.uninstall("sdk-nodes")
    assert missing.name == "sdk-nodes" and not missing.success and "not found" in missing.message

    reloaded = await ivk.custom_nodes.reload()
    assert "reloaded" in reloaded["status"]
    with pytest.raises(ValidationError, match="git URL"):
        await ivk.custom_nodes.install("")


async def test_image_move_status_of_a_flat_gallery(ivk: AsyncInvokeAI) -> None:
    status = await ivk.image_moves.status()
    assert not status.is_running and status.needs_move_count == 0 and status.active_job_id is None
    for action, operation in ((ivk.image_moves.start, "move_all"), (ivk.image_moves.recover, "recovery")):
        started = await action()
        assert started.operation in (operation, None)  # None: it already finished (nothing to move)
        with anyio.fail_after(60):
            while (await ivk.image_moves.status()).is_running:  # noqa: ASYNC110 - polling the server
                await anyio.sleep(0.1)
    assert (await ivk.image_moves.status()).last_error is None
