"""Model-free graphs that really run on a CPU-only server (rebuilt from the server team's samples)."""

from __future__ import annotations

from typing import Any


def edge(src: str, src_field: str, dst: str, dst_field: str) -> dict[str, Any]:
    """One graph edge."""
    return {
        "source": {"node_id": src, "field": src_field},
        "destination": {"node_id": dst, "field": dst_field},
    }


def image_to_board(board_id: str | None = None) -> dict[str, Any]:
    """blank image -> blur -> save (on a board when given)."""
    save: dict[str, Any] = {"id": "save", "type": "save_image", "is_intermediate": False}
    if board_id is not None:
        save["board"] = {"board_id": board_id}
    return {
        "id": "image_to_board",
        "nodes": {
            "blank": {
                "id": "blank",
                "type": "blank_image",
                "width": 64,
                "height": 64,
                "mode": "RGB",
                "color": {"r": 10, "g": 120, "b": 200, "a": 255},
                "is_intermediate": True,
            },
            "blur": {
                "id": "blur",
                "type": "img_blur",
                "radius": 2,
                "blur_type": "gaussian",
                "is_intermediate": True,
            },
            "save": save,
        },
        "edges": [edge("blank", "image", "blur", "image"), edge("blur", "image", "save", "image")],
    }


def fail_missing_image() -> dict[str, Any]:
    """Blurs an image that does not exist: fails with ImageRecordNotFoundException."""
    return {
        "id": "fail_missing_image",
        "nodes": {
            "blur": {
                "id": "blur",
                "type": "img_blur",
                "image": {"image_name": "does-not-exist.png"},
                "radius": 2,
            },
            "save": {"id": "save", "type": "save_image"},
        },
        "edges": [edge("blur", "image", "save", "image")],
    }


def batch_runs3_data() -> dict[str, Any]:
    """A batch: 2 zipped sizes x 2 labels x 3 runs = 12 items."""
    return {
        "graph": {
            "id": "batch_sizes",
            "nodes": {
                "blank": {
                    "id": "blank",
                    "type": "blank_image",
                    "width": 16,
                    "height": 16,
                    "is_intermediate": True,
                },
                "label": {"id": "label", "type": "string", "value": "x"},
                "save": {"id": "save", "type": "save_image", "is_intermediate": False},
            },
            "edges": [edge("blank", "image", "save", "image")],
        },
        "runs": 3,
        "data": [
            [
                {"node_path": "blank", "field_name": "width", "items": [32, 48]},
                {"node_path": "blank", "field_name": "height", "items": [16, 24]},
            ],
            [{"node_path": "label", "field_name": "value", "items": ["x", "y"]}],
        ],
        "origin": "sdk-batch",
        "destination": "batch-dest",
    }


def slow_chain(blurs: int = 10) -> dict[str, Any]:
    """A 2048x2048 blank image through many big blurs: several seconds of work, to cancel mid-run."""
    nodes: dict[str, Any] = {
        "blank": {
            "id": "blank",
            "type": "blank_image",
            "width": 2048,
            "height": 2048,
            "is_intermediate": True,
            "use_cache": False,
        }
    }
    edges = []
    prev = "blank"
    for n in range(blurs):
        nid = f"blur{n}"
        nodes[nid] = {
            "id": nid,
            "type": "img_blur",
            "radius": 32,
            "is_intermediate": True,
            "use_cache": False,
        }
        edges.append(edge(prev, "image", nid, "image"))
        prev = nid
    return {"id": "slow_chain", "nodes": nodes, "edges": edges}


def math(a: int = 2, b: int = 40) -> dict[str, Any]:
    """a + b, no images."""
    return {
        "id": "math",
        "nodes": {
            "a": {"id": "a", "type": "integer", "value": a},
            "b": {"id": "b", "type": "integer", "value": b},
            "sum": {"id": "sum", "type": "add", "use_cache": False},
            "s": {"id": "s", "type": "string", "value": "hello"},
        },
        "edges": [edge("a", "value", "sum", "a"), edge("b", "value", "sum", "b")],
    }
