"""Generator nodes (``*_generator``): the items they give the batch node they feed, as the GUI computes them.

A generator node's ``generator`` input holds ``{"type": <kind>, ...settings}``. The GUI (6.14) expands it
when it enqueues, and the batch node fed by it (through its items handle) contributes those items to
``batch.data``. The deterministic kinds are computed here exactly as the GUI does (same formulas, the
same Mersenne Twister for seeded random values); the kinds that need the server (dynamic prompts, the
images of a board) are listed by :func:`server_generators` and expanded by ``ivk.workflows``.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Callable, Mapping
from typing import Any

from .._errors import WorkflowError

__all__ = [
    "SERVER_KINDS",
    "MersenneTwister",
    "expand_generator",
    "generator_kind",
    "generator_settings",
]

SERVER_KINDS = frozenset(
    {
        "string_generator_dynamic_prompts_combinatorial",
        "string_generator_dynamic_prompts_random",
        "image_generator_images_from_board",
    }
)
"""Generator kinds whose items only the server can produce."""

_DEFAULTS: dict[str, dict[str, Any]] = {
    "float_generator_arithmetic_sequence": {"start": 0, "step": 0.1, "count": 10},
    "float_generator_linear_distribution": {"start": 0, "end": 1, "count": 10},
    "float_generator_random_distribution_uniform": {"min": 0, "max": 1, "count": 10, "seed": None},
    "float_generator_parse_string": {
        "input": "0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1",
        "splitOn": ",",
    },
    "integer_generator_arithmetic_sequence": {"start": 0, "step": 1, "count": 10},
    "integer_generator_linear_distribution": {"start": 0, "end": 10, "count": 10},
    "integer_generator_random_distribution_uniform": {"min": 0, "max": 10, "count": 10, "seed": None},
    "integer_generator_parse_string": {"input": "1,2,3,4,5,6,7,8,9,10", "splitOn": ","},
    "string_generator_parse_string": {"input": "foo,bar,baz,qux", "splitOn": ","},
    "string_generator_dynamic_prompts_combinatorial": {
        "input": "a super {cute|ferocious} {dog|cat}",
        "maxPrompts": 10,
    },
    "string_generator_dynamic_prompts_random": {
        "input": "a super {cute|ferocious} {dog|cat}",
        "count": 10,
        "seed": None,
    },
    "image_generator_images_from_board": {"board_id": None, "category": "images"},
}

_FLOAT_PREFIX = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_INT_PREFIX = re.compile(r"[+-]?\d+")


class MersenneTwister:
    """MT19937 seeded like the GUI's generator (``init_genrand``); ``random()`` is one 32-bit draw / 2**32."""

    def __init__(self, seed: int) -> None:
        mt = [0] * 624
        mt[0] = seed & 0xFFFFFFFF
        for i in range(1, 624):
            prev = mt[i - 1] ^ (mt[i - 1] >> 30)
            mt[i] = (1812433253 * prev + i) & 0xFFFFFFFF
        self._mt = mt
        self._index = 624

    def _twist(self) -> None:
        mt = self._mt
        for i in range(624):
            y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7FFFFFFF)
            mt[i] = mt[(i + 397) % 624] ^ (y >> 1) ^ (0x9908B0DF if y & 1 else 0)
        self._index = 0

    def random_uint32(self) -> int:
        """The next 32-bit output."""
        if self._index >= 624:
            self._twist()
        y = self._mt[self._index]
        self._index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        y ^= y >> 18
        return y & 0xFFFFFFFF

    def random(self) -> float:
        """A float in ``[0, 1)``."""
        return self.random_uint32() / 4294967296


def generator_kind(value: Any, where: str) -> str:
    """The generator kind of a ``generator`` input value; raise :class:`WorkflowError` if malformed."""
    kind = value.get("type") if isinstance(value, Mapping) else None
    if not isinstance(kind, str) or kind not in _DEFAULTS:
        raise WorkflowError(
            f"not a generator setting this SDK knows (type {kind!r}); known: {', '.join(sorted(_DEFAULTS))}",
            path=where,
        )
    return kind


