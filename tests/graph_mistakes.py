"""Graphs with one class of mistake each: the local check and the real server both refuse them."""

from __future__ import annotations

from typing import Any


def edge(src: str, src_field: str, dst: str, dst_field: str) -> dict[str, Any]:
    """One graph edge."""
    return {
        "source": {"node_id": src, "field": src_field},
        "destination": {"node_id": dst, "field": dst_field},
    }


def ints(**extra: dict[str, Any]) -> dict[str, Any]:
    """Two number nodes (`a`: integer 2, `f`: float 1.5) plus ``extra`` nodes."""
    return {
        "a": {"id": "a", "type": "integer", "value": 2},
        "f": {"id": "f", "type": "float", "value": 1.5},
        **extra,
    }


# (case, graph, expected (code, node_id, field))
MISTAKES: list[tuple[str, dict[str, Any], tuple[str, str, str | None]]] = [
    (
        "unknown node type",
        {"nodes": {"blur": {"id": "blur", "type": "img_blurr", "radius": 2}}, "edges": []},
        ("unknown_node_type", "blur", None),
    ),
    (
        "string in an integer field",
        {"nodes": {"s": {"id": "s", "type": "add", "a": "two"}}, "edges": []},
        ("bad_value", "s", "a"),
    ),
    (
        "value out of range",
        {"nodes": {**ints(), "b": {"id": "b", "type": "img_blur", "radius": -1}}, "edges": []},
        ("bad_value", "b", "radius"),
    ),
    (
        "unknown choice",
        {"nodes": {"b": {"id": "b", "type": "img_blur", "blur_type": "GAUSSIAN"}}, "edges": []},
        ("bad_value", "b", "blur_type"),
    ),
    (
        "list too short",
        {
            "nodes": {"v": {"id": "v", "type": "video_concat", "videos": [{"video_name": "x.mp4"}]}},
            "edges": [],
        },
        ("bad_value", "v", "videos"),
    ),
    (
        "edge from a missing node",
        {"nodes": ints(s={"id": "s", "type": "add"}), "edges": [edge("ghost", "value", "s", "a")]},
        ("missing_node", "ghost", "value"),
    ),
    (
        "edge from an output that does not exist",
        {"nodes": ints(s={"id": "s", "type": "add"}), "edges": [edge("a", "valu", "s", "a")]},
        ("unknown_output", "a", "valu"),
    ),
    (
        "edge between mismatched types",
        {"nodes": ints(s={"id": "s", "type": "add"}), "edges": [edge("f", "value", "s", "a")]},
        ("type_mismatch", "s", "a"),
    ),
    (
        "a collection into a single input",
        {
            "nodes": {
                "c": {"id": "c", "type": "integer_collection", "collection": [1, 2]},
                "s": {"id": "s", "type": "add"},
            },
            "edges": [edge("c", "collection", "s", "a")],
        },
        ("type_mismatch", "s", "a"),
    ),
    (
        "two-node cycle",
        {
            "nodes": {"x": {"id": "x", "type": "add"}, "y": {"id": "y", "type": "add"}},
            "edges": [edge("x", "value", "y", "a"), edge("y", "value", "x", "a")],
        },
        ("cycle", "x", None),
    ),
    (
        "required input with neither value nor edge",
        {"nodes": {"b": {"id": "b", "type": "img_blur", "radius": 2}}, "edges": []},
        ("missing_input", "b", "image"),
    ),
    (
        "iterate without a collection edge",
        {
            "nodes": {
                "i": {"id": "i", "type": "iterate", "collection": [1, 2]},
                "s": {"id": "s", "type": "add"},
            },
            "edges": [edge("i", "item", "s", "a")],
        },
        ("iterate", "i", "collection"),
    ),
]
