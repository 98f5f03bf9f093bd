"""``ivk.style_presets``: saved prompt templates (the GUI's style presets), CSV/JSON import and export."""

from __future__ import annotations

import builtins
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import anyio

from .._errors import ValidationError
from .._resource import AsyncAPIResource
from .._types import NOT_GIVEN, NotGiven, TimeoutArg
from ..types.style_presets import StylePreset, StylePresetType
from ._paths import id_path
from ._uploads import UploadSource, image_part

__all__ = ["StylePresetsResource"]

_PREFIX = "/api/v1/style_presets"


def _preset_path(preset_id: str | StylePreset, suffix: str = "") -> str:
    value = preset_id.id if isinstance(preset_id, StylePreset) else preset_id
    return id_path(f"{_PREFIX}/i", value, "style preset id", suffix)


def _form(name: str, positive: str, negative: str, kind: str, is_public: bool) -> dict[str, str]:
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("A style preset needs a non-empty name.")
    if kind not in ("user", "default"):
        raise ValidationError(f"A style preset type is 'user' or 'default', got {kind!r}.")
    for label, value in (("positive_prompt", positive), ("negative_prompt", negative)):
        if not isinstance(value, str):
            raise ValidationError(f"{label} must be a string, got {type(value).__name__}.")
    data = {
        "name": name,
        "positive_prompt": positive,
        "negative_prompt": negative,
        "type": kind,
        "is_public": bool(is_public),
    }
    return {"data": json.dumps(data)}


class StylePresetsResource(AsyncAPIResource):
    """Style presets: prompt templates with ``{prompt}`` standing for the prompt typed in the GUI."""

    async def list(self, *, timeout: TimeoutArg = NOT_GIVEN) -> builtins.list[StylePreset]:
        """Every preset this user can see (their own, public ones and the defaults shipped with InvokeAI)."""
        await self._require("style_presets")
        return await self._parsed(builtins.list[StylePreset], "GET", f"{_PREFIX}/", timeout=timeout)

    async def get(self, preset_id: str | StylePreset, *, timeout: TimeoutArg = NOT_GIVEN) -> StylePreset:
        """One preset; :class:`NotFoundError` when there is none with this id."""
        await self._require("style_presets")
        return await self._parsed(StylePreset, "GET", _preset_path(preset_id), timeout=timeout)

    async def create(
        self,
        name: str,
        positive_prompt: str,
        negative_prompt: str = "",
        *,
        type: StylePresetType = "user",
        is_public: bool = False,
        image: UploadSource | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> StylePreset:
        """Create a preset; ``image`` (path, bytes, file or PIL image) is its preview picture.

        ``type="default"`` makes a shipped-catalog preset and needs an admin on multi-user servers.
        """
        await self._require("style_presets")
        form = _form(name, positive_prompt, negative_prompt, type, is_public)
        files = {"image": await image_part(image, default_name="preset.png")} if image is not None else None
        return await self._parsed(
            StylePreset, "POST", f"{_PREFIX}/", data=form, files=files, timeout=timeout, max_retries=0
        )

    async def update(
        self,
        preset_id: str | StylePreset,
        *,
        name: str | None = None,
        positive_prompt: str | None = None,
        negative_prompt: str | None = None,
        type: StylePresetType | None = None,
        is_public: bool | None = None,
        image: UploadSource | None | NotGiven = NOT_GIVEN,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> StylePreset:
        """Change the fields given; the others keep their values.

        The server replaces a preset as a whole (and drops its picture unless one is sent), so the SDK
        reads the preset first and sends its current picture back. ``image=None`` removes the picture.
        """
        await self._require("style_presets")
        current = await self.get(preset_id, timeout=timeout)
        form = _form(
            current.name if name is None else name,
            current.positive_prompt if positive_prompt is None else positive_prompt,
            current.negative_prompt if negative_prompt is None else negative_prompt,
            current.type if type is None else type,
            current.is_public if is_public is None else is_public,
        )
        files: dict[str, tuple[str, bytes, str]] | None = None
        if isinstance(image, NotGiven):
            if current.image:
                data = await self.image(current.id, timeout=timeout)  # stored as WebP, served as "png"
                files = {"image": await image_part(data, default_name="preset")}
        elif image is not None:
            files = {"image": await image_part(image, default_name="preset.png")}
        return await self._parsed(
            StylePreset,
            "PATCH",
            _preset_path(current.id),
            data=form,
            files=files,
            timeout=timeout,
            max_retries=0,
        )

    async def delete(self, preset_id: str | StylePreset, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Delete a preset and its picture."""
        await self._require("style_presets")
        await self._request("DELETE", _preset_path(preset_id), timeout=timeout)

    async def image(self, preset_id: str | StylePreset, *, timeout: TimeoutArg = NOT_GIVEN) -> bytes:
        """The preset's preview picture (PNG bytes); :class:`NotFoundError` when it has none."""
        await self._require("style_presets")
        return await self._file(
            _preset_path(preset_id, "/image"), "picture for this style preset", timeout=timeout
        )

    async def export(self, *, timeout: TimeoutArg = NOT_GIVEN) -> str:
        """The user-made presets as CSV text (columns ``name,prompt,negative_prompt``; admin only).

        The text is what :meth:`import_presets` reads back.
        """
        await self._require("style_presets")
        response = await self._request("GET", f"{_PREFIX}/export", timeout=timeout)
        return response.content.decode("utf-8-sig")

    async def import_presets(
        self,
        source: str | os.PathLike[str] | bytes | Iterable[Mapping[str, Any]],
        *,
        format: str | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> None:
        """Create user presets from a CSV or JSON file (admin only), like the GUI's import.

        ``source`` is a path (``.csv`` or ``.json``), the file's bytes (give ``format="csv"`` or
        ``"json"``), or rows as dicts with ``name``, ``prompt`` (or ``positive_prompt``) and
        ``negative_prompt``. A file the server cannot read raises :class:`BadRequestError`.
        """
        await self._require("style_presets")
        if isinstance(source, str | os.PathLike):
            path = Path(source)
            format = format or path.suffix.lstrip(".").lower()
            try:
                data = await anyio.Path(path).read_bytes()
            except OSError as exc:
                raise ValidationError(f"Cannot read {str(path)!r}: {exc.strerror or exc}") from exc
            file_name = path.name
        elif isinstance(source, bytes | bytearray):
            data, file_name = bytes(source), f"presets.{format}"
        else:
            rows = [dict(row) for row in source]
            data, format, file_name = json.dumps(rows).encode(), "json", "presets.json"
        if format not in ("csv", "json"):
            raise ValidationError(f"Style presets are imported from CSV or JSON, got format {format!r}.")
        content_type = "text/csv" if format == "csv" else "application/json"
        await self._request(
            "POST",
            f"{_PREFIX}/import",
            files={"file": (file_name, data, content_type)},
            timeout=timeout,
            max_retries=0,
        )
