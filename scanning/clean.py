"""Page clean-up with OpenCV: the one module (with ``geometry`` and ``quality``) that imports cv2.

A scan yields four things here. The untouched original stays with the ``Page`` for the archive:
nothing hoso does can lose what the scanner saw. A straightened colour copy (turned upright,
deskewed, scanner borders cropped) is what people look at in the searchable PDF. The OCR copy is
grey: its level is the brightest of the three colour channels, so red seals and blue signatures
turn white and the black print under them stays; uneven light (scanner shadows, grey or yellowed
paper, faint photocopies) is divided out against a background estimate; table rules are erased.
Its Otsu-thresholded black-and-white version is kept beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from scanning.geometry import ANALYSIS_DPI, RULE_INCHES, find_geometry
from scanning.images import Page
from scanning.quality import QualityNote, assess, is_blank

# On the flattened copy (paper = 255), ink of even a faint photocopy is darker than this.
INK_LEVEL = 170
# A pixel whose channels differ by more than this is coloured ink (seal, signature, stamp),
# unless it is dark in every channel (black print under the seal).
COLOUR_INK = 60
# Paper lit less than this share of the page's typical paper is in a shadow, not readable.
SHADOW = 0.5
# Pages scanned coarser than this are enlarged for Tesseract, which reads small x-heights badly.
OCR_MIN_DPI = 200
# When the file gives no resolution, assume an A4 page filled the scan.
A4_LONG_INCHES = 11.69


@dataclass(frozen=True, eq=False)
class CleanPage:
    """A page made ready for OCR and for people, with what clean-up found about it.

    ``ocr_image`` is what Tesseract should read (``reading_copy()``): grey, light divided out,
    colour inks, deep shadow and table rules turned to paper. ``binary`` is its black-and-white
    version (0 ink, 255 paper). ``straight`` (BGR), ``binary`` and ``ocr_image`` share one
    geometry at ``ocr_dpi``, so word boxes found by OCR place the PDF's text layer on
    ``straight``.
    """

    page: Page
    straight: np.ndarray
    binary: np.ndarray
    ocr_dpi: float
    rotation: int
    skew: float
    blank: bool
    quality: list[QualityNote] = field(default_factory=list)
    ocr_image: np.ndarray | None = None

    def reading_copy(self) -> np.ndarray:
        """The image to hand Tesseract: ``ocr_image``, or ``binary`` for a page rebuilt
        without one (a bundle returned by an OCR worker)."""
        return self.ocr_image if self.ocr_image is not None else self.binary

    def turned(self, quarter_turns: int) -> CleanPage:
        """The same page turned by further quarter turns clockwise (a second opinion on which
        way up it is, when OCR reads too little the first way)."""
        code = {1: cv2.ROTATE_90_CLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_COUNTERCLOCKWISE}
        k = quarter_turns % 4
        if k == 0:
            return self
        return CleanPage(page=self.page, straight=cv2.rotate(self.straight, code[k]),
                         binary=cv2.rotate(self.binary, code[k]), ocr_dpi=self.ocr_dpi,
                         rotation=(self.rotation + 90 * k) % 360, skew=self.skew,
                         blank=self.blank, quality=self.quality,
                         ocr_image=None if self.ocr_image is None
                         else cv2.rotate(self.ocr_image, code[k]))

    def straight_jpeg(self, quality: int) -> bytes:
        """The straightened copy encoded as JPEG (what the searchable PDF shows)."""
        ok, jpeg = cv2.imencode(".jpg", self.straight, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise ValueError(f"{self.page.label}: the page image could not be encoded")
        return bytes(jpeg.tobytes())


def effective_dpi(page: Page) -> float:
    """The page's resolution, or the one an A4 sheet filling the scan would have."""
    if page.dpi:
        return float(page.dpi)
    return float(max(page.pixels.shape[:2])) / A4_LONG_INCHES


