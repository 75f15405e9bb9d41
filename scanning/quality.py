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
# Ink whose darkest tenth is under this many grey levels below its paper is too faint (a
# readable grey photocopy is ~85; black print 200-255).
FAINT_INK = 60
# The gate looks at a copy at this resolution (cheap, and the same scale for every scan).
GATE_DPI = 150
# Sharpness: the steep end of the gradients next to ink over the ink's contrast. Crisp print
# scores 3.3-4.5 on the corpus (a 200 dpi page blurred by 0.8 px included); a page out of focus
# by 1.5 px at 150 dpi scores 2.3.
BLURRED = 2.8
# Blank test: marks are pixels this far under their paper; a page is blank when the sheet's own
# marks larger than a speck of dust cover less than this share of the page (one printed line
# of 13 pt covers about twice that).
MARK_CONTRAST = 28
BLANK_SHARE = 0.0002
NOTE_CODES = frozenset({"unknown-resolution", "implausible-resolution", "low-resolution",
                        "too-dark", "too-light", "blurred", "orientation-unsure"})


@dataclass(frozen=True)
class QualityNote:
    """One finding about a page: ``code`` (one of ``NOTE_CODES``) for programs and for the
    pages, which name it in the operator's language; ``message``, with its figures, for the
    CLI and the logs."""

    code: str
    message: str

    def __post_init__(self) -> None:
        if self.code not in NOTE_CODES:
            raise ValueError(f"unknown quality note code {self.code!r}")

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def is_blank(flat: np.ndarray, dpi: float) -> bool:
    """True when ``flat`` (any-colour ink divided by its paper) holds no mark of the sheet's own.

    What the scanner adds does not count: marks touching the image's edge (the lid's dark band
    at any edge, the dark glass around a sheet laid askew), specks under about 1 mm² (dust,
    noise), punch holes (round filled blobs 4-9 mm across near an edge), and show-through from
    the other side, which stays under ``MARK_CONTRAST`` once smoothed. A faint stamp, a single
    printed line or a signature is a mark: such a page is not blank.
    """
    scale = min(1.0, GATE_DPI / dpi)
    small = cv2.resize(flat, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    smooth = cv2.GaussianBlur(small, (5, 5), 0)
    marks = (smooth < 255 - MARK_CONTRAST).astype(np.uint8)
    count, _, stats, _ = components(marks)
    mm = GATE_DPI * min(1.0, dpi / GATE_DPI) / 25.4  # pixels per mm on the small copy
    height, width = marks.shape
    area = 0
    for i in range(1, count):
        left, top, w, h, size = (int(v) for v in stats[i])
        if size < mm * mm:  # dust or noise
            continue
        if left == 0 or top == 0 or left + w == width or top + h == height:
            continue  # the scanner's frame or the lid
        if _punch_hole(left, top, w, h, size, width, height, mm):
            continue
        area += size
    return area < BLANK_SHARE * marks.size


def components(marks: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """``cv2.connectedComponentsWithStats`` (8-connected) with 16-bit labels, which OpenCV
    finds 2.5× as fast as 32-bit ones, unless the image has more marks than they can number
    (a speckled scan): OpenCV then refuses, and the 32-bit labels are used."""
    try:
        count, labels, stats, centres = cv2.connectedComponentsWithStats(
            marks, connectivity=8, ltype=cv2.CV_16U)
    except cv2.error:
        count, labels, stats, centres = cv2.connectedComponentsWithStats(
            marks, connectivity=8, ltype=cv2.CV_32S)
    return count, labels, stats, centres


def _punch_hole(left: int, top: int, w: int, h: int, size: int, width: int, height: int,
                mm: float) -> bool:
    """A filled round blob 4-9 mm across within 25 mm of an edge."""
    round_ = 4 * mm <= w <= 9 * mm and 4 * mm <= h <= 9 * mm and abs(w - h) <= 1.5 * mm
    filled = size > 0.6 * w * h
    margin = 25 * mm
    near = (left < margin or top < margin or width - (left + w) < margin
            or height - (top + h) < margin)
    return round_ and filled and near


def assess(dpi: float | None, grey: np.ndarray, background: np.ndarray,
           effective_dpi: float) -> list[QualityNote]:
    """Every reason to rescan this page: resolution, darkness, faint ink, blur. ``dpi`` is the
    file's claim and ``effective_dpi`` the resolution clean-up worked at (they differ when the
    claim is not believed). ``grey`` is the page's darkest channel and ``background`` its
    paper, both full size."""
    notes: list[QualityNote] = []
    if dpi is None:
        notes.append(QualityNote("unknown-resolution", "the file does not say its resolution; "
                                 "check the scanner is set to 200 dpi or more"))
    elif round(dpi) != round(effective_dpi):
        notes.append(QualityNote("implausible-resolution", f"the file says {dpi:g} dpi, which "
                                 "would make the page longer than any paper; read as an A4 "
                                 f"sheet at {effective_dpi:.0f} dpi"))
    elif dpi < MIN_DPI:
        notes.append(QualityNote("low-resolution", f"scanned at {dpi:g} dpi; rescan at "
                                 f"{MIN_DPI} dpi or more"))
    scale = min(1.0, GATE_DPI / effective_dpi)
    grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    paper = cv2.resize(background, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    paper_level = float(np.median(paper))
    if paper_level < DARK_PAPER:
        notes.append(QualityNote("too-dark", f"the paper scans at {paper_level:.0f}/255; rescan "
                                 "lighter or on clean glass"))
    darkness = paper.astype(np.int16) - grey
    ink = darkness > MARK_CONTRAST
    if ink.sum() > 0.002 * ink.size:
        contrast = float(np.percentile(darkness[ink], 90))
        if contrast < FAINT_INK:
            notes.append(QualityNote("too-light", f"the print is faint ({contrast:.0f} grey "
                                     "levels under the paper); rescan darker"))
        sharpness = _sharpness(grey, ink, contrast)
        if sharpness < BLURRED:
            notes.append(QualityNote("blurred", f"the print is blurred (sharpness "
                                     f"{sharpness:.2f}); rescan with the page flat on the glass"))
    return notes


def _sharpness(grey: np.ndarray, ink: np.ndarray, contrast: float) -> float:
    """Steepest edges next to ink relative to the ink's contrast, on the 150 dpi copy: a
    blurred edge spreads the same contrast over more pixels (a crisp one scores ~3)."""
    smooth = grey.astype(np.float32)
    magnitude = cv2.magnitude(cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3),
                              cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3))
    near = cv2.dilate(ink.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    strong = float(np.percentile(magnitude[near], 90))
    return strong / max(contrast, 1.0)
