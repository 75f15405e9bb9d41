"""The office's dossier register (Sổ theo dõi hồ sơ, Mẫu 06) as an A4 landscape PDF.

The form's table: its fourteen columns, the five dates grouped under "Ngày, tháng, năm", the
columns numbered (1)…(14) under the headings, and the heading rows repeated on every page. The
period and the number of dossiers are printed above the table, the page number under it.
"""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from tracker.slips.layout import FONT_ALL, REGULAR, heading, register_fonts, style, text
from tracker.slips.register import DATE_COLUMNS, HEADINGS, Register, cells

PAGE = landscape(A4)
MARGIN = 10 * mm
WIDTH = PAGE[0] - 2 * MARGIN - 12  # the frame's 6 pt paddings
TITLE = "SỔ THEO DÕI HỒ SƠ"
FIXED = tuple(w * mm for w in (7, 37, 36, 9, 26, 22, 28, 15, 15, 15, 15, 15, 11))
WIDTHS = (*FIXED, WIDTH - sum(FIXED))
"""Column widths: the code and each date on one line, the notes take what is left."""
SIZE = 6.5


def render_register(register: Register) -> bytes:
    """The register as an A4 landscape PDF."""
    register_fonts()
    buffer = io.BytesIO()
    period = f"từ ngày {register.start:%d/%m/%Y} đến ngày {register.end:%d/%m/%Y}"
    document = SimpleDocTemplate(
        buffer, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=9 * mm,
        bottomMargin=12 * mm, title=f"Sổ theo dõi hồ sơ {register.issuer.name} {period}",
        author="hoso", subject="Mẫu số 06 Thông tư 01/2018/TT-VPCP", creator="hoso",
        initialFontName=REGULAR, lang="vi")

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(MARGIN, 7 * mm, f"{register.issuer.name} — sổ theo dõi hồ sơ {period}")
        canvas.drawRightString(PAGE[0] - MARGIN, 7 * mm, f"Trang {doc.page}")
        canvas.restoreState()

    story: list[Flowable] = [
        heading(register.issuer, register.made_at.date(), WIDTH * 0.62, "Mẫu số 06", 8),
        Spacer(1, 3 * mm),
        Paragraph(TITLE, style(13, bold=True, align="centre", leading=16)),
        Paragraph(f"{text(register.issuer.name)}, {period}", style(9, align="centre")),
        Paragraph(f"Số hồ sơ tiếp nhận: {len(register.rows)}", style(8.5, align="centre")),
        Spacer(1, 3 * mm), _table(register)]
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _table(register: Register) -> Table:
    head = style(SIZE, bold=True, align="centre", leading=SIZE * 1.2)
    cell, centre = style(SIZE, leading=SIZE * 1.25), style(SIZE, align="centre",
                                                             leading=SIZE * 1.25)
    dates = HEADINGS.index(DATE_COLUMNS[0])
    top: list[Flowable | str] = [Paragraph(h, head) for h in HEADINGS]
    top[dates:dates + len(DATE_COLUMNS)] = [Paragraph("Ngày, tháng, năm", head),
                                            *[""] * (len(DATE_COLUMNS) - 1)]
    second: list[Flowable | str] = [""] * len(HEADINGS)
    second[dates:dates + len(DATE_COLUMNS)] = [Paragraph(h, head) for h in DATE_COLUMNS]
    numbers = [Paragraph(f"({n})", centre) for n in range(1, len(HEADINGS) + 1)]
    rows: list[list[Any]] = [top, second, numbers]
    centred = {0, 1, 3, *range(dates, dates + len(DATE_COLUMNS))}
    for number, row in enumerate(register.rows, 1):
        rows.append([Paragraph(text(value) if value else "", centre if n in centred else cell)
                     for n, value in enumerate(cells(row, number))])
    if not register.rows:
        rows.append([Paragraph("Không có hồ sơ nào được tiếp nhận trong kỳ.", cell),
                     *[""] * (len(HEADINGS) - 1)])
    spans = [("SPAN", (n, 0), (n, 1)) for n in range(len(HEADINGS))
             if not dates <= n < dates + len(DATE_COLUMNS)]
    table = Table(rows, colWidths=WIDTHS, repeatRows=3)
    table.setStyle(TableStyle([
        FONT_ALL, *spans,
        ("SPAN", (dates, 0), (dates + len(DATE_COLUMNS) - 1, 0)),
        *([("SPAN", (0, 3), (-1, 3))] if not register.rows else []),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 2), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table
