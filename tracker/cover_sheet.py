"""The cover sheet a dossier is scanned behind: its code as Code 128 and QR, printed by hoso.

hoso has no receipt-slip PDF yet, so this small sheet is what the operator puts on top of each
dossier in the feeder; the station splits the batch where it reads one. The symbols come from
reportlab's own barcode module (the tests read covers drawn by Debian's zint as well, so the
reader is not tested only against this writer). Text is set in DejaVu Sans, embedded, so the
applicant's name keeps its diacritics. Code 128 modules are 0.33 mm, QR modules 0.7 mm with its
quiet zone: both read at 150–300 dpi.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT = "DejaVuSans"
FONT_FILE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
QR_SIZE = 40 * mm


def cover_sheet_pdf(status: dict[str, Any]) -> bytes:
    """One A4 page for the dossier ``status`` describes (code, applicant, procedure, due)."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE)))
    code = status["code"]
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    canvas.setTitle(f"Cover sheet {code}")
    width, height = A4
    canvas.setFont(FONT, 16)
    canvas.drawCentredString(width / 2, height - 30 * mm, "TỜ BÌA HỒ SƠ — SỐ HÓA")
    barcode = Code128(code, barWidth=0.33 * mm, barHeight=18 * mm, quiet=True)
    barcode.drawOn(canvas, (width - barcode.width) / 2, height - 70 * mm)
    canvas.setFont(FONT, 13)
    canvas.drawCentredString(width / 2, height - 78 * mm, code)
    widget = QrCodeWidget(code, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(QR_SIZE, QR_SIZE, transform=[QR_SIZE / (right - left), 0, 0,
                                                   QR_SIZE / (top - bottom), 0, 0])
    drawing.add(widget)
    drawing.drawOn(canvas, (width - QR_SIZE) / 2, height - 130 * mm)
    canvas.setFont(FONT, 11)
    lines = [f"Người nộp: {status.get('applicant_name', '')}",
             f"Thủ tục: {status.get('procedure', '')}",
             f"Nơi tiếp nhận: {status.get('receiving_office', '')}",
             f"Ngày hẹn trả: {status.get('due', '')}",
             "Đặt tờ này lên trên hồ sơ khi quét; các trang sau thuộc hồ sơ này."]
    for number, line in enumerate(lines):
        canvas.drawString(25 * mm, height - (150 + 8 * number) * mm, line)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
