"""A bag's manifest (danh sách hồ sơ trong túi chuyển) as an A4 PDF.

It carries the bag's own code as Code 128, so the courier's page hands the bag over and the
destination accepts it with one scan; then the offices, who made it and who carries it, one row
per dossier with the page count of its last scan, and the three signatures of the paper
handover (who gives, who carries, who receives).
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from tracker.domain.calendar import LOCAL_TZ
from tracker.domain.province import Province
from tracker.slips.documents import issuer_of, office_name
from tracker.slips.layout import (
    BAR_HEIGHT,
    BAR_WIDTH,
    FONT_ALL,
    REGULAR,
    heading,
    register_fonts,
    signatures,
    style,
    text,
)

MARGIN = 15 * mm
WIDTH = A4[0] - 2 * MARGIN - 12  # the frame's 6 pt paddings
TITLE = "DANH SÁCH HỒ SƠ TRONG TÚI CHUYỂN"
STATES = {"open": "đang đóng túi", "handed_over": "đã bàn giao cho người vận chuyển",
          "accepted": "đã tiếp nhận tại nơi đến"}


def render_manifest(bag: dict[str, Any], province: Province) -> bytes:
    """``bag`` (as tracker.bags.bag_document gives it) as an A4 PDF."""
    register_fonts()
    buffer = io.BytesIO()
    made = datetime.fromisoformat(bag["created_at"]).astimezone(LOCAL_TZ)
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=12 * mm,
        bottomMargin=12 * mm, title=f"Túi chuyển {bag['bag']}", author="hoso", creator="hoso",
        initialFontName=REGULAR, lang="vi")
    staff = province.staff

    def who(staff_id: str | None) -> str:
        if staff_id is None:
            return ""
        return f"{staff[staff_id].name} ({staff_id})" if staff_id in staff else staff_id

    bars = Code128(bag["bag"], barWidth=BAR_WIDTH * 1.4, barHeight=BAR_HEIGHT * 1.4, quiet=True)
    facts = [
        ("Mã túi", f"<b>{text(bag['bag'])}</b>"),
        ("Nơi gửi", text(office_name(province, bag["office"]))),
        ("Nơi nhận", text(office_name(province, bag["to_office"]))),
        ("Người đóng túi", text(who(bag["created_by"]))),
        ("Người vận chuyển", text(who(bag["courier"]))),
        ("Tình trạng", text(STATES.get(bag["state"], bag["state"]))),
    ]
    story: list[Flowable] = [
        heading(issuer_of(province, bag["office"]), made.date(), WIDTH, "Túi chuyển", 8),
        Spacer(1, 4 * mm),
        Paragraph(TITLE, style(13, bold=True, align="centre", leading=16)),
        Spacer(1, 3 * mm),
        Table([[bars]], colWidths=(WIDTH,)),
        Paragraph(text(bag["bag"]), style(10, align="centre")),
        Spacer(1, 3 * mm),
        _facts(facts),
        Spacer(1, 4 * mm),
        _rows(bag),
        Spacer(1, 6 * mm),
        signatures([("NGƯỜI GIAO", "Ký, ghi rõ họ tên", who(bag["created_by"])),
                    ("NGƯỜI VẬN CHUYỂN", "Ký, ghi rõ họ tên", who(bag["courier"])),
                    ("NGƯỜI NHẬN", "Ký, ghi rõ họ tên", "")], WIDTH),
    ]
    document.build(story)
    return buffer.getvalue()


def _facts(facts: list[tuple[str, str]]) -> Table:
    table = Table([[Paragraph(label, style(9)), Paragraph(value, style(9))]
                   for label, value in facts], colWidths=(40 * mm, WIDTH - 40 * mm))
    table.setStyle(TableStyle([FONT_ALL, ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("TOPPADDING", (0, 0), (-1, -1), 1),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    return table


def _rows(bag: dict[str, Any]) -> Table:
    missing = set(bag["missing"])
    accepted = set(bag["accepted"])
    head = [Paragraph(f"<b>{h}</b>", style(9, align="centre"))
            for h in ("STT", "Mã hồ sơ", "Số trang", "Ghi chú")]
    rows: list[list[Any]] = [head]
    total = 0
    for number, item in enumerate(bag["dossiers"], start=1):
        pages = item["pages"]
        total += pages or 0
        note = ("thiếu khi nhận" if item["code"] in missing
                else "đã nhận" if item["code"] in accepted else "")
        rows.append([Paragraph(str(number), style(9, align="centre")),
                     Paragraph(text(item["code"]), style(9)),
                     Paragraph(str(pages) if pages else "chưa số hóa", style(9, align="right")),
                     Paragraph(note, style(9))])
    rows.append([Paragraph("", style(9)),
                 Paragraph(f"<b>Cộng: {len(bag['dossiers'])} hồ sơ</b>", style(9)),
                 Paragraph(f"<b>{total}</b>", style(9, align="right")), Paragraph("", style(9))])
    widths = (12 * mm, 75 * mm, 25 * mm)
    table = Table(rows, colWidths=(*widths, WIDTH - sum(widths)), repeatRows=1)
    table.setStyle(TableStyle([FONT_ALL, ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return table
