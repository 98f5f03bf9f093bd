"""``ivk.workflows``: the server's workflow library, and running GUI workflows from code."""

from __future__ import annotations

import builtins
import os
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import NotFoundError, WorkflowError, WorkflowInputError
from .._types import NOT_GIVEN, TimeoutArg
from ..jobs import BatchHandle
from ..workflows import Pending, WorkflowDocument
from ..workflows._generators import SERVER_KINDS, expand_generator, generator_kind, generator_settings
from ..workflows._models import ModelBinding, bind_document_models
from ..workflows._run import node_labels
from ..workflows._sweep import SweepKey
from ..workflows._values import MODEL_KEYS
from ._workflow_library import WorkflowLibrary
from .boards import BoardsResource, board_id_of
from .images import ImagesResource
from .models import ModelsResource
from .queue import QueueResource

if TYPE_CHECKING:
    from ..types.models import ModelConfig

__all__ = ["WorkflowsResource"]

_ASSET_CATEGORIES = ("control", "mask", "user", "other")
WorkflowLike = WorkflowDocument | str | os.PathLike[str] | bytes | Mapping[str, Any]
"""A document, a file path, JSON text, a parsed dict, or the id of a workflow in the server library."""


class WorkflowsResource(WorkflowLibrary):
    """The workflow library (list, get, create, update, delete, tags, counts), loading and :meth:`run`."""

    # -- documents ---------------------------------------------------------------------------

    async def load(self, source: WorkflowLike, *, timeout: TimeoutArg = NOT_GIVEN) -> WorkflowDocument:
        """A document typed with this server's node schemas, from a path, JSON, dict or library id.

        A :class:`WorkflowDocument` given is copied (with its values) and bound to this server. Only text
        shaped like a library id (one token such as ``default_<uuid>``) that is not a local file is looked
        up on the server; malformed JSON, a JSON value that is not an object, and text that is neither
        a file nor id-shaped raise :class:`WorkflowError` before anything is sent.
        """
        if isinstance(source, WorkflowDocument):
            doc = source.copy()
        elif isinstance(source, str) and _is_library_id(source):
            try:
                record = await self.get(source, timeout=timeout)
            except NotFoundError as exc:
                raise WorkflowError(
                    f"{source!r} is neither a workflow file nor a library workflow id"
                ) from exc
            doc = record.document()
        elif isinstance(source, str) and not source.lstrip().startswith(("{", "[")) and not _is_file(source):
            # refused before anything is sent: no file by that name, and no library id looks like it
            raise WorkflowError(
                f"{source[:200]!r} is neither workflow JSON, a workflow file nor a library id"
            )
        elif isinstance(source, str) and source.lstrip().startswith("["):
            doc = WorkflowDocument.from_json(source)  # JSON, but not an object: raises WorkflowError
        else:
            doc = WorkflowDocument.load(source)  # malformed JSON or files raise here, before any request
        features = await self._client.features(timeout=timeout)
        return doc.bind(features.invocations)

    async def from_image(self, image_name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> WorkflowDocument:
        """The workflow embedded in an image (outputs of workflow runs carry it), bound to this server.

        Raises :class:`WorkflowError` when the image carries no workflow.
        """
        embedded = await ImagesResource(self._client).workflow(image_name, timeout=timeout)
        if embedded.workflow is None:
            raise WorkflowError(f"image {image_name!r} carries no workflow")
        return await self.load(embedded.workflow, timeout=timeout)

    async def prepare(self, workflow: WorkflowLike, *, timeout: TimeoutArg = NOT_GIVEN) -> WorkflowDocument:
        """A copy bound to this server with uploads done and model names resolved, ready to build."""
        doc = await self.load(workflow, timeout=timeout)
        pending = doc.pending
        if not pending:
            return doc
        for (node_id, field_name), value in pending.items():
            resolved = await self._resolve(doc, node_id, field_name, value, timeout)
            doc.inputs[node_id, field_name] = resolved
        return doc

    async def _resolve(
        self, doc: WorkflowDocument, node_id: str, field_name: str, value: Any, timeout: TimeoutArg
    ) -> Any:
        if isinstance(value, list):
            return [await self._resolve(doc, node_id, field_name, v, timeout) for v in value]
        if not isinstance(value, Pending):
            return value
        if value.kind == "upload":
            image = await ImagesResource(self._client).upload(value.value, timeout=timeout)
            return image.image_name
        spec = doc.field_spec(node_id, field_name)
        return await self._find_model(str(value.value), spec.raw if spec else {}, timeout)

    async def _find_model(self, wanted: str, field: Mapping[str, Any], timeout: TimeoutArg) -> dict[str, Any]:
        models = await ModelsResource(self._client).list(timeout=timeout).to_list()
        matches = [m for m in models if m.key == wanted] or [m for m in models if m.name == wanted]
        bases, types = field.get("ui_model_base"), field.get("ui_model_type")
        if len(matches) > 1 and (bases or types):
            matches = [
                m
                for m in matches
                if (not bases or str(m.base) in bases) and (not types or str(m.type) in types)
            ]
        if len(matches) != 1:
            found = "no installed model" if not matches else f"{len(matches)} installed models"
            raise WorkflowInputError(f"{found} with key or name {wanted!r}")
        return _identifier(matches[0])

    async def bind_models(
        self, workflow: WorkflowDocument, *, timeout: TimeoutArg = NOT_GIVEN
    ) -> builtins.list[ModelBinding]:
        """Re-point every model field of ``workflow`` (in place) at an installed model; return the changes.

        Only installed models the field accepts (its ``ui_model_base`` / ``ui_model_type``) are
        candidates. A set field is matched by hash (the same file), then name, then base and type; an
        unset field is bound when exactly one installed model fits it. Set fields that match nothing,
        and required unset fields with no or several fitting models, raise :class:`WorkflowInputError`
        listing them (and nothing is changed); optional unset fields without a single fit stay unset.
        """
        features = await self._client.features(timeout=timeout)
        if workflow.schemas is None:
            workflow.bind(features.invocations)
        models = await ModelsResource(self._client).list(timeout=timeout).to_list()
        return bind_document_models(workflow, [_identifier(m) for m in models])

    # -- running -----------------------------------------------------------------------------

    async def build_batch(
        self,
        workflow: WorkflowLike,
        *,
        board: Any = None,
        sweep: Mapping[SweepKey, Sequence[Any]] | None = None,
        zip: Iterable[Iterable[SweepKey]] = (),
        runs: int = 1,
        origin: str = "workflows",
        destination: str = "gallery",
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> dict[str, Any]:
        """The ``batch`` :meth:`run` would enqueue (inputs resolved on this server), without enqueueing."""
        doc = await self.prepare(workflow, timeout=timeout)
        return await self._batch_of(doc, board, sweep, zip, runs, origin, destination, timeout)

    async def _batch_of(
        self,
        doc: WorkflowDocument,
        board: Any,
        sweep: Mapping[SweepKey, Sequence[Any]] | None,
        zip: Iterable[Iterable[SweepKey]],
        runs: int,
        origin: str,
        destination: str,
        timeout: TimeoutArg,
    ) -> dict[str, Any]:
        """The batch of an already prepared document (server generators expanded, sweeps resolved)."""
        generated = await self._server_generators(doc, timeout)
        auto_board = _board_id(board)
        if sweep:
            sweep = {
                key: await self._resolve_sweep(doc, key, values, timeout) for key, values in sweep.items()
            }
        return doc.to_batch(
            runs=runs,
            sweep=sweep,
            zip=zip,
            auto_board=auto_board,
            origin=origin,
            destination=destination,
            generated=generated,
        )

    async def _server_generators(
        self, doc: WorkflowDocument, timeout: TimeoutArg
    ) -> dict[str, builtins.list[Any]]:
        generated: dict[str, builtins.list[Any]] = {}
        for node_id, value in doc.generators.items():
            if generator_kind(value, f"generator {node_id!r}") in SERVER_KINDS:
                generated[node_id] = await self.expand_generator(value, timeout=timeout)
        return generated

    async def expand_generator(
        self, generator: Mapping[str, Any], *, timeout: TimeoutArg = NOT_GIVEN
    ) -> builtins.list[Any]:
        """The items a generator node's setting gives, as the GUI computes them (on this server if needed).

        ``generator`` is a generator node's ``generator`` value, e.g. ``{"type":
        "integer_generator_arithmetic_sequence", "start": 0, "step": 2, "count": 5}``. Dynamic prompts
        are expanded by the server's dynamicprompts utility; ``image_generator_images_from_board``
        lists the board's (non-intermediate) images as ``{"image_name": ...}`` items.
        """
        kind = generator_kind(generator, "generator")
        if kind not in SERVER_KINDS:
            return expand_generator(generator)
        settings = generator_settings(generator, "generator")
        if kind == "image_generator_images_from_board":
            board_id = settings.get("board_id")
            if not isinstance(board_id, str) or not board_id.strip():
                raise WorkflowError("image_generator_images_from_board has no board_id set")
            categories = ("general",) if settings.get("category") != "assets" else _ASSET_CATEGORIES
            names = await BoardsResource(self._client).image_names(
                board_id.strip(), categories=categories, is_intermediate=False, timeout=timeout
            )
            return [{"image_name": name} for name in names]
        combinatorial = kind == "string_generator_dynamic_prompts_combinatorial"
        body: dict[str, Any] = {
            "prompt": settings["input"],
            "max_prompts": int(settings["maxPrompts" if combinatorial else "count"]),
            "combinatorial": combinatorial,
        }
        if not combinatorial:
            body["seed"] = (
                settings.get("seed") if settings.get("seed") is not None else random.randrange(2**31)
            )
        answer = await self._json("POST", "/api/v1/utilities/dynamicprompts", json=body, timeout=timeout)
        if answer.get("error"):
            raise WorkflowError(
                f"{kind}: the server could not expand {settings['input']!r}: {answer['error']}"
            )
        return [str(p) for p in answer.get("prompts", [])]

    async def _resolve_sweep(
        self, doc: WorkflowDocument, key: SweepKey, values: Sequence[Any], timeout: TimeoutArg
    ) -> builtins.list[Any]:
        target = doc._sweep_target(key)
        spec = doc.field_spec(*target)
        if spec is None or spec.kind != "image" or isinstance(values, str | bytes):
            return values  # type: ignore[return-value]  # model and board fields cannot be swept: to_batch says why
        out = []
        for value in values:
            if spec.kind == "image" and isinstance(value, bytes | bytearray | os.PathLike):
                value = (
                    await ImagesResource(self._client).upload(
                        bytes(value) if isinstance(value, bytearray) else value, timeout=timeout
                    )
                ).image_name
            out.append(value)
        return out

    async def run(
        self,
        workflow: WorkflowLike,
        *,
        board: Any = None,
        sweep: Mapping[SweepKey, Sequence[Any]] | None = None,
        zip: Iterable[Iterable[SweepKey]] = (),
        runs: int = 1,
        prepend: bool = False,
        origin: str = "workflows",
        destination: str = "gallery",
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> BatchHandle:
        """Enqueue a workflow as the GUI would and return its run: the queue's batch handle, with the
        document as run (``run.document``) and its node labels (``run.labels``).

        ``workflow`` is a document, a file path, JSON, a dict or a library id. ``board`` (a board id or
        DTO) is where board fields left at ``"auto"`` save their images. ``sweep`` / ``zip`` / ``runs``
        multiply the work into one request (see :meth:`WorkflowDocument.to_batch`). Wait with
        ``await run.wait()``; ``await run.outputs()`` (or ``run[i].outputs()``) gives the results
        per node id, also reachable by node label.
        """
        document = await self.prepare(workflow, timeout=timeout)
        batch = await self._batch_of(document, board, sweep, zip, runs, origin, destination, timeout)
        handle = await QueueResource(self._client).enqueue(batch, prepend=prepend, timeout=timeout)
        return BatchHandle(
            self._client,
            queue_id=handle.queue_id,
            batch_id=handle.batch_id,
            item_ids=handle.item_ids,
            origin=handle.origin,
            destination=handle.destination,
            labels=node_labels(document),
            document=document,
        )


_LIBRARY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,254}")
"""What a library workflow id looks like (``default_<uuid>``, a uuid): one token of id characters."""


def _is_library_id(source: str) -> bool:
    """True for text shaped like a library workflow id that is not also a local file."""
    return _LIBRARY_ID.fullmatch(source) is not None and not _is_file(source)


def _is_file(source: str) -> bool:
    try:
        return Path(source).is_file()
    except OSError:
        return False


def _board_id(board: Any) -> str | None:
    """The auto-add board for a run: ``None`` for no board, ``"auto"`` or ``"none"``."""
    if board is None or board in ("auto", "none"):
        return None
    return board_id_of(board.get("board_id", "") if isinstance(board, Mapping) else board)


def _identifier(model: ModelConfig | Mapping[str, Any]) -> dict[str, Any]:
    get = model.get if isinstance(model, Mapping) else lambda k: getattr(model, k, None)
    out = {k: get(k) for k in MODEL_KEYS}
    return {k: str(v) for k, v in out.items() if v is not None}
