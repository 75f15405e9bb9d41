"""A second look at the words of a form that Tesseract read unsurely, each on its own.

In a page's layout Tesseract reads a table cell's word with the cell's neighbours as context,
and on a form that context is rules, leaders and a seal's remains: a figure set against a rule
comes out "o" for "5", a hooked capital "CÂU" for "CẦU". Cut from the page with a margin and read
as a line of its own, the same ink is read right, and more surely. The words are stacked on one
image, so a page costs one more Tesseract run, not one per word. A new reading replaces the old
only when it is one word, read as surely as a clean page's words and different in its letters;
its leading and trailing punctuation stays as first read.

This module only lays the words out and judges the readings; ``scanning.ocr`` runs Tesseract.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scanning.syllables import EDGES
from scanning.words import Word

UNSURE_CONFIDENCE = 80.0
"""Words read less surely than this get the second look (a clean page's words score 90-96)."""
SURE_CONFIDENCE = 90.0
"""A second reading replaces the first only when this sure, as surely as a clean page's words
are read: on a 150 dpi fax a hooked capital read again alone ("ỦY" as "ÙY", 87) and junk from a
signature (21-53) fall short of it, a figure cut free of its cell's rule (96) does not."""
MOST_WORDS = 40
"""At most this many words a page get the look, the least sure: a page of junk (a photograph,
a smudge read as letters) would otherwise stack into an image as large as the page."""
INSET = 20
"""Pixels of paper left of each word on the stacked image."""


@dataclass(frozen=True)
class Stack:
    """The unsure words' crops one under another on white, and the band of rows each fills."""

    image: np.ndarray
    bands: tuple[tuple[int, int], ...]

    def band_of(self, top: int, height: int) -> int | None:
        """Which word a reading whose box is ``top``/``height`` belongs to, by its middle."""
        middle = top + height / 2
        for index, (start, end) in enumerate(self.bands):
            if start <= middle < end:
                return index
        return None


def unsure(words: Sequence[Word]) -> list[int]:
    """Which of ``words`` (their indexes, in order) get the look: those read with confidence
    under ``UNSURE_CONFIDENCE`` and no taller than twice the page's typical word (a taller box
    is a mark read as letters), the ``MOST_WORDS`` least sure."""
    if not words:
        return []
    typical = float(np.median([word.height for word in words]))
    chosen = [i for i, word in enumerate(words)
              if word.confidence < UNSURE_CONFIDENCE and word.height <= 2 * typical]
    return sorted(sorted(chosen, key=lambda i: words[i].confidence)[:MOST_WORDS])


def stack(page: np.ndarray, words: Sequence[Word]) -> Stack:
    """Each of ``words`` cut from ``page`` (grey) with a margin of a fifth of its height, set
    one under another with a word's height of paper between, so Tesseract takes each for a
    line of its own."""
    crops = []
    for word in words:
        pad = max(4, word.height // 5)
        crops.append(page[max(0, word.top - pad): word.top + word.height + pad,
                          max(0, word.left - pad): word.left + word.width + pad])
    tallest = max(crop.shape[0] for crop in crops)
    widest = max(crop.shape[1] for crop in crops)
    gap = tallest
    image = np.full((gap + len(crops) * (tallest + gap), widest + 2 * INSET), 255, np.uint8)
    bands = []
    for index, crop in enumerate(crops):
        top = gap + index * (tallest + gap)
        image[top:top + crop.shape[0], INSET:INSET + crop.shape[1]] = crop
        bands.append((top - gap // 2, top + tallest + gap // 2))
    return Stack(image=image, bands=tuple(bands))


def better_reading(first: Word, readings: Sequence[tuple[str, float]]) -> tuple[str, float] | None:
    """The word's text and confidence as read the second time, or None to keep the first
    reading: the second must be one word, at least ``SURE_CONFIDENCE`` sure, and differ in
    its letters."""
    if len(readings) != 1:
        return None
    text, confidence = readings[0]
    was, now = _core(first.text), _core(text)
    if not now or now == was or confidence < SURE_CONFIDENCE:
        return None
    return (first.text.replace(was, now, 1) if was else now), confidence


def _core(text: str) -> str:
    """``text`` without its leading and trailing punctuation."""
    edges = EDGES.fullmatch(text)
    return edges["core"] if edges is not None else text
