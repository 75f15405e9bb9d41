"""The quality gate and the blank-page test: what the operator must know about a page.

Each finding is a ``QualityNote`` with a stable ``code`` and a message that says what to do. A
note never stops a page: the operator decides whether to rescan. Thresholds were set on the
generated corpus (tests/scanning/corpus.py) and are written down in docs/DESIGN-NOTES.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MIN_DPI = 200
# Paper darker than this (0-255) after the scanner's light: the scan is too dark to trust.
DARK_PAPER = 120
# Ink whose median contrast against its paper is under this many grey levels is too faint.
FAINT_INK = 60
# Sharpness: mean gradient at ink edges over their contrast, per pixel at 300 dpi.
BLURRED = 0.12
# Blank test: marks are pixels this far under their paper; a page is blank when its marks larger
# than a speck of dust cover less than this share of the page.
MARK_CONTRAST = 28
BLANK_SHARE = 0.0005


@dataclass(frozen=True)
class QualityNote:
    """One finding about a page: ``code`` for programs, ``message`` for the operator."""

    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def is_blank(flat: np.ndarray, dpi: float) -> bool:
    """True when ``flat`` (any-colour ink divided by its paper) has no mark bigger than dust.

    An off-white page with a faint stamp is not blank: the stamp is a large connected mark even
    when it is only a few tens of grey levels under the paper.
    """
    scale = min(1.0, 150 / dpi)
    small = cv2.resize(flat, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    smooth = cv2.GaussianBlur(small, (5, 5), 0)
    marks = (smooth < 255 - MARK_CONTRAST).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(marks, connectivity=8)
    dust = (1.0 * 150 / 25.4) ** 2  # a mark under about 1 mm² is dust or noise
    area = sum(int(stats[i, cv2.CC_STAT_AREA]) for i in range(1, count)
               if stats[i, cv2.CC_STAT_AREA] >= dust)
    return area < BLANK_SHARE * marks.size


def assess(dpi: float | None, grey: np.ndarray, background: np.ndarray, flat: np.ndarray,
           effective_dpi: float) -> list[QualityNote]:
    """Every reason to rescan this page: resolution, darkness, faint ink, blur."""
    notes: list[QualityNote] = []
    if dpi is None:
        notes.append(QualityNote("unknown-resolution", "the file does not say its resolution; "
                                 "check the scanner is set to 200 dpi or more"))
    elif dpi < MIN_DPI:
        notes.append(QualityNote("low-resolution", f"scanned at {dpi:g} dpi; rescan at "
                                 f"{MIN_DPI} dpi or more"))
    paper = float(np.median(background))
    if paper < DARK_PAPER:
        notes.append(QualityNote("too-dark", f"the paper scans at {paper:.0f}/255; rescan "
                                 "lighter or on clean glass"))
    ink = flat < 160
    if ink.any():
        contrast = float(np.median(background[ink].astype(np.int16) - grey[ink]))
        if contrast < FAINT_INK:
            notes.append(QualityNote("too-light", f"the print is faint ({contrast:.0f} grey "
                                     "levels under the paper); rescan darker"))
        sharpness = _sharpness(grey, ink, effective_dpi, contrast)
        if sharpness < BLURRED:
            notes.append(QualityNote("blurred", f"the print is blurred (sharpness "
                                     f"{sharpness:.2f}); rescan with the page flat on the glass"))
    return notes


def _sharpness(grey: np.ndarray, ink: np.ndarray, dpi: float, contrast: float) -> float:
    """Steepest edges near ink, relative to the ink's contrast, per 300-dpi pixel: a blurred
    edge spreads the same contrast over more pixels."""
    scale = min(1.0, 300 / dpi)
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ink_small = cv2.resize(ink.astype(np.uint8), None, fx=scale, fy=scale,
                           interpolation=cv2.INTER_NEAREST)
    smooth = cv2.GaussianBlur(small, (3, 3), 0).astype(np.float32)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = cv2.magnitude(gx, gy)
    near = cv2.dilate(ink_small, np.ones((3, 3), np.uint8)) > 0
    if not near.any() or contrast <= 0:
        return 1.0
    edges = magnitude[near]
    strong = np.percentile(edges, 90)
    per_pixel = 300 / min(dpi, 300)  # coarser scans have steeper edges per pixel
    return float(strong / (8 * max(contrast, 1.0)) / per_pixel)
