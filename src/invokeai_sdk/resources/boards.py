"""``ivk.boards``: create, rename, archive and delete boards; move images on and off them."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Any, Literal, TypeAlias

from .._compat import QUIRKS, version_in
from .._errors import InternalServerError, ValidationError
from .._models import ItemsPage
from .._pagination import AsyncPage, AsyncPaginator
from .._resource import BATCH_LIMIT, AsyncAPIResource
from .._transport import segment
from .._types import NOT_GIVEN, TimeoutArg
from ..types.boards import (
    UNCATEGORIZED,
    AddImagesToBoardResult,
    BoardDTO,
    DeleteBoardResult,
    RemoveImagesFromBoardResult,
)
from ._categories import check_categories
from ._uploads import name_list

__all__ = ["BATCH_LIMIT", "BoardRef", "BoardsResource", "board_id_of"]

BoardRef: TypeAlias = "str | BoardDTO"
"""A board given by its id, by a :class:`BoardDTO`, or :data:`UNCATEGORIZED`."""

MAX_BOARD_NAME = 300


def board_id_of(board: BoardRef) -> str:
    """The id of ``board`` (an id string, a :class:`BoardDTO` or :data:`UNCATEGORIZED`)."""
    if isinstance(board, BoardDTO):
        return board.board_id
    if isinstance(board, str) and board:
        return board
    raise ValidationError(f"A board must be a board id, a BoardDTO or UNCATEGORIZED, got {board!r}.")


def _real_board_id(board: BoardRef, action: str) -> str:
    board_id = board_id_of(board)
    if board_id == UNCATEGORIZED:
        raise ValidationError(f"UNCATEGORIZED is not a real board: it cannot be {action}.")
    return board_id


def _board_path(board_id: str, suffix: str = "") -> str:
    """``/api/v1/boards/<id><suffix>`` with the id percent-encoded as one path segment."""
    if "/" in board_id:
        raise ValidationError(f"A board id cannot contain '/', got {board_id!r}.")
    return f"/api/v1/boards/{segment(board_id)}{suffix}"


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("A board name must be a non-empty string.")
    if len(name) > MAX_BOARD_NAME:
        raise ValidationError(f"A board name is at most {MAX_BOARD_NAME} characters, got {len(name)}.")
    return name


class BoardsResource(AsyncAPIResource):
    """Boards group images. :data:`UNCATEGORIZED` stands for "on no board" wherever a board is accepted."""

    def list(
        self,
        *,
        include_archived: bool = False,
        order_by: Literal["created_at", "board_name"] = "created_at",
        direction: Literal["asc", "desc"] = "desc",
        offset: int = 0,
        limit: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> AsyncPaginator[BoardDTO]:
        """Boards, newest first by default. ``await`` it for one page, ``async for`` for every board.

        Without ``limit`` the first page holds every board (one request); with ``limit`` the server
        pages by ``offset``/``limit`` (page ``total`` is then ``None``: the server miscounts it).
        Archived boards are left out unless ``include_archived``.
        """
        if order_by not in ("created_at", "board_name"):
            raise ValidationError(f"order_by must be 'created_at' or 'board_name', got {order_by!r}.")
        if direction not in ("asc", "desc"):
            raise ValidationError(f"direction must be 'asc' or 'desc', got {direction!r}.")
        if offset < 0 or (limit is not None and limit < 1):
            raise ValidationError("offset must be 0 or more and limit 1 or more.")
        base: dict[str, Any] = {
            "order_by": order_by,
            "direction": direction.upper(),
            "include_archived": include_archived,
        }

        async def fetch_all(offset: int, limit: int) -> AsyncPage[BoardDTO]:
            boards = await self._parsed(
                list[BoardDTO], "GET", "/api/v1/boards/", params={**base, "all": True}, timeout=timeout
            )
            items = boards[offset:]
            return AsyncPage(items, offset=offset, limit=max(len(items), 1), total=len(boards))

        async def fetch_page(offset: int, limit: int) -> AsyncPage[BoardDTO]:
            data = await self._parsed(
                ItemsPage[BoardDTO],
                "GET",
                "/api/v1/boards/",
                params={**base, "offset": offset, "limit": limit},
                timeout=timeout,
            )
            # The server's "total" here is the length of this page (6.14.2 bug), so it is not used:
            # a full page means there may be more.
            return AsyncPage(data.items, offset=offset, limit=limit, total=None, fetch=fetch_page)

        if limit is None:
            return AsyncPaginator(fetch_all, offset=offset, limit=1)
        return AsyncPaginator(fetch_page, offset=offset, limit=limit)

    async def get(self, board_id: BoardRef, *, timeout: TimeoutArg = NOT_GIVEN) -> BoardDTO:
        """One board with its counts; :class:`NotFoundError` when there is no such board."""
        board_id = _real_board_id(board_id, "fetched (list its images with image_names)")
        return await self._parsed(BoardDTO, "GET", _board_path(board_id), timeout=timeout)

    async def create(self, name: str, *, timeout: TimeoutArg = NOT_GIVEN) -> BoardDTO:
        """Create a board called ``name`` (names need not be unique)."""
        name = _check_name(name)
        features = self._client.session.features
        version = (
            features.version
            if features
            else (await self._client.get("/api/v1/app/version", timeout=timeout)).get("version")
        )
        if not version_in(version, QUIRKS["board_create_500"]):
            return await self._parsed(
                BoardDTO, "POST", "/api/v1/boards/", params={"board_name": name}, timeout=timeout
            )
        # 6.10-6.11 answer 500 "Failed to create board" after creating it: the new board is the one
        # of that name that was not there before. Any other 500, or no such board, is raised.
        before = {board.board_id for board in await self._all_named(name, timeout=timeout)}
        try:
            return await self._parsed(
                BoardDTO, "POST", "/api/v1/boards/", params={"board_name": name}, timeout=timeout
            )
        except InternalServerError as exc:
            if exc.detail != "Failed to create board":
                raise
            made = [
                board
                for board in await self._all_named(name, timeout=timeout)
                if board.board_id not in before
            ]
            if len(made) != 1:
                raise
            return made[0]

    async def _all_named(self, name: str, *, timeout: TimeoutArg) -> builtins.list[BoardDTO]:
        boards = await self._parsed(
            builtins.list[BoardDTO], "GET", "/api/v1/boards/", params={"all": True}, timeout=timeout
        )
        return [board for board in boards if board.board_name == name]

    async def update(
        self,
        board_id: BoardRef,
        *,
        name: str | None = None,
        cover_image_name: str | None = None,
        archived: bool | None = None,
        visibility: Literal["private", "shared", "public"] | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> BoardDTO:
        """Rename a board, set its cover image, archive or unarchive it, or change its visibility.

        Note: servers up to at least 6.14.2 store ``cover_image_name`` but always report the board's
        newest image (or video) as its cover.
        """
        board_id = _real_board_id(board_id, "updated")
        changes: dict[str, Any] = {}
        if name is not None:
            changes["board_name"] = _check_name(name)
        if cover_image_name is not None:
            changes["cover_image_name"] = cover_image_name
        if archived is not None:
            changes["archived"] = bool(archived)
        if visibility is not None:
            if visibility not in ("private", "shared", "public"):
                raise ValidationError(f"visibility must be private, shared or public, got {visibility!r}.")
            changes["board_visibility"] = visibility
        if not changes:
            raise ValidationError("Nothing to update: give name, cover_image_name, archived or visibility.")
        return await self._parsed(BoardDTO, "PATCH", _board_path(board_id), json=changes, timeout=timeout)

    async def delete(
        self, board_id: BoardRef, *, include_images: bool = False, timeout: TimeoutArg = NOT_GIVEN
    ) -> DeleteBoardResult:
        """Delete a board. Its images become uncategorized, or are deleted too with ``include_images``."""
        board_id = _real_board_id(board_id, "deleted")
        return await self._parsed(
            DeleteBoardResult,
            "DELETE",
            _board_path(board_id),
            params={"include_images": include_images},
            timeout=timeout,
        )

    async def image_names(
        self,
        board_id: BoardRef,
        *,
        categories: Iterable[str] | None = None,
        is_intermediate: bool | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> builtins.list[str]:
        """Names of every image on a board (or, for :data:`UNCATEGORIZED`, on no board)."""
        return await self._parsed(
            builtins.list[str],
            "GET",
            _board_path(board_id_of(board_id), "/image_names"),
            params={"categories": check_categories(categories), "is_intermediate": is_intermediate},
            timeout=timeout,
        )

    async def add_images(
        self, board_id: BoardRef, names: str | Iterable[str], *, timeout: TimeoutArg = NOT_GIVEN
    ) -> AddImagesToBoardResult:
        """Move images onto a board (off any other). Adding to :data:`UNCATEGORIZED` takes them off theirs."""
        board = board_id_of(board_id)
        image_names = name_list(names)
        if board == UNCATEGORIZED:
            removed = await self.remove_images(image_names, timeout=timeout)
            return AddImagesToBoardResult(
                added_images=removed.removed_images,
                failed_images=removed.failed_images,
                affected_boards=removed.affected_boards,
            )
        return await self._post_in_batches(
            AddImagesToBoardResult,
            "/api/v1/board_images/batch",
            image_names,
            names_key="image_names",
            extra={"board_id": board},
            timeout=timeout,
        )

    async def add_image(
        self, board_id: BoardRef, image_name: str, *, timeout: TimeoutArg = NOT_GIVEN
    ) -> AddImagesToBoardResult:
        """Move one image onto a board; unlike :meth:`add_images` a missing image is an error, not a skip."""
        board = _real_board_id(board_id, "given images (use remove_image)")
        return await self._parsed(
            AddImagesToBoardResult,
            "POST",
            "/api/v1/board_images/",
            json={"board_id": board, "image_name": name_list(image_name)[0]},
            timeout=timeout,
        )

    async def remove_image(
        self, image_name: str, *, timeout: TimeoutArg = NOT_GIVEN
    ) -> RemoveImagesFromBoardResult:
        """Take one image off its board; unlike :meth:`remove_images` a missing image is an error."""
        return await self._parsed(
            RemoveImagesFromBoardResult,
            "DELETE",
            "/api/v1/board_images/",
            json={"image_name": name_list(image_name)[0]},
            timeout=timeout,
        )

    async def remove_images(
        self, names: str | Iterable[str], *, timeout: TimeoutArg = NOT_GIVEN
    ) -> RemoveImagesFromBoardResult:
        """Take images off whatever board they are on (they become uncategorized)."""
        return await self._post_in_batches(
            RemoveImagesFromBoardResult,
            "/api/v1/board_images/batch/delete",
            name_list(names),
            names_key="image_names",
            timeout=timeout,
        )
