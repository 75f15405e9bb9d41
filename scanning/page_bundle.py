"""Cleaned and OCR'd pages as bytes, so an OCR worker on another machine can hand them back.

A bundle is a NumPy ``.npz`` (pixel arrays, loaded with ``allow_pickle=False``: a bundle from
the network can hold arrays and nothing executable) plus one JSON member with everything else.
It round-trips exactly what the station needs from ``prepare_pages``: the original page (for the
archive), the straightened and binarised copies, geometry, blank flag, quality notes and the
OCR text with its word and line boxes.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from scanning.clean import CleanPage
from scanning.images import Page
from scanning.ocr import PageText, Word
from scanning.quality import QualityNote

META = "meta.json"


def to_bundle(pages: Sequence[tuple[CleanPage, PageText]]) -> bytes:
    arrays: dict[str, np.ndarray] = {}
    meta: list[dict[str, Any]] = []
    for index, (tidy, text) in enumerate(pages):
        arrays[f"original{index}"] = tidy.page.pixels
        arrays[f"straight{index}"] = tidy.straight
        arrays[f"binary{index}"] = tidy.binary
        meta.append({
            "page": {"source": tidy.page.source, "number": tidy.page.number,
                     "dpi": tidy.page.dpi},
            "ocr_dpi": tidy.ocr_dpi, "rotation": tidy.rotation, "skew": tidy.skew,
            "blank": tidy.blank, "quality": [note.as_dict() for note in tidy.quality],
            "text": {**text.as_dict(), "lines": [list(box) for box in text.lines]}})
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
            page = Page(pixels=arrays[f"original{index}"], source=source["source"],
                        number=source["number"], dpi=source["dpi"])
            tidy = CleanPage(page=page, straight=arrays[f"straight{index}"],
                             binary=arrays[f"binary{index}"], ocr_dpi=item["ocr_dpi"],
                             rotation=item["rotation"], skew=item["skew"],
                             blank=item["blank"],
                             quality=[QualityNote(n["code"], n["message"])
                                      for n in item["quality"]])
            pages.append((tidy, _page_text(item["text"])))
    return pages


def _page_text(item: dict[str, Any]) -> PageText:
    return PageText(label=item["label"], text=item["text"], confidence=item["confidence"],
                    words=tuple(Word(*w) for w in item["words"]), seconds=item["seconds"],
                    quarter_turns=item["quarter_turns"], error=item["error"],
                    lines=tuple((a, b, c, d) for a, b, c, d in item["lines"]))
