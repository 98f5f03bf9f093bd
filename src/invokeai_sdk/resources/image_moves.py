"""``ivk.image_moves``: moving image files into the configured subfolder layout (admin maintenance)."""

from __future__ import annotations

from .._resource import AsyncAPIResource
from .._types import NOT_GIVEN, TimeoutArg
from ..types.app import ImageMoveStatus

__all__ = ["ImageMovesResource"]

_PREFIX = "/api/v1/image_moves"


class ImageMovesResource(AsyncAPIResource):
    """After ``image_subfolder_strategy`` changes (``ivk.app.update_config``), existing files are moved here.

    While a move runs the server refuses image changes (HTTP 409/503).
    """

    async def status(self, *, timeout: TimeoutArg = NOT_GIVEN) -> ImageMoveStatus:
        """Whether a move runs, its latest job, and how many images are not where the layout wants them."""
        await self._require("image_moves")
        return await self._parsed(ImageMoveStatus, "GET", f"{_PREFIX}/status", timeout=timeout)

    async def start(self, *, timeout: TimeoutArg = NOT_GIVEN) -> ImageMoveStatus:
        """Start moving every misplaced image file in the background."""
        await self._require("image_moves")
        return await self._parsed(ImageMoveStatus, "POST", f"{_PREFIX}/start", timeout=timeout, max_retries=0)

    async def recover(self, *, timeout: TimeoutArg = NOT_GIVEN) -> ImageMoveStatus:
        """Finish or roll back a move that was interrupted (e.g. by a crash)."""
        await self._require("image_moves")
        return await self._parsed(
            ImageMoveStatus, "POST", f"{_PREFIX}/recover", timeout=timeout, max_retries=0
        )
