"""Cleaned and OCR'd pages as bytes, so an OCR worker on another machine can hand them back.

A bundle is a NumPy ``.npz`` (pixel arrays, loaded with ``allow_pickle=False``: a bundle from
the network can hold arrays and nothing executable) plus one JSON member with everything else.
It round-trips a ``CleanPage`` field by field (arrays as arrays, the rest as JSON, so fields
clean-up adds later travel too), its original page (for the archive), and the OCR text with
its word and line boxes.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import numpy as np

from scanning.clean import CleanPage
from scanning.images import Page
from scanning.ocr import PageText
from scanning.quality import QualityNote
from scanning.words import Word

META = "meta.json"


def to_bundle(pages: Sequence[tuple[CleanPage, PageText]]) -> bytes:
    arrays: dict[str, np.ndarray] = {}
    meta: list[dict[str, Any]] = []
    for index, (tidy, text) in enumerate(pages):
        arrays[f"page.pixels{index}"] = tidy.page.pixels
        item: dict[str, Any] = {
            "page": {"source": tidy.page.source, "number": tidy.page.number,
                     "dpi": tidy.page.dpi},
            "quality": [note.as_dict() for note in tidy.quality],
            "text": {**text.as_dict(), "lines": [list(box) for box in text.lines]},
            "arrays": [], "fields": {}}
        for name in _plain_fields():
            value = getattr(tidy, name)
            if isinstance(value, np.ndarray):
                arrays[f"{name}{index}"] = value
                item["arrays"].append(name)
            else:
                item["fields"][name] = value  # scalars (dpi, angles, flags) or None
        meta.append(item)
    arrays[META] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), np.uint8)
    out = io.BytesIO()
    np.savez_compressed(out, **arrays)  # type: ignore[arg-type]
    return out.getvalue()


def from_bundle(data: bytes) -> list[tuple[CleanPage, PageText]]:
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        meta = json.loads(arrays[META].tobytes())
        pages = []
        for index, item in enumerate(meta):
            source = item["page"]
            page = Page(pixels=arrays[f"page.pixels{index}"], source=source["source"],
                        number=source["number"], dpi=source["dpi"])
            values = {**item["fields"],
                      **{name: arrays[f"{name}{index}"] for name in item["arrays"]}}
            tidy = CleanPage(page=page, quality=[QualityNote(n["code"], n["message"])
                                                 for n in item["quality"]], **values)
            pages.append((tidy, _page_text(item["text"])))
    return pages


def _plain_fields() -> list[str]:
    """CleanPage's fields other than the page and its notes, whatever clean-up adds later."""
    return [f.name for f in fields(CleanPage) if f.name not in ("page", "quality")]


def _page_text(item: dict[str, Any]) -> PageText:
    return PageText(label=item["label"], text=item["text"], confidence=item["confidence"],
                    words=tuple(Word(*w) for w in item["words"]), seconds=item["seconds"],
                    quarter_turns=item["quarter_turns"], error=item["error"],
                    lines=tuple((a, b, c, d) for a, b, c, d in item["lines"]))