def clean(page: Page) -> CleanPage:
    """Straighten, crop, flatten and binarise ``page``; flag it blank or of poor quality."""
    dpi = effective_dpi(page)
    pixels = page.pixels
    blue, green, red = cv2.split(pixels)
    text_grey = cv2.max(cv2.max(blue, green), red)  # red and blue inks turn light...
    all_grey = cv2.min(cv2.min(blue, green), red)  # every mark counts, whatever its colour
    colour = cv2.subtract(text_grey, all_grey)
    text_grey[(colour > COLOUR_INK) & (text_grey > 100)] = 255  # ...and then paper
    # The lid's and the glass's dark bands run along the scanner's frame, not the paper's:
    # they are cut before anything is turned.
    crop = _crop_box(all_grey)
    pixels, text_grey, all_grey = pixels[crop], text_grey[crop], all_grey[crop]
    background = _background(all_grey, dpi)
    flat_all = _divide(all_grey, background)
    blank = is_blank(flat_all, dpi)
    text_paper = _background(text_grey, dpi)
    flat_text = _divide(text_grey, text_paper)
    # Deep shadow (the lid's edge, a book's gutter): too little light left to tell ink from
    # noise, and dividing it out would turn the noise into letters.
    flat_text[text_paper < SHADOW * float(np.median(text_paper[::8, ::8]))] = 255
    scale = ANALYSIS_DPI / dpi
    small = cv2.resize(flat_text, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    geometry = find_geometry(small < INK_LEVEL) if not blank else None
    rotation = geometry.rotation if geometry else 0
    skew = geometry.skew if geometry else 0.0
    ocr_dpi = max(dpi, OCR_MIN_DPI)
    grow = ocr_dpi / dpi
    straight = _straighten(pixels, rotation, skew, grow, (255, 255, 255))
    flat = _straighten(flat_text, rotation, skew, grow, 255)
    _, binary = cv2.threshold(flat, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    rules = _rules(binary, ocr_dpi)
    # Tesseract gets the flattened grey with the rules whitened, not the black-and-white copy:
    # its LSTM reads the grey edges of tone marks better (1-2 points of word recall on 150-200
    # dpi pages, see docs/DESIGN-NOTES.md), and it thresholds for layout itself.
    ocr_image = cv2.bitwise_or(flat, rules)
    binary = cv2.bitwise_or(binary, rules)
    quality = assess(page.dpi, all_grey, background, dpi)
    return CleanPage(page=page, straight=straight, binary=binary, ocr_dpi=ocr_dpi,
                     rotation=rotation, skew=skew, blank=blank, quality=quality,
                     ocr_image=ocr_image)


def _background(grey: np.ndarray, dpi: float) -> np.ndarray:
    """Paper brightness everywhere: ink removed by a dilation wider than a stroke, smoothed.

    Computed on a quarter-size copy; the kernel (~6 mm) is wider than a character, so what it
    leaves is paper.
    """
    small = cv2.resize(grey, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    size = max(3, int(dpi * 0.25 / 25.4 * 6) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    paper = cv2.dilate(small, kernel)
    paper = cv2.medianBlur(paper, 2 * size + 1 if 2 * size + 1 <= 255 else 255)
    return cv2.resize(paper, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)


def _divide(grey: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Ink relative to its own paper: uneven light and tinted paper become white."""
    return cv2.divide(grey, np.maximum(background, 1), scale=255)


def _straighten(image: np.ndarray, rotation: int, skew: float, grow: float,
                fill: int | tuple[int, int, int]) -> np.ndarray:
    turns = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180,
             270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    if rotation:
        image = cv2.rotate(image, turns[rotation])
    if grow != 1.0:
        image = cv2.resize(image, None, fx=grow, fy=grow, interpolation=cv2.INTER_CUBIC)
    if abs(skew) < 0.05:
        return image
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), skew, 1.0)
    return cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=fill)


def _rules(binary: np.ndarray, dpi: float) -> np.ndarray:
    """White (255) where table rules and long underlines are, black elsewhere: Tesseract takes
    a ruled table for one picture and drops the figures in it. A rule is a run of ink longer
    than ``RULE_INCHES`` one stroke thin; letters are never that long."""
    ink = cv2.bitwise_not(binary)
    length = max(15, int(RULE_INCHES * dpi))
    rules = cv2.bitwise_or(
        cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT,
                                                                         (length, 1))),
        cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT,
                                                                         (1, length))))
    return cv2.dilate(rules, np.ones((3, 3), np.uint8))


def _crop_box(grey: np.ndarray) -> tuple[slice, slice]:
    """Rows and columns to keep: dark bands along the edges (the scanner lid, the shadow of a
    page's edge or a book's gutter) are cut off; paper is never cut."""
    dark = grey < 96
    rows = dark.mean(axis=1) > 0.6
    cols = dark.mean(axis=0) > 0.6
    top = _run(rows)
    bottom = len(rows) - _run(rows[::-1])
    left = _run(cols)
    right = len(cols) - _run(cols[::-1])
    if bottom - top < len(rows) // 2 or right - left < len(cols) // 2:
        return slice(None), slice(None)
    return slice(top, bottom), slice(left, right)


def _run(flags: np.ndarray) -> int:
    """Length of the run of ``True`` at the start of ``flags``."""
    off = np.flatnonzero(~flags)
    return int(off[0]) if len(off) else len(flags)
