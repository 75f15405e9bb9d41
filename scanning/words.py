"""A word as Tesseract read it: what OCR hands on, and what the second look reads again."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Word:
    """One recognised word and its box in the OCR image's pixels (top-left origin)."""

    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float
    line: int
