"""Type-checked (never run) usage of the namespaces that complete the 6.14 API, async and sync."""

from __future__ import annotations

from invokeai_sdk import AsyncInvokeAI, InvokeAI
from invokeai_sdk.types.app import ImageMoveStatus, User
from invokeai_sdk.types.custom_nodes import NodePacks
from invokeai_sdk.types.gallery import DateBoard, GalleryItem, GalleryItemNames
from invokeai_sdk.types.style_presets import StylePreset
from invokeai_sdk.types.system_prompts import SystemPrompt
from invokeai_sdk.types.utilities import DynamicPrompts, ExpandedPrompt


async def tour() -> None:
    async with AsyncInvokeAI() as ivk:
        preset: StylePreset = await ivk.style_presets.create("Noir", "{prompt}, film noir", "color")
        csv_text: str = await ivk.style_presets.export()
        await ivk.style_presets.import_presets([{"name": "x", "prompt": "{prompt}"}])
        variants: DynamicPrompts = await ivk.utilities.dynamic_prompts("a {red|blue} car")
        expanded: ExpandedPrompt = await ivk.utilities.expand_prompt("a cat", "llm-key", seed=1)
        prompts: list[SystemPrompt] = await ivk.system_prompts.list()
        value: str | None = await ivk.client_state.get("key")
        summary: dict[str, object] = await ivk.recall.set(positive_prompt="a lighthouse", steps=20)
        items: list[GalleryItem] = [item async for item in ivk.gallery.list(limit=50)]
        days: list[DateBoard] = await ivk.gallery.dates()
        packs: NodePacks = await ivk.custom_nodes.list()
        moves: ImageMoveStatus = await ivk.image_moves.status()
        users: list[User] = await ivk.auth.users.list()
        related: list[str] = await ivk.models.relationships.list("model-key")
        print(preset.positive_prompt, csv_text, variants.prompts, expanded.seed, prompts, value, summary)
        print(items, days, packs.node_packs, moves.needs_move_count, users, related)


def sync_tour() -> None:
    with InvokeAI() as ivk:
        presets: list[StylePreset] = ivk.style_presets.list()
        names: GalleryItemNames = ivk.gallery.names(order="asc")
        keys: list[str] = ivk.client_state.keys("prefix")
        user: User = ivk.auth.users.create("a@example.com", ivk.auth.generate_password())
        print(presets, names.item_names, keys, user.user_id)
