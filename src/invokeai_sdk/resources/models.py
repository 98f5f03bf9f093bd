"""``ivk.models``: the model manager: discovery, install jobs, updates, deletion, Hugging Face login."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import httpx
import pydantic

from .._errors import (
    APIResponseValidationError,
    APIStatusError,
    ConflictError,
    InvalidModelSourceError,
    ValidationError,
)
from .._models import ResponseModel
from .._pagination import AsyncPage, AsyncPaginator
from .._resource import AsyncAPIResource
from .._transport import segment
from .._types import NOT_GIVEN, NotGiven, TimeoutArg
from ..types.models import (
    BaseModelType,
    BulkDeleteResult,
    BulkReidentifyResult,
    DeleteOrphanedModelsResult,
    FoundModel,
    HFTokenStatus,
    HuggingFaceRepoFiles,
    ModelCacheStats,
    ModelChanges,
    ModelConfig,
    ModelFormat,
    ModelInstallJobInfo,
    ModelType,
    OrphanedModel,
    StarterModels,
    lenient_enum,
)
from ._uploads import UploadSource, image_part
from .model_install import InstallJob

if TYPE_CHECKING:
    from .model_relationships import ModelRelationshipsResource

__all__ = ["HuggingFaceResource", "ModelsResource"]

_PREFIX = "/api/v2/models"

CONVERT_TIMEOUT = httpx.Timeout(1800.0, connect=10.0)
"""The default timeout of :meth:`ModelsResource.convert`: converting a large checkpoint takes minutes."""

ModelOrder = Literal["default", "type", "base", "name", "format", "size", "created_at", "updated_at"]
"""Orders the server can list models in."""


def _key(key: object) -> str:
    """A model key checked and encoded as one path segment."""
    return segment(_text(key, "key"))


def _text(value: object, what: str) -> str:
    if isinstance(value, str | BaseModelType | ModelType | ModelFormat) and str(value).strip():
        return str(value.value if isinstance(value, BaseModelType | ModelType | ModelFormat) else value)
    raise ValidationError(f"{what} must be a non-empty string, got {value!r}")


def _changes(
    changes: ModelChanges | Mapping[str, Any] | None, fields: Mapping[str, Any], what: str
) -> ModelChanges:
    """Merge a changes object and keyword fields into one validated :class:`ModelChanges`."""
    merged: dict[str, Any] = {}
    if isinstance(changes, ModelChanges):
        merged.update(changes.model_dump(exclude_unset=True))
    elif changes is not None:
        merged.update(changes)
    merged.update({k: v for k, v in fields.items() if not isinstance(v, NotGiven)})
    try:
        return ModelChanges.model_validate(merged)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'changes'}: {err['msg']}" for err in exc.errors()
        )
        raise ValidationError(f"Invalid {what}: {problems}") from exc


class ModelsResource(AsyncAPIResource):
    """Installed models and the model manager (``/api/v2/models``).

    Discovery: :meth:`list`, :meth:`get`, :meth:`get_by_attrs`, :meth:`get_by_hash`, :meth:`missing`,
    :meth:`starter_models`, :meth:`scan_folder`. Installing: :meth:`install` returns an
    :class:`InstallJob` (``await job.wait()``); :meth:`install_jobs`, :meth:`get_install_job`,
    :meth:`prune_install_jobs`. Management: :meth:`update`, :meth:`delete`, :meth:`delete_many`,
    :meth:`convert`, :meth:`reidentify`, :meth:`reidentify_many`, :meth:`stats`, :meth:`empty_cache`,
    cover pictures (:meth:`image`, :meth:`set_image`, :meth:`delete_image`), left-over folders
    (:meth:`orphaned`, :meth:`delete_orphaned`). Hugging Face: :attr:`hf` (``status()``, ``login(token)``,
    ``logout()``, ``files(repo_id)``). Links between models: :attr:`relationships`.
    """

    @cached_property
    def hf(self) -> HuggingFaceResource:
        """The server's Hugging Face token (``status()``, ``login(token)``, ``logout()``) and repo files."""
        return HuggingFaceResource(self._client)

    @cached_property
    def relationships(self) -> ModelRelationshipsResource:
        """Links between models the GUI suggests together (a LoRA and its base model, ...)."""
        from .model_relationships import ModelRelationshipsResource

        return ModelRelationshipsResource(self._client)

    # -- discovery ---------------------------------------------------------------------------

    def list(
        self,
        *,
        base: BaseModelType | str | Iterable[BaseModelType | str] | None = None,
        type: ModelType | str | None = None,
        format: ModelFormat | str | None = None,
        name: str | None = None,
        order_by: ModelOrder | None = None,
        descending: bool = False,
        limit: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> AsyncPaginator[ModelConfig]:
        """Installed models, optionally filtered (``name`` is an exact match; ``base`` may be several).

        The server sends the whole list at once: each paginator fetches it on first use, keeps that
        snapshot and splits it into pages of ``limit`` items (all in one page by default); call
        ``list()`` again for fresh data. A model whose base, type or format
        this SDK does not know is listed with the raw string kept.
        """
        params: dict[str, Any] = {}
        if base is not None:
            bases = [base] if isinstance(base, str) else list(base)
            params["base_models"] = [_text(b, "base") for b in bases]
        if type is not None:
            params["model_type"] = _text(type, "type")
        if format is not None:
            params["model_format"] = _text(format, "format")
        if name is not None:
            params["model_name"] = _text(name, "name")
        if order_by is not None:
            params["order_by"] = order_by
        if descending:
            params["direction"] = "DESC"
        if limit is not None and limit < 1:
            raise ValidationError(f"limit must be 1 or more, got {limit}")
        cache: list[list[ModelConfig]] = []

        async def fetch(offset: int, page_size: int) -> AsyncPage[ModelConfig]:
            if not cache:
                data = await self._parsed(
                    _ModelsList, "GET", f"{_PREFIX}/", params=params or None, timeout=timeout
                )
                cache.append(data.models)
            models = cache[0]
            return AsyncPage(
                models[offset : offset + page_size],
                offset=offset,
                limit=page_size,
                total=len(models),
                fetch=fetch,
            )

        return AsyncPaginator(fetch, limit=limit if limit is not None else 1_000_000)

    async def get(self, key: str, *, timeout: TimeoutArg = NOT_GIVEN) -> ModelConfig:
        """The model with this key (:class:`NotFoundError` when there is none)."""
        return await self._parsed(ModelConfig, "GET", f"{_PREFIX}/i/{_key(key)}", timeout=timeout)

    async def get_by_attrs(
        self,
        name: str,
        base: BaseModelType | str,
        type: ModelType | str,
        *,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> ModelConfig:
        """The model with this exact name, base and type (:class:`NotFoundError` when there is none).

        ``base`` and ``type`` may be given by position: ``get_by_attrs("vae", "sdxl", "vae")``.
        """
        params = {"name": _text(name, "name"), "base": _text(base, "base"), "type": _text(type, "type")}
        return await self._parsed(
            ModelConfig, "GET", f"{_PREFIX}/get_by_attrs", params=params, timeout=timeout
        )

    async def get_by_hash(self, hash: str, *, timeout: TimeoutArg = NOT_GIVEN) -> ModelConfig:
        """The model whose file hash is ``hash`` (e.g. ``blake3:...``); stable across reinstalls (6.12+)."""
        await self._require("model_by_hash")
        return await self._parsed(
            ModelConfig,
            "GET",
            f"{_PREFIX}/get_by_hash",
            params={"hash": _text(hash, "hash")},
            timeout=timeout,
        )

    async def missing(self, *, timeout: TimeoutArg = NOT_GIVEN) -> builtins.list[ModelConfig]:
        """Installed models whose files are gone from disk (6.12+)."""
        await self._require("models_missing")
        return (await self._parsed(_ModelsList, "GET", f"{_PREFIX}/missing", timeout=timeout)).models

    async def starter_models(self, *, timeout: TimeoutArg = NOT_GIVEN) -> StarterModels:
        """The models and bundles the server offers to install, each marked ``is_installed``."""
        await self._require("starter_models")
        return await self._parsed(StarterModels, "GET", f"{_PREFIX}/starter_models", timeout=timeout)

    async def scan_folder(self, path: str, *, timeout: TimeoutArg = NOT_GIVEN) -> builtins.list[FoundModel]:
        """Model files and folders under ``path`` on the server's disk, each marked ``is_installed``.

        A path that is not a readable folder raises :class:`BadRequestError`.
        """
        return await self._parsed(
            list[FoundModel],
            "GET",
            f"{_PREFIX}/scan_folder",
            params={"scan_path": _text(path, "path")},
            timeout=timeout,
        )

    # -- installing --------------------------------------------------------------------------

    async def install(
        self,
        source: str,
        *,
        config: ModelChanges | Mapping[str, Any] | None = None,
        access_token: str | None = None,
        inplace: bool = False,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> InstallJob:
        """Start installing a model; returns its :class:`InstallJob` (``await job.wait()``).

        ``source`` is a path on the server's disk, a URL, or a Hugging Face repo id
        (``owner/name``, ``owner/name:fp16:vae``, ``owner/name::file.safetensors``). ``config``
        overrides probed values (name, description, base, type, ...). ``inplace=True`` registers a
        local model where it is instead of copying it into the models folder. A source the server
        cannot use raises :class:`InvalidModelSourceError` (the server answers 409 for a source it
        cannot parse and 424 for one naming a model it does not know; ``status_code`` tells which).
        """
        body = _changes(config, {}, "install config").to_body()
        if body.get("key") is not None and any(c in str(body["key"]) for c in "/\\"):
            raise ValidationError(f"config.key must be a plain file name, got {body['key']!r}")
        params: dict[str, Any] = {"source": _text(source, "source"), "inplace": bool(inplace)}
        if access_token is not None:
            params["access_token"] = access_token
        await self._require("model_install")
        try:
            info = await self._parsed(
                ModelInstallJobInfo, "POST", f"{_PREFIX}/install", params=params, json=body, timeout=timeout
            )
        except ConflictError as exc:
            if isinstance(exc.detail, str) and exc.detail.startswith("Unsupported model source"):
                raise InvalidModelSourceError(str(exc), response=exc.response, detail=exc.detail) from exc
            raise
        except APIStatusError as exc:
            if exc.status_code == 424:  # the server's UnknownModelException: nothing known by that source
                raise InvalidModelSourceError(
                    f"The server knows no model for the source {source!r}: {exc.detail}",
                    response=exc.response,
                    detail=exc.detail,
                ) from exc
            raise
        return InstallJob(self, info)

    async def install_jobs(self, *, timeout: TimeoutArg = NOT_GIVEN) -> builtins.list[InstallJob]:
        """Every install job the server remembers (running and finished, until pruned)."""
        infos = await self._parsed(list[ModelInstallJobInfo], "GET", f"{_PREFIX}/install", timeout=timeout)
        return [InstallJob(self, info) for info in infos]

    async def get_install_job(self, id: int, *, timeout: TimeoutArg = NOT_GIVEN) -> InstallJob:
        """The install job with this id (:class:`NotFoundError` when there is none)."""
        return InstallJob(self, await self._install_job_info(id, timeout=timeout))

    async def prune_install_jobs(self, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Forget every finished (completed, failed, cancelled) install job."""
        await self._request_no_body("DELETE", f"{_PREFIX}/install", timeout=timeout)

    # -- management --------------------------------------------------------------------------

    async def update(
        self,
        key: str,
        *,
        name: str | NotGiven = NOT_GIVEN,
        description: str | None | NotGiven = NOT_GIVEN,
        base: BaseModelType | str | NotGiven = NOT_GIVEN,
        type: ModelType | str | NotGiven = NOT_GIVEN,
        format: ModelFormat | str | NotGiven = NOT_GIVEN,
        trigger_phrases: Iterable[str] | NotGiven = NOT_GIVEN,
        default_settings: Mapping[str, Any] | NotGiven = NOT_GIVEN,
        changes: ModelChanges | Mapping[str, Any] | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> ModelConfig:
        """Change a model's record and return it; only the fields given are sent.

        Common fields are keywords; anything else goes in ``changes`` (a :class:`ModelChanges` or a
        mapping of its fields). An unknown key raises :class:`NotFoundError`.
        """
        fields: dict[str, Any] = {
            "name": name,
            "description": description,
            "base": base,
            "type": type,
            "format": format,
            "trigger_phrases": trigger_phrases
            if isinstance(trigger_phrases, NotGiven)
            else [str(p) for p in trigger_phrases],
            "default_settings": default_settings
            if isinstance(default_settings, NotGiven)
            else dict(default_settings),
        }
        body = _changes(changes, fields, "model changes").to_body()
        if not body:
            raise ValidationError("update() needs at least one field to change")
        key = _text(key, "key")
        if "key" in body and body["key"] != key:
            raise ValidationError("A model's key cannot be changed")
        return await self._parsed(
            ModelConfig, "PATCH", f"{_PREFIX}/i/{_key(key)}", json=body, timeout=timeout
        )

    async def delete(self, key: str, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Remove a model's record (and its files when they are inside the server's models folder)."""
        await self._request_no_body("DELETE", f"{_PREFIX}/i/{_key(key)}", timeout=timeout)

    async def delete_many(self, keys: Iterable[str], *, timeout: TimeoutArg = NOT_GIVEN) -> BulkDeleteResult:
        """Delete several models in one request; failures are reported per key, not raised (6.11+)."""
        body = {"keys": [_text(k, "key") for k in keys]}
        await self._require("model_bulk_delete")
        return await self._parsed(
            BulkDeleteResult, "POST", f"{_PREFIX}/i/bulk_delete", json=body, timeout=timeout
        )

    async def convert(self, key: str, *, timeout: TimeoutArg = NOT_GIVEN) -> ModelConfig:
        """Convert a main SD1/SD2/SDXL checkpoint into diffusers format; returns the new model (new key).

        Sent once, never retried (a conversion can take minutes and is not safe to repeat), with a
        default timeout of :data:`CONVERT_TIMEOUT` (30 minutes to read the answer) unless ``timeout``
        is given. A timed-out conversion may still finish on the server: list the models to see.
        """
        return await self._parsed(
            ModelConfig,
            "PUT",
            f"{_PREFIX}/convert/{_key(key)}",
            timeout=CONVERT_TIMEOUT if isinstance(timeout, NotGiven) else timeout,
            max_retries=0,
        )

    async def reidentify(self, key: str, *, timeout: TimeoutArg = NOT_GIVEN) -> ModelConfig:
        """Probe a model's files again and rewrite its base, type and format (keeps name etc.; 6.11+)."""
        await self._require("model_reidentify")
        return await self._parsed(ModelConfig, "POST", f"{_PREFIX}/i/{_key(key)}/reidentify", timeout=timeout)

    async def stats(self, *, timeout: TimeoutArg = NOT_GIVEN) -> ModelCacheStats | None:
        """The model RAM cache's statistics; ``None`` until a model has been loaded."""
        await self._require("model_stats")
        stats: ModelCacheStats | None = await self._parsed(
            ModelCacheStats | None, "GET", f"{_PREFIX}/stats", timeout=timeout
        )
        return stats

    async def empty_cache(self, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Drop every unlocked model from the model cache, freeing RAM and VRAM."""
        await self._request("POST", f"{_PREFIX}/empty_model_cache", timeout=timeout)

    async def reidentify_many(
        self, keys: Iterable[str], *, timeout: TimeoutArg = NOT_GIVEN
    ) -> BulkReidentifyResult:
        """:meth:`reidentify` several models in one request; failures are reported per key, not raised."""
        body = {"keys": [_text(k, "key") for k in keys]}
        await self._require("model_bulk_reidentify")
        return await self._parsed(
            BulkReidentifyResult, "POST", f"{_PREFIX}/i/bulk_reidentify", json=body, timeout=timeout
        )

    async def orphaned(self, *, timeout: TimeoutArg = NOT_GIVEN) -> builtins.list[OrphanedModel]:
        """Folders in the models directory that no installed model uses (left by failed or old installs)."""
        await self._require("orphaned_models")
        return await self._parsed(
            builtins.list[OrphanedModel], "GET", f"{_PREFIX}/sync/orphaned", timeout=timeout
        )

    async def delete_orphaned(
        self, paths: Iterable[str | OrphanedModel], *, timeout: TimeoutArg = NOT_GIVEN
    ) -> DeleteOrphanedModelsResult:
        """Delete orphaned folders (``path`` as :meth:`orphaned` gives it); errors are reported per path."""
        await self._require("orphaned_models")
        body = {"paths": [p.path if isinstance(p, OrphanedModel) else _text(p, "path") for p in paths]}
        return await self._parsed(
            DeleteOrphanedModelsResult, "DELETE", f"{_PREFIX}/sync/orphaned", json=body, timeout=timeout
        )

    async def image(self, key: str, *, timeout: TimeoutArg = NOT_GIVEN) -> bytes:
        """The model's cover picture (bytes); :class:`NotFoundError` when it has none."""
        return await self._file(
            f"{_PREFIX}/i/{_key(key)}/image", f"cover picture of model {key!r}", timeout=timeout
        )

    async def set_image(self, key: str, image: UploadSource, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Set the model's cover picture from a path, bytes, a binary file or a PIL image."""
        part = await image_part(image, default_name="cover.png")
        await self._request("PATCH", f"{_PREFIX}/i/{_key(key)}/image", files={"image": part}, timeout=timeout)

    async def delete_image(self, key: str, *, timeout: TimeoutArg = NOT_GIVEN) -> None:
        """Remove the model's cover picture."""
        await self._request("DELETE", f"{_PREFIX}/i/{_key(key)}/image", timeout=timeout)

    # -- helpers for InstallJob --------------------------------------------------------------

    async def _install_job_info(self, id: int, *, timeout: TimeoutArg = NOT_GIVEN) -> ModelInstallJobInfo:
        return await self._parsed(ModelInstallJobInfo, "GET", f"{_PREFIX}/install/{int(id)}", timeout=timeout)

    async def _find_installed(self, info: ModelInstallJobInfo) -> ModelConfig | None:
        """The installed model a duplicate install collided with (by source, then by path)."""
        wanted = info.source_text
        models = await self.list().to_list()
        for model in models:
            if model.source == wanted or model.path == wanted:
                return model
        return None


class HuggingFaceResource(AsyncAPIResource):
    """The server's Hugging Face token (``ivk.models.hf``), used to download gated repos.

    Each call answers the resulting :class:`HFTokenStatus`: ``valid`` (Hugging Face accepted the
    token), ``invalid`` (no token, or Hugging Face refused it) or ``unknown`` (the server could not
    reach Hugging Face to check). An admin-only route on multi-user servers
    (:class:`PermissionDeniedError` otherwise).
    """

    async def status(self, *, timeout: TimeoutArg = NOT_GIVEN) -> HFTokenStatus | str:
        """Whether the server has a working Hugging Face token (``invalid`` when it has none)."""
        await self._require("hf_login")
        return _hf(await self._request("GET", f"{_PREFIX}/hf_login", timeout=timeout))

    async def login(self, token: str, *, timeout: TimeoutArg = NOT_GIVEN) -> HFTokenStatus | str:
        """Store a Hugging Face token on the server and return its status.

        A token Hugging Face refuses is not an error: the answer is ``invalid``.
        """
        body = {"token": _text(token, "token")}
        await self._require("hf_login")
        return _hf(await self._request("POST", f"{_PREFIX}/hf_login", json=body, timeout=timeout))

    async def logout(self, *, timeout: TimeoutArg = NOT_GIVEN) -> HFTokenStatus | str:
        """Remove the server's Hugging Face token; returns the resulting status (``invalid``)."""
        await self._require("hf_login")
        return _hf(await self._request("DELETE", f"{_PREFIX}/hf_login", timeout=timeout))

    async def files(self, repo_id: str, *, timeout: TimeoutArg = NOT_GIVEN) -> HuggingFaceRepoFiles:
        """The model files of a Hugging Face repo (to pick one for ``ivk.models.install``), or that it is
        a whole diffusers model. :class:`BadRequestError` when there is no such repo."""
        await self._require("hf_repo_files")
        return await self._parsed(
            HuggingFaceRepoFiles,
            "GET",
            f"{_PREFIX}/hugging_face",
            params={"hugging_face_repo": _text(repo_id, "repo_id")},
            timeout=timeout,
        )


class _ModelsList(ResponseModel):
    models: list[ModelConfig]


def _hf(response: httpx.Response) -> HFTokenStatus | str:
    """The token status a ``hf_login`` route answered (a status this SDK does not know stays a str)."""
    try:
        value = response.json()
    except ValueError:
        value = None
    if not isinstance(value, str) or not value:
        raise APIResponseValidationError(
            f"{response.request.method} {_PREFIX}/hf_login answered {response.text[:200]!r}, "
            "not a Hugging Face token status string.",
            response=response,
        )
    converted: HFTokenStatus | str = lenient_enum(HFTokenStatus)(value)
    return converted
