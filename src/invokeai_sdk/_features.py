"""What a connected server supports, read once from its ``/openapi.json``."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ._compat import match_template, path_added_in
from ._errors import FeatureNotSupportedError

if TYPE_CHECKING:
    from ._invocation_schema import InvocationSchemas

__all__ = ["FEATURE_PATHS", "ServerFeatures"]

FEATURE_PATHS: Mapping[str, str] = {
    "auth": "/api/v1/auth/status",
    "boards": "/api/v1/boards/",
    "images": "/api/v1/images/",
    "bulk_download": "/api/v1/images/download",
    # Not "/api/v1/videos/": InvokeAI 6.8 had that prefix with another API (videos by id, no files).
    "videos": "/api/v1/videos/i/{video_name}/full",
    "gallery": "/api/v1/gallery/items/",
    "workflows": "/api/v1/workflows/",
    "style_presets": "/api/v1/style_presets/",
    "queue": "/api/v1/queue/{queue_id}/enqueue_batch",
    "queue_list_all": "/api/v1/queue/{queue_id}/list_all",
    "queue_item_ids": "/api/v1/queue/{queue_id}/item_ids",
    "queue_retry": "/api/v1/queue/{queue_id}/retry_items_by_id",
    "runtime_config": "/api/v1/app/runtime_config",
    "app_config": "/api/v1/app/config",
    "invocation_cache": "/api/v1/app/invocation_cache/status",
    "models": "/api/v2/models/",
    "model_install": "/api/v2/models/install",
    "hf_login": "/api/v2/models/hf_login",
    "starter_models": "/api/v2/models/starter_models",
    "model_stats": "/api/v2/models/stats",
    "models_missing": "/api/v2/models/missing",
    "model_by_hash": "/api/v2/models/get_by_hash",
    "model_bulk_delete": "/api/v2/models/i/bulk_delete",
    "model_reidentify": "/api/v2/models/i/{key}/reidentify",
    "model_install_pause": "/api/v2/models/install/{id}/pause",
    "custom_nodes": "/api/v2/custom_nodes/install",
    "runtime_config_update": "PATCH /api/v1/app/runtime_config",
    "generation_devices": "/api/v1/app/generation_device_options",
    "external_providers": "/api/v1/app/external_providers/status",
    "patchmatch": "/api/v1/app/patchmatch_status",
    "users": "/api/v1/auth/users",
    "profile_update": "PATCH /api/v1/auth/me",
    "generate_password": "/api/v1/auth/generate-password",
    "expand_prompt": "/api/v1/utilities/expand-prompt",
    "image_to_prompt": "/api/v1/utilities/image-to-prompt",
    "fonts": "/api/v1/utilities/fonts",
    "client_state": "/api/v1/client_state/{queue_id}/get_by_key",
    "client_state_keys": "/api/v1/client_state/{queue_id}/get_keys_by_prefix",
    "recall": "/api/v1/recall/{queue_id}",
    "system_prompts": "/api/v1/system_prompts/",
    "virtual_boards": "/api/v1/virtual_boards/by_date",
    "image_moves": "/api/v1/image_moves/status",
    "images_by_names": "/api/v1/images/images_by_names",
    "video_boards": "/api/v1/videos/board",
    "workflow_sharing": "/api/v1/workflows/i/{workflow_id}/is_public",
    "model_relationships": "/api/v1/model_relationships/i/{model_key}",
    "orphaned_models": "/api/v2/models/sync/orphaned",
    "model_bulk_reidentify": "/api/v2/models/i/bulk_reidentify",
    "model_install_restart": "/api/v2/models/install/{id}/restart_failed",
    "hf_repo_files": "/api/v2/models/hugging_face",
}
"""Named features and the path (or ``"METHOD path"``) whose presence proves each."""


class ServerFeatures:
    """The API surface of one server: its paths, operations and node types.

    ``supports("videos")`` tells whether a named feature (see :data:`FEATURE_PATHS`) is there;
    ``require("videos")`` raises :class:`FeatureNotSupportedError` when it is not.
    """

    def __init__(self, openapi: Mapping[str, Any], *, version: str | None = None) -> None:
        self.openapi = openapi
        self.version = version
        self.paths: frozenset[str] = frozenset(openapi.get("paths", {}))
        self.operations: frozenset[tuple[str, str]] = frozenset(
            (method.upper(), path)
            for path, item in openapi.get("paths", {}).items()
            for method in item
            if method in ("get", "put", "post", "delete", "patch", "head", "options")
        )

    @cached_property
    def invocations(self) -> InvocationSchemas:
        """The node types of this server with their field types."""
        from ._invocation_schema import InvocationSchemas  # loaded with the first schema check

        return InvocationSchemas(self.openapi)

    @property
    def invocation_types(self) -> frozenset[str]:
        """Every node (invocation) type the server can run."""
        return self.invocations.types

    def has_path(self, path: str) -> bool:
        """True when the server documents ``path``, a template like ``/api/v1/queue/{queue_id}/status``."""
        return path in self.paths

    def has_operation(self, method: str, path: str) -> bool:
        """True when the server documents ``METHOD path``."""
        return (method.upper(), path) in self.operations

    def supports(self, feature: str) -> bool:
        """True when the named feature is there (a name of :data:`FEATURE_PATHS`, or a path)."""
        path = FEATURE_PATHS.get(feature, feature)
        method, _, rest = path.partition(" ")
        if rest and method.isupper():
            return self.has_operation(method, rest)
        if path in self.paths:
            return True
        prefix = path.rstrip("/") + "/"
        return path.endswith("/") and any(p.startswith(prefix) for p in self.paths)

    def require(self, feature: str) -> None:
        """Raise :class:`FeatureNotSupportedError` unless :meth:`supports` the feature."""
        if not self.supports(feature):
            since = path_added_in(FEATURE_PATHS.get(feature, feature))
            raise FeatureNotSupportedError(feature, server_version=self.version, added_in=since)

    def template_of(self, method: str, path: str) -> str | None:
        """The documented template a concrete ``METHOD path`` matches (``None``: not documented)."""
        method = method.upper()
        return match_template(path, (p for m, p in self.operations if m == method))

    def has_invocation(self, node_type: str) -> bool:
        """True when the server can run nodes of ``node_type``."""
        return node_type in self.invocations

    def __repr__(self) -> str:
        return f"ServerFeatures(version={self.version!r}, paths={len(self.paths)})"
