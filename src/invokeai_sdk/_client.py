"""``AsyncInvokeAI``: one session with an InvokeAI server."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from ._base_client import DEFAULT_BASE_URL, BaseClient

if TYPE_CHECKING:
    from .events import EventsResource
    from .resources.app import AppResource
    from .resources.auth import AuthResource
    from .resources.boards import BoardsResource
    from .resources.client_state import ClientStateResource
    from .resources.custom_nodes import CustomNodesResource
    from .resources.gallery import GalleryResource
    from .resources.graphs import GraphsResource
    from .resources.image_moves import ImageMovesResource
    from .resources.images import ImagesResource
    from .resources.models import ModelsResource
    from .resources.queue import QueueResource
    from .resources.recall import RecallResource
    from .resources.style_presets import StylePresetsResource
    from .resources.system_prompts import SystemPromptsResource
    from .resources.utilities import UtilitiesResource
    from .resources.videos import VideosResource
    from .resources.workflows import WorkflowsResource

__all__ = ["DEFAULT_BASE_URL", "AsyncInvokeAI"]


class AsyncInvokeAI(BaseClient):
    """An async session with one InvokeAI server.

    ::

        async with AsyncInvokeAI("http://127.0.0.1:9090") as ivk:
            print(await ivk.app.version())

    Arguments left unset fall back to the environment: ``INVOKEAI_BASE_URL``, ``INVOKEAI_TOKEN``,
    ``INVOKEAI_EMAIL``, ``INVOKEAI_PASSWORD``; the default URL is ``http://127.0.0.1:9090``. A base URL
    with a path (a server behind a reverse proxy at ``https://host/invoke``) works for every call.

    On a multi-user server give ``token=``, or ``email=`` and ``password=``: the session then logs
    in on first use and again when the token expires. ``timeout`` is in seconds (connecting takes
    at most 10 of them) or an ``httpx.Timeout``; every method also takes its own ``timeout=``.

    The namespaces (``ivk.images``, ``ivk.queue``, ...) wrap the server's API; ``ivk.get/post/put/
    patch/delete/request/stream`` reach any endpoint with the same auth, retries and errors.
    """

    # -- namespaces --------------------------------------------------------------------------

    @cached_property
    def app(self) -> AppResource:
        """Server version, configuration, dependencies, invocation cache, health and features."""
        from .resources.app import AppResource

        return AppResource(self)

    @cached_property
    def auth(self) -> AuthResource:
        """Accounts on multi-user servers: status, login, logout, the current user."""
        from .resources.auth import AuthResource

        return AuthResource(self)

    @cached_property
    def boards(self) -> BoardsResource:
        """Boards: list, create, rename, archive, delete; move images on and off them."""
        from .resources.boards import BoardsResource

        return BoardsResource(self)

    @cached_property
    def images(self) -> ImagesResource:
        """Gallery images: upload, list, download, star, delete, bulk zip downloads."""
        from .resources.images import ImagesResource

        return ImagesResource(self)

    @cached_property
    def videos(self) -> VideosResource:
        """Gallery videos (servers with the videos API): upload, list, download, star, delete."""
        from .resources.videos import VideosResource

        return VideosResource(self)

    @cached_property
    def models(self) -> ModelsResource:
        """Installed models: discovery, install jobs, updates, deletion, Hugging Face login."""
        from .resources.models import ModelsResource

        return ModelsResource(self)

    @cached_property
    def workflows(self) -> WorkflowsResource:
        """The workflow library, and running GUI workflows from code (typed inputs, sweeps)."""
        from .resources.workflows import WorkflowsResource

        return WorkflowsResource(self)

    @cached_property
    def graphs(self) -> GraphsResource:
        """Graphs in code: the server's node types as callables, and the dry-run check of any graph."""
        from .resources.graphs import GraphsResource

        return GraphsResource(self)

    @cached_property
    def queue(self) -> QueueResource:
        """The session queue: enqueue graphs and batches (job handles), inspect, cancel, pause, retry."""
        from .resources.queue import QueueResource

        return QueueResource(self)

    @cached_property
    def events(self) -> EventsResource:
        """Live server events as typed streams (asyncio; one shared Socket.IO connection per session)."""
        from .events import EventsResource

        return EventsResource(self)

    @cached_property
    def gallery(self) -> GalleryResource:
        """Images and videos in one feed (the GUI's gallery), and the gallery's boards by date."""
        from .resources.gallery import GalleryResource

        return GalleryResource(self)

    @cached_property
    def style_presets(self) -> StylePresetsResource:
        """Style presets (prompt templates): create, update, delete, CSV/JSON import and export."""
        from .resources.style_presets import StylePresetsResource

        return StylePresetsResource(self)

    @cached_property
    def utilities(self) -> UtilitiesResource:
        """Dynamic prompts, LLM prompt expansion, image-to-prompt, user fonts."""
        from .resources.utilities import UtilitiesResource

        return UtilitiesResource(self)

    @cached_property
    def system_prompts(self) -> SystemPromptsResource:
        """Saved system prompts for the prompt-expansion LLM."""
        from .resources.system_prompts import SystemPromptsResource

        return SystemPromptsResource(self)

    @cached_property
    def recall(self) -> RecallResource:
        """Push generation parameters (prompt, model, steps, ...) into the open GUI."""
        from .resources.recall import RecallResource

        return RecallResource(self)

    @cached_property
    def client_state(self) -> ClientStateResource:
        """The per-user key/value store the GUI keeps its settings in."""
        from .resources.client_state import ClientStateResource

        return ClientStateResource(self)

    @cached_property
    def custom_nodes(self) -> CustomNodesResource:
        """Custom node packs: list, install from git, uninstall, reload."""
        from .resources.custom_nodes import CustomNodesResource

        return CustomNodesResource(self)

    @cached_property
    def image_moves(self) -> ImageMovesResource:
        """Moving image files into the configured subfolder layout (admin maintenance)."""
        from .resources.image_moves import ImageMovesResource

        return ImageMovesResource(self)
