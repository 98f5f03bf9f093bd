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
    from .resources.images import ImagesResource
    from .resources.models import ModelsResource
    from .resources.queue import QueueResource
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
    def queue(self) -> QueueResource:
        """The session queue: enqueue graphs and batches (job handles), inspect, cancel, pause, retry."""
        from .resources.queue import QueueResource

        return QueueResource(self)

    @cached_property
    def events(self) -> EventsResource:
        """Live server events as typed streams (asyncio; one shared Socket.IO connection per session)."""
        from .events import EventsResource

        return EventsResource(self)