def generator_settings(value: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The generator's settings with the GUI's defaults for missing ones."""
    kind = generator_kind(value, where)
    settings = {**_DEFAULTS[kind], **{k: v for k, v in value.items() if v is not None or k == "seed"}}
    for name, default in _DEFAULTS[kind].items():
        current = settings[name]
        if isinstance(default, int | float) and (isinstance(current, bool) or not _is_number(current)):
            raise WorkflowError(f"{kind}: {name} must be a number, got {current!r}", path=f"{where}.{name}")
        if isinstance(default, str) and not isinstance(current, str):
            raise WorkflowError(f"{kind}: {name} must be a string, got {current!r}", path=f"{where}.{name}")
    seed = settings.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise WorkflowError(f"{kind}: seed must be an integer or null, got {seed!r}", path=f"{where}.seed")
    return settings


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _rng(seed: int | None) -> Callable[[], float]:
    return random.random if seed is None else MersenneTwister(seed).random


def _js_round(value: float) -> int:
    """JavaScript's ``Math.round``: halves go up (towards +infinity)."""
    floor = math.floor(value)
    return floor + 1 if value - floor >= 0.5 else floor


def _split(text: str, split_on: str) -> list[str]:
    if split_on == "":
        return [text]
    try:
        separator = json.loads(f'"{split_on}"')  # the GUI reads escapes such as "\n" in the separator
    except ValueError:
        separator = split_on
    if not isinstance(separator, str) or separator == "":
        return [text]
    return text.split(separator)


def _parse_numbers(
    text: str, split_on: str, pattern: re.Pattern[str], convert: Callable[[str], Any]
) -> list[Any]:
    out = []
    for part in _split(text, split_on):
        part = part.strip()
        found = pattern.match(part) if part else None
        if found is not None:
            out.append(convert(found.group(0).replace("Infinity", "inf")))
    return out


def expand_generator(value: Mapping[str, Any], where: str = "generator") -> list[Any]:
    """The items a deterministic generator gives (the GUI's formulas); server kinds raise WorkflowError."""
    kind = generator_kind(value, where)
    if kind in SERVER_KINDS:
        raise WorkflowError(
            f"{kind} needs the server to expand: build or run through ivk.workflows (build_batch/run)",
            path=where,
        )
    if kind.startswith("float_") and isinstance(value.get("values"), list):
        return list(
            value["values"]
        )  # the GUI keeps the values it showed (e.g. seeded-random) and reuses them
    s = generator_settings(value, where)
    count = max(0, int(s.get("count", 0)))
    if kind.endswith("arithmetic_sequence"):
        return [s["start"]] if s["step"] == 0 else [s["start"] + i * s["step"] for i in range(count)]
    if kind == "float_generator_linear_distribution":
        start, end = s["start"], s["end"]
        return [start] if count == 1 else [start + (end - start) * (i / (count - 1)) for i in range(count)]
    if kind == "integer_generator_linear_distribution":
        start, end = s["start"], s["end"]
        if count == 1:
            return [start]
        return [start + _js_round((end - start) * (i / (count - 1))) for i in range(count)]
    if kind == "float_generator_random_distribution_uniform":
        draw = _rng(s["seed"])
        return [draw() * (s["max"] - s["min"]) + s["min"] for _ in range(count)]
    if kind == "integer_generator_random_distribution_uniform":
        draw = _rng(s["seed"])
        return [math.floor(draw() * (s["max"] - s["min"] + 1)) + s["min"] for _ in range(count)]
    if kind == "float_generator_parse_string":
        return _parse_numbers(s["input"], s["splitOn"], _FLOAT_PREFIX, float)
    if kind == "integer_generator_parse_string":
        return _parse_numbers(s["input"], s["splitOn"], _INT_PREFIX, int)
    return [part for part in _split(s["input"], s["splitOn"]) if part]  # string_generator_parse_string
