"""Which InvokeAI release has which route: the one table the SDK chooses routes and explains gaps from.

Measured from the ``/openapi.json`` of every release the SDK is tested against (5.15.0, 6.3.0, 6.8.1,
6.11.1, 6.12.0, 6.13.8, 6.14.2). The connected server's own document decides what is sent
(:meth:`ServerFeatures.has_operation`); this table only names, in an error, the release that brought
a missing route. Routes every tested release has are not listed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

__all__ = [
    "TESTED_RELEASES",
    "ROUTE_ADDED_IN",
    "ROUTE_REMOVED_IN",
    "QUIRKS",
    "added_in",
    "match_template",
    "path_added_in",
    "varying_route",
    "version_in",
]

TESTED_RELEASES = ("5.15.0", "6.3.0", "6.8.1", "6.11.1", "6.12.0", "6.13.8", "6.14.2")

ROUTE_ADDED_IN: Mapping[tuple[str, str], str] = {
    ("GET", "/api/v1/app/external_providers/config"): "6.13.8",
    ("DELETE", "/api/v1/app/external_providers/config/{provider_id}"): "6.13.8",
    ("POST", "/api/v1/app/external_providers/config/{provider_id}"): "6.13.8",
    ("GET", "/api/v1/app/external_providers/status"): "6.13.8",
    ("GET", "/api/v1/app/generation_device_options"): "6.14.2",
    ("GET", "/api/v1/app/patchmatch_status"): "6.11.1",
    ("PATCH", "/api/v1/app/runtime_config"): "6.13.8",
    ("GET", "/api/v1/auth/generate-password"): "6.12.0",
    ("POST", "/api/v1/auth/login"): "6.12.0",
    ("POST", "/api/v1/auth/logout"): "6.12.0",
    ("GET", "/api/v1/auth/me"): "6.12.0",
    ("PATCH", "/api/v1/auth/me"): "6.12.0",
    ("POST", "/api/v1/auth/media-cookie"): "6.14.2",
    ("POST", "/api/v1/auth/setup"): "6.12.0",
    ("GET", "/api/v1/auth/status"): "6.12.0",
    ("GET", "/api/v1/auth/users"): "6.12.0",
    ("POST", "/api/v1/auth/users"): "6.12.0",
    ("DELETE", "/api/v1/auth/users/{user_id}"): "6.12.0",
    ("GET", "/api/v1/auth/users/{user_id}"): "6.12.0",
    ("PATCH", "/api/v1/auth/users/{user_id}"): "6.12.0",
    ("POST", "/api/v1/client_state/{queue_id}/delete"): "6.3.0",
    ("POST", "/api/v1/client_state/{queue_id}/delete_by_key"): "6.13.8",
    ("GET", "/api/v1/client_state/{queue_id}/get_by_key"): "6.3.0",
    ("GET", "/api/v1/client_state/{queue_id}/get_keys_by_prefix"): "6.13.8",
    ("POST", "/api/v1/client_state/{queue_id}/set_by_key"): "6.3.0",
    ("GET", "/api/v1/gallery/item_names"): "6.14.2",
    ("GET", "/api/v1/gallery/items/"): "6.14.2",
    ("GET", "/api/v1/gallery/items/names"): "6.14.2",
    ("POST", "/api/v1/image_moves/recover"): "6.14.2",
    ("POST", "/api/v1/image_moves/start"): "6.14.2",
    ("GET", "/api/v1/image_moves/status"): "6.14.2",
    ("POST", "/api/v1/images/images_by_names"): "6.3.0",
    ("GET", "/api/v1/images/names"): "6.3.0",
    ("DELETE", "/api/v1/queue/{queue_id}/d/{destination}"): "6.3.0",
    ("PUT", "/api/v1/queue/{queue_id}/delete_all_except_current"): "6.3.0",
    ("DELETE", "/api/v1/queue/{queue_id}/i/{item_id}"): "6.3.0",
    ("GET", "/api/v1/queue/{queue_id}/item_ids"): "6.8.1",
    ("POST", "/api/v1/queue/{queue_id}/item_summaries_by_ids"): "6.14.2",
    ("POST", "/api/v1/queue/{queue_id}/items_by_ids"): "6.8.1",
    ("GET", "/api/v1/queue/{queue_id}/list_all"): "6.3.0",
    ("GET", "/api/v1/recall/{queue_id}"): "6.12.0",
    ("POST", "/api/v1/recall/{queue_id}"): "6.12.0",
    ("GET", "/api/v1/system_prompts/"): "6.14.2",
    ("POST", "/api/v1/system_prompts/"): "6.14.2",
    ("DELETE", "/api/v1/system_prompts/i/{system_prompt_id}"): "6.14.2",
    ("GET", "/api/v1/system_prompts/i/{system_prompt_id}"): "6.14.2",
    ("PATCH", "/api/v1/system_prompts/i/{system_prompt_id}"): "6.14.2",
    ("POST", "/api/v1/utilities/expand-prompt"): "6.13.8",
    ("GET", "/api/v1/utilities/fonts"): "6.14.2",
    ("GET", "/api/v1/utilities/fonts/{font_path}"): "6.14.2",
    ("POST", "/api/v1/utilities/image-to-prompt"): "6.13.8",
    ("DELETE", "/api/v1/videos/board"): "6.14.2",
    ("POST", "/api/v1/videos/board"): "6.14.2",
    ("DELETE", "/api/v1/videos/i/{video_name}"): "6.14.2",
    ("GET", "/api/v1/videos/i/{video_name}"): "6.14.2",
    ("PATCH", "/api/v1/videos/i/{video_name}"): "6.14.2",
    ("GET", "/api/v1/videos/i/{video_name}/full"): "6.14.2",
    ("GET", "/api/v1/videos/i/{video_name}/metadata"): "6.14.2",
    ("GET", "/api/v1/videos/i/{video_name}/thumbnail"): "6.14.2",
    ("GET", "/api/v1/videos/i/{video_name}/urls"): "6.14.2",
    ("GET", "/api/v1/videos/i/{video_name}/workflow"): "6.14.2",
    ("GET", "/api/v1/videos/names"): "6.14.2",
    ("POST", "/api/v1/videos/upload"): "6.14.2",
    ("GET", "/api/v1/virtual_boards/by_date"): "6.13.8",
    ("GET", "/api/v1/virtual_boards/by_date/{date}/image_names"): "6.13.8",
    ("GET", "/api/v1/virtual_boards/by_date/{date}/item_names"): "6.14.2",
    ("PATCH", "/api/v1/workflows/i/{workflow_id}/is_public"): "6.13.8",
    ("GET", "/api/v1/workflows/tags"): "6.11.1",
    ("GET", "/api/v2/custom_nodes/"): "6.13.8",
    ("POST", "/api/v2/custom_nodes/install"): "6.13.8",
    ("POST", "/api/v2/custom_nodes/reload"): "6.13.8",
    ("DELETE", "/api/v2/custom_nodes/{pack_name}"): "6.13.8",
    ("GET", "/api/v2/models/get_by_hash"): "6.12.0",
    ("POST", "/api/v2/models/i/bulk_delete"): "6.11.1",
    ("POST", "/api/v2/models/i/bulk_reidentify"): "6.13.8",
    ("POST", "/api/v2/models/i/{key}/reidentify"): "6.11.1",
    ("POST", "/api/v2/models/install/{id}/pause"): "6.12.0",
    ("POST", "/api/v2/models/install/{id}/restart_failed"): "6.12.0",
    ("POST", "/api/v2/models/install/{id}/restart_file"): "6.12.0",
    ("POST", "/api/v2/models/install/{id}/resume"): "6.12.0",
    ("GET", "/api/v2/models/missing"): "6.12.0",
    ("DELETE", "/api/v2/models/sync/orphaned"): "6.12.0",
    ("GET", "/api/v2/models/sync/orphaned"): "6.12.0",
    # 6.8.1 had a different video API under the same prefix; the SDK speaks the 6.14 one.
    ("GET", "/api/v1/videos/"): "6.14.2",
    ("POST", "/api/v1/videos/delete"): "6.14.2",
    ("POST", "/api/v1/videos/star"): "6.14.2",
    ("DELETE", "/api/v1/videos/uncategorized"): "6.14.2",
    ("POST", "/api/v1/videos/unstar"): "6.14.2",
}
"""``(METHOD, path template)`` -> the first tested release that has the route."""

ROUTE_REMOVED_IN: Mapping[tuple[str, str], tuple[str, str]] = {
    ("GET", "/api/v1/app/config"): ("5.15.0", "6.11.1"),
    ("POST", "/api/v1/board_videos/batch"): ("6.8.1", "6.11.1"),
    ("POST", "/api/v1/board_videos/batch/delete"): ("6.8.1", "6.11.1"),
    ("GET", "/api/v1/download_queue/"): ("5.15.0", "6.13.8"),
    ("PATCH", "/api/v1/download_queue/"): ("5.15.0", "6.13.8"),
    ("DELETE", "/api/v1/download_queue/i"): ("5.15.0", "6.13.8"),
    ("POST", "/api/v1/download_queue/i/"): ("5.15.0", "6.13.8"),
    ("DELETE", "/api/v1/download_queue/i/{id}"): ("5.15.0", "6.13.8"),
    ("GET", "/api/v1/download_queue/i/{id}"): ("5.15.0", "6.13.8"),
    ("GET", "/api/v1/queue/{queue_id}/list"): ("5.15.0", "6.8.1"),
    ("GET", "/api/v1/videos/i/{video_id}"): ("6.8.1", "6.11.1"),
    ("PATCH", "/api/v1/videos/i/{video_id}"): ("6.8.1", "6.11.1"),
    ("GET", "/api/v1/videos/ids"): ("6.8.1", "6.11.1"),
    ("POST", "/api/v1/videos/videos_by_ids"): ("6.8.1", "6.11.1"),
}
"""``(METHOD, path template)`` -> (first tested release with it, first tested release without it)."""

_VARYING: Mapping[str, tuple[str, ...]] = {
    method: tuple(sorted({t for m, t in [*ROUTE_ADDED_IN, *ROUTE_REMOVED_IN] if m == method}))
    for method in {m for m, _ in [*ROUTE_ADDED_IN, *ROUTE_REMOVED_IN]}
}

QUIRKS: Mapping[str, tuple[str, str]] = {
    # POST /boards/ answers 500 "Failed to create board" yet creates the board (an upstream bug).
    "board_create_500": ("6.10.0", "6.12.0"),
}
"""Known server bugs the SDK works around: name -> [first affected release, first fixed release)."""


def _key(version: str) -> tuple[int, ...]:
    parts: list[int] = []
    for part in version.split(".")[:3]:
        digits = re.match(r"\d+", part)
        parts.append(int(digits.group()) if digits else 0)
    return tuple(parts)


def version_in(version: str | None, span: tuple[str, str]) -> bool:
    """True when ``version`` lies in ``[span[0], span[1])`` (False for an unknown version)."""
    if not version:
        return False
    return _key(span[0]) <= _key(version) < _key(span[1])


def added_in(method: str, template: str) -> str | None:
    """The first tested release with ``METHOD template`` (``None``: every tested release has it)."""
    key = (method.upper(), template)
    if key in ROUTE_ADDED_IN:
        return ROUTE_ADDED_IN[key]
    if key in ROUTE_REMOVED_IN:
        return ROUTE_REMOVED_IN[key][0]
    return None


def path_added_in(path: str) -> str | None:
    """The first tested release with ``path`` (any method), or with a route below it when it ends in ``/``."""
    prefix = path.rstrip("/") + "/" if path.endswith("/") else None
    found = [
        since
        for (_, template), since in ROUTE_ADDED_IN.items()
        if template == path or (prefix is not None and template.startswith(prefix))
    ]
    return min(found, key=_key) if found else None


def varying_route(method: str, path: str) -> str | None:
    """The template of a route some tested release lacks that ``METHOD path`` was sent to, else ``None``."""
    return match_template(path, _VARYING.get(method.upper(), ()))


@lru_cache(maxsize=256)
def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$")


def match_template(path: str, templates: Iterable[str]) -> str | None:
    """The template (``/api/v1/images/i/{image_name}``) a concrete path matches, or ``None``."""
    path = path.split("?", 1)[0]
    for template in templates:
        if template == path or ("{" in template and _pattern(template).match(path)):
            return template
    return None
