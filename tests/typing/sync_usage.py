"""Type-checked (never run) usage of the sync API: mypy --strict must accept it as written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from invokeai_sdk import (
    InvokeAI,
    ServerFeatures,
    SyncBatchHandle,
    SyncEventStream,
    SyncInstallJob,
    SyncJobHandle,
    SyncPage,
    SyncPaginator,
)
from invokeai_sdk.events import Event
from invokeai_sdk.types import AppVersion, CacheStatus, HealthReport
from invokeai_sdk.types.boards import BoardDTO
from invokeai_sdk.types.images import ImageDTO
from invokeai_sdk.types.models import BaseModelType, HFTokenStatus, ModelConfig, ModelType


def tour() -> None:
    with InvokeAI("http://127.0.0.1:9090", timeout=30) as ivk:
        version: AppVersion = ivk.app.version()
        newer: bool = version >= "6.12"
        features: ServerFeatures = ivk.app.features()
        has_videos: bool = features.supports("videos")
        fast: InvokeAI = ivk.with_options(max_retries=0)
        cache: CacheStatus = fast.app.cache_status()
        health: HealthReport = ivk.app.health()
        print(newer, has_videos, cache.enabled, health.ok)

        token: HFTokenStatus | str = ivk.models.hf.status()
        after_login: HFTokenStatus | str = ivk.models.hf.login("hf_token")
        vae: ModelConfig = ivk.models.get_by_attrs("sdxl-vae", BaseModelType.SDXL, ModelType.VAE)
        install: SyncInstallJob = ivk.models.install("/models/tiny.safetensors", inplace=True)
        settled: Literal["event", "poll"] | None = install.settled_by
        print(token, after_login, ivk.models.hf.logout(), vae.key, settled)

        listing: SyncPaginator[ImageDTO] = ivk.images.list(limit=50)
        page: SyncPage[ImageDTO] = listing.first_page()
        first: ImageDTO = page[0]
        names: list[str] = [image.image_name for image in listing]
        pages: Iterator[SyncPage[ImageDTO]] = page.iter_pages()
        everything: list[ImageDTO] = listing.to_list()
        board: BoardDTO = ivk.boards.create("typed")
        print(first, names, pages, everything, board.board_id)

        batch: SyncBatchHandle = ivk.queue.enqueue({"nodes": {}, "edges": []})
        job: SyncJobHandle = batch.jobs[0]
        status: str = job.wait(wait_timeout=60)
        statuses: list[str] = batch.wait(wait_timeout=60)
        print(status, statuses)

        with ivk.events.subscribe(queue_id="default") as stream:
            typed: SyncEventStream = stream
            for event in typed:
                received: Event = event
                print(received.event_name)
    ivk.close()
