"""Searchable PDF of a dossier: each page's straightened image under an invisible text layer.

reportlab draws the page image and, over each OCR line, the line's NFC text in render mode 3
(invisible) with an embedded TrueType font that has every Vietnamese glyph, stretched to the
line's width. Its ToUnicode maps give the characters back exactly, so ``pdftotext`` of the PDF is
the OCR text (diacritics included): the test that other tools' text layers fail.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from scanning.clean import CleanPage
from scanning.ocr import PageText

FONT_NAME = "HosoTextLayer"
FONT_FILES = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
              Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"))
JPEG_QUALITY = 80
# A line's text is stretched to the width Tesseract found it at, but never beyond this: a table
# row's cells are far apart, and stretching its few words across the row makes pdftotext read
# every word as a column of its own. Such a row's layer then covers its first cells only.
MAX_STRETCH = 1.3


def _register_font() -> str:
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        font = next((f for f in FONT_FILES if f.exists()), None)
        if font is None:
            raise FileNotFoundError("no TrueType font with Vietnamese glyphs: install "
                                    "fonts-dejavu-core or fonts-liberation2")
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(font)))
    return FONT_NAME


def searchable_pdf(pages: Sequence[tuple[CleanPage, PageText]]) -> bytes:
    """One PDF, a page per ``(clean page, its OCR)``, in the order given."""
    # reportlab wraps every stream in ASCII85 by default, in pure Python here: ~0.9 s for one
    # 300 dpi page image. Binary streams are as valid and a fifth smaller.
    saved, rl_config.useA85 = rl_config.useA85, 0
    try:
        return _pdf(pages)
    finally:
        rl_config.useA85 = saved


def joined_pdf(documents: Sequence[bytes]) -> bytes:
    """``documents`` (``searchable_pdf``'s) as one PDF, their pages in the order given. Pages
    are copied as they are: nothing is typeset or compressed again."""
    if len(documents) == 1:
        return documents[0]
    writer = PdfWriter()
    for document in documents:
        writer.append(PdfReader(io.BytesIO(document)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pdf(pages: Sequence[tuple[CleanPage, PageText]]) -> bytes:
    font = _register_font()
    out = io.BytesIO()
    canvas = Canvas(out, pageCompression=1, invariant=True)  # same pages, same bytes
    canvas.setTitle("hoso scanned dossier")
    for cleaned, text in pages:
        shown = cleaned.turned(text.quarter_turns)
        height_px, width_px = shown.straight.shape[:2]
        points = 72.0 / shown.ocr_dpi
        width, height = width_px * points, height_px * points
        canvas.setPageSize((width, height))
        canvas.drawImage(_Jpeg(shown.straight_jpeg(JPEG_QUALITY)), 0, 0, width, height)
        _text_layer(canvas, font, text, points, height)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


class _Jpeg:
    """A page's JPEG as reportlab's ``drawImage`` takes it with no work: embedded as it is
    (``jpeg_fh``, DCTDecode) and named by its digest (``str``). Handed an ``ImageReader``
    instead, reportlab decodes the JPEG and hashes every pixel to name it, about 50 ms
    for a 300 dpi page."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.name = f"jpeg-{hashlib.sha256(data).hexdigest()}"

    def jpeg_fh(self) -> io.BytesIO:
        return io.BytesIO(self.data)

    def __str__(self) -> str:
        return self.name


def _text_layer(canvas: Canvas, font: str, text: PageText, points: float,
                page_height: float) -> None:
    by_line: dict[int, list[str]] = {}
    for word in text.words:
        by_line.setdefault(word.line, []).append(word.text)
    for line, words in sorted(by_line.items()):
        left, top, width, height = text.lines[line]
        string = " ".join(words)
        size = max(1.0, height * points * 0.8)
        natural = pdfmetrics.stringWidth(string, font, size)
        layer = canvas.beginText()
        layer.setTextRenderMode(3)
        layer.setFont(font, size)
        if natural > 0:
            layer.setHorizScale(100.0 * min(MAX_STRETCH, width * points / natural))
        layer.setTextOrigin(left * points, page_height - (top + height) * points + size * 0.2)
        layer.textOut(string)
        canvas.drawText(layer)
