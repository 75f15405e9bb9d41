"""What every printed paper shares: the DejaVu Serif fonts, paragraph styles, the heading of
an administrative form, dates written out in Vietnamese, and the two symbols of a dossier code.

Only the two faces of Debian's ``fonts-dejavu-core`` are used (regular and bold), so a machine
set up by scripts/run.sh prints every paper. The Code 128 modules are 0.25 mm (10 mil, what a
counter's barcode gun reads) and the QR code is 24 mm with its quiet zone: both decode from a
200 dpi scan.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, Table, TableStyle
from reportlab.platypus.flowables import Flowable, HRFlowable

from tracker.slips.documents import Issuer

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
REGULAR, BOLD = "DejaVuSerif", "DejaVuSerif-Bold"
FONTS = {REGULAR: "DejaVuSerif.ttf", BOLD: "DejaVuSerif-Bold.ttf"}
FONT_ALL = ("FONT", (0, 0), (-1, -1), REGULAR)  # else a Table names Helvetica, unembedded
BAR_WIDTH = 0.25 * mm
BAR_HEIGHT = 10 * mm
QR_SIZE = 24 * mm
Align = Literal["left", "centre", "right", "justify"]
ALIGNMENTS: dict[str, Literal[0, 1, 2, 4]] = {"left": TA_LEFT, "centre": TA_CENTER,
                                              "right": TA_RIGHT, "justify": TA_JUSTIFY}


class FontMissing(Exception):
    """A font file is missing; the message says which Debian package installs it."""

    code = "slip_failure"
    exit_code = 1
    http_status = 500


def register_fonts(font_dir: Path = FONT_DIR) -> None:
    if set(FONTS) <= set(pdfmetrics.getRegisteredFontNames()):
        return
    for name, file in FONTS.items():
        path = font_dir / file
        if not path.is_file():
            raise FontMissing(f"{path} is missing: install the Debian package "
                              "fonts-dejavu-core")
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR,
                                  boldItalic=BOLD)


def style(size: float, bold: bool = False, align: Align = "left",
          leading: float | None = None, indent: float = 0, space_after: float = 0
          ) -> ParagraphStyle:
    return ParagraphStyle(
        f"paper-{size}-{bold}-{align}-{indent}", fontName=BOLD if bold else REGULAR,
        fontSize=size, leading=leading or size * 1.3, alignment=ALIGNMENTS[align],
        leftIndent=indent, spaceAfter=space_after)


def text(value: Any) -> str:
    """``value`` escaped for a Paragraph; a dotted blank, as on the form, when there is none."""
    return "…………" if value is None or value == "" else escape(str(value))


def date_words(day: date) -> str:
    """``ngày 05 tháng 02 năm 2026``: days before the 10th and the months 1 and 2 with a
    leading zero, as Decree 30/2020/NĐ-CP writes dates in administrative documents."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def time_words(moment: datetime) -> str:
    """``09 giờ 05 phút, ngày 10 tháng 3 năm 2026``."""
    return f"{moment:%H} giờ {moment:%M} phút, {date_words(moment.date())}"


def rule(width: float) -> HRFlowable:
    """The short line under a heading (below the diacritics, unlike an underline)."""
    return HRFlowable(width=width, thickness=0.6, color=colors.black, spaceBefore=1,
                      spaceAfter=1)


def heading(issuer: Issuer, day: date, width: float, form: str, size: float = 7.5
            ) -> Table:
    """The form's head: the issuing office on the left, the national motto on the right
    with the place and date under it, and the form's number above them."""
    left_width = width * 0.46
    block = Table([
        ["", Paragraph(form, style(size - 0.5, align="right"))],
        [[Paragraph(text(issuer.superior.upper()), style(size, align="centre")),
          Paragraph(text(issuer.name.upper()), style(size, bold=True, align="centre")),
          rule(20 * mm)],
         [Paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", style(size, True, "centre")),
          Paragraph("Độc lập - Tự do - Hạnh phúc", style(size + 0.5, True, "centre")),
          rule(40 * mm),
          Paragraph(f"{text(issuer.place)}, {date_words(day)}", style(size, align="centre"))]],
    ], colWidths=(left_width, width - left_width))
    block.setStyle(TableStyle([FONT_ALL, ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 1),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 1),
                               ("TOPPADDING", (0, 0), (-1, -1), 0),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    return block


def symbols(code: str, url: str, width: float, size: float = 8) -> Table:
    """The dossier code as Code 128 with the code printed under it, and the QR code of
    ``url`` (the public lookup) beside it."""
    bars = Code128(code, barWidth=BAR_WIDTH, barHeight=BAR_HEIGHT, quiet=True)
    widget = QrCodeWidget(url, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    qr = Drawing(QR_SIZE, QR_SIZE, transform=[QR_SIZE / (right - left), 0, 0,
                                              QR_SIZE / (top - bottom), 0, 0])
    qr.add(widget)
    linear = [bars, Paragraph(f"Mã hồ sơ: <b>{escape(code)}</b>", style(size, align="centre"))]
    caption = Paragraph("Tra cứu hồ sơ", style(size - 1.5, align="centre"))
    table = Table([[linear, [qr, caption]]], colWidths=(width - QR_SIZE - 4 * mm,
                                                        QR_SIZE + 4 * mm))
    table.setStyle(TableStyle([FONT_ALL, ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                               ("TOPPADDING", (0, 0), (-1, -1), 0),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    return table


def signatures(blocks: list[tuple[str, str, str]], width: float, size: float = 8.5
               ) -> Table:
    """Signature blocks side by side: each a title, what to sign, then the name printed
    under the space left for the signature; a block without a title keeps its place empty."""
    cells: list[list[Flowable] | str] = [[
        Paragraph(title, style(size, bold=True, align="centre")),
        Paragraph(f"({how})", style(size - 1.5, align="centre")),
        Paragraph("&nbsp;", style(size, leading=12 * mm)),
        Paragraph(f"<b>{text(name)}</b>" if name else "&nbsp;", style(size, align="centre"))]
        if title else "" for title, how, name in blocks]
    table = Table([cells], colWidths=[width / len(blocks)] * len(blocks))
    table.setStyle(TableStyle([FONT_ALL, ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table
