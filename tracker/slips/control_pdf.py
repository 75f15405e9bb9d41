"""The process control slip (Phiếu kiểm soát quá trình giải quyết hồ sơ) as a PDF, proofs attached.

The printed paper of the custody export (reportlab lays the slip out, pypdf attaches the JSON
export as ``hoso-export.json``, so ``hoso audit verify-export`` checks the PDF offline). Set in
DejaVu Sans (Debian ``fonts-dejavu-core``), embedded, so every Vietnamese diacritic renders and
stays in the text layer. Who handed over and who received come from the exported records
themselves; the verification result printed is the one the caller's offline check produced.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from pypdf import PdfReader, PdfWriter
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable, HRFlowable

from events.export.build import to_json
from events.export.files import ATTACHMENT
from events.export.offline import OfflineReport

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {"DejaVuSans": "DejaVuSans.ttf", "DejaVuSans-Bold": "DejaVuSans-Bold.ttf",
         "DejaVuSans-Oblique": "DejaVuSans-Oblique.ttf"}
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TITLE = "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"
VERIFIED = "Đã xác minh: nhật ký không bị sửa đổi"
NOT_VERIFIED = "KHÔNG XÁC MINH ĐƯỢC: nhật ký đã bị sửa đổi hoặc bằng chứng không khớp"
EVENT_NAMES = {
    "Received": "Tiếp nhận", "FeeCollected": "Thu phí, lệ phí", "Digitised": "Số hóa",
    "ComponentsReused": "Sử dụng lại giấy tờ đã số hóa",
    "HandedOver": "Bàn giao", "Accepted": "Nhận hồ sơ", "SupplementRequested": "Yêu cầu bổ sung",
    "SupplementReceived": "Nhận hồ sơ bổ sung", "Paused": "Tạm dừng",
    "Resumed": "Tiếp tục giải quyết", "Rescheduled": "Hẹn lại ngày trả", "Rejected": "Từ chối",
    "Resolved": "Có kết quả", "ResultReturned": "Trả kết quả", "Cancelled": "Hủy hồ sơ",
}
COLUMNS = ("STT", "Thời gian", "Nội dung", "Bên giao / người thực hiện", "Bên nhận",
           "Cơ quan, đơn vị", "Người giữ hồ sơ sau đó")
WIDTH = 173 * mm  # A4 less 16 mm margins and the frame's 6 pt paddings
WIDTHS = (9 * mm, 19 * mm, 26 * mm, 30 * mm, 27 * mm, 34 * mm, 28 * mm)
MAX_PROBLEMS_PRINTED = 8
_DASH = "—"
_FONT = ("FONT", (0, 0), (-1, -1), "DejaVuSans")  # else a Table names Helvetica, unembedded


class SlipError(Exception):
    """The slip cannot be rendered here (a font is missing); the message says what to install."""

    code = "slip_failure"
    exit_code = 1
    http_status = 500


@dataclass(frozen=True)
class Step:
    """One row of the slip: a custody step as the records state it."""

    time: str
    event: str
    giver: str
    receiver: str
    office: str
    custodian: str


def render_slip(document: Mapping[str, Any], report: OfflineReport,
                font_dir: Path = FONT_DIR) -> bytes:
    """The slip of ``document`` with ``report``'s verdict, the JSON export attached."""
    _register_fonts(font_dir)
    buffer = io.BytesIO()
    code = str(document["code"])
    page = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=14 * mm,
        bottomMargin=16 * mm, title=f"Phiếu kiểm soát quá trình giải quyết hồ sơ {code}",
        author="hoso", subject="Phiếu kiểm soát quá trình giải quyết hồ sơ", creator="hoso",
        initialFontName="DejaVuSans", lang="vi")

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("DejaVuSans", 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(16 * mm, 9 * mm, f"Mã hồ sơ {code}")
        canvas.drawRightString(A4[0] - 16 * mm, 9 * mm, f"Trang {doc.page}")
        canvas.restoreState()

    page.build(_story(document, report), onFirstPage=footer, onLaterPages=footer)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buffer.getvalue())))
    writer.add_attachment(ATTACHMENT, to_json(document))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _register_fonts(font_dir: Path) -> None:
    if set(FONTS) <= set(pdfmetrics.getRegisteredFontNames()):
        return
    for name, file in FONTS.items():
        path = font_dir / file
        if not path.is_file():
            raise SlipError(f"{path} is missing: install the Debian package fonts-dejavu-core")
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily("DejaVuSans", normal="DejaVuSans", bold="DejaVuSans-Bold",
                                  italic="DejaVuSans-Oblique", boldItalic="DejaVuSans-Bold")


def _style(size: float, bold: bool = False, centred: bool = False, colour: Any = colors.black,
           leading: float | None = None) -> ParagraphStyle:
    return ParagraphStyle(
        f"slip-{size}-{bold}-{centred}", fontName="DejaVuSans-Bold" if bold else "DejaVuSans",
        fontSize=size, leading=leading or size * 1.3, alignment=TA_CENTER if centred else 0,
        textColor=colour, bulletFontName="DejaVuSans")


def _story(document: Mapping[str, Any], report: OfflineReport) -> list[Flowable]:
    states = [_state(event) for event in document["events"]]
    first = states[0] if states else {}
    due = next((s["due"] for s in reversed(states) if isinstance(s.get("due"), str)), None)
    header = Table([[
        [Paragraph(f"BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ<br/>{_text(first.get('office'))}",
                   _style(8.5, bold=True, centred=True)), _rule(22 * mm)],
        [Paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", _style(8.5, bold=True, centred=True)),
         Paragraph("Độc lập - Tự do - Hạnh phúc", _style(9, bold=True, centred=True)),
         _rule(48 * mm)],
    ]], colWidths=(79 * mm, WIDTH - 79 * mm))
    header.setStyle(TableStyle([_FONT, ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                ("ALIGN", (0, 0), (-1, -1), "CENTER")]))
    facts = Table([[Paragraph(label, _style(9)), Paragraph(value, _style(9, bold=True))]
                   for label, value in (
                       ("Người nộp hồ sơ:", _text(first.get("applicant_name"))),
                       ("Thủ tục hành chính:", _text(first.get("procedure"))),
                       ("Nơi tiếp nhận:", _text(first.get("office"))),
                       ("Cơ quan giải quyết:", _text(first.get("resolving_office"))),
                       ("Ngày hẹn trả kết quả:", _date(due)))],
                  colWidths=(42 * mm, WIDTH - 42 * mm))
    facts.setStyle(TableStyle([_FONT, ("TOPPADDING", (0, 0), (-1, -1), 1),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return [
        header, Spacer(1, 7 * mm),
        Paragraph(TITLE, _style(14, bold=True, centred=True, leading=18)),
        Paragraph(f"Mã hồ sơ: <b>{escape(str(document['code']))}</b>",
                  _style(11, centred=True, leading=16)),
        Spacer(1, 4 * mm), facts, Spacer(1, 4 * mm),
        _steps_table(_steps(document["events"], states), _flagged(document, report)),
        Spacer(1, 5 * mm),
        KeepTogether([_verdict(document, report), Spacer(1, 3 * mm), Paragraph(
            f"Tệp <b>{ATTACHMENT}</b> đính kèm trong PDF này chứa bản ghi gốc của từng sự kiện "
            "và các bằng chứng Merkle. Kiểm tra ngoại tuyến, không cần cơ sở dữ liệu: "
            "<b>hoso audit verify-export</b> &lt;tệp PDF&gt; <b>--public-key</b> "
            "&lt;khóa công khai&gt;.", _style(7.5, colour=colors.HexColor("#444444")))]),
    ]


def _rule(width: float) -> HRFlowable:
    """The short line set under a form's heading (below the diacritics, unlike an underline)."""
    return HRFlowable(width=width, thickness=0.6, color=colors.black, spaceBefore=1.5)


def _steps(events: list[Mapping[str, Any]], states: list[dict[str, Any]]) -> list[Step]:
    steps: list[Step] = []
    before: Any = None
    applicant = next((s["applicant_name"] for s in states if "applicant_name" in s), None)
    for event, state in zip(events, states, strict=True):
        kind, actor, office = event.get("type"), event.get("actor"), event.get("office")
        giver, receiver = actor, None
        if kind in ("Received", "SupplementReceived"):
            giver, receiver = applicant, actor
        elif kind == "HandedOver":
            receiver = state.get("carrier")
            office = f"{office or _DASH} → {state.get('to_office') or _DASH}"
        elif kind == "Accepted":
            giver, receiver = before, actor
        elif kind == "ResultReturned":
            receiver = "gửi qua dịch vụ bưu chính" if state.get("by_post") else applicant
        steps.append(Step(_time(event.get("time")), EVENT_NAMES.get(str(kind), str(kind)),
                          _text(giver), _text(receiver), _text(office),
                          _text(event.get("custodian"))))
        before = event.get("custodian") or before
    return steps


def _flagged(document: Mapping[str, Any], report: OfflineReport) -> set[int]:
    """The slip rows (1-based) of the events a problem names."""
    bad = {p.position for p in report.problems if p.position is not None}
    return {n for n, event in enumerate(document["events"], 1) if event.get("position") in bad}


def _steps_table(steps: list[Step], flagged: set[int]) -> Table:
    head = _style(7.5, bold=True, centred=True, leading=9.5)
    cell, centre = _style(8, leading=10), _style(8, centred=True, leading=10)
    rows: list[list[Any]] = [[Paragraph(name, head) for name in COLUMNS]]
    for n, step in enumerate(steps, 1):
        rows.append([Paragraph(str(n), centre), Paragraph(step.time, centre),
                     Paragraph(step.event, _style(8, bold=True, leading=10)),
                     *(Paragraph(value, cell) for value in (step.giver, step.receiver,
                                                            step.office, step.custodian))])
    table = Table(rows, colWidths=WIDTHS, repeatRows=1)
    table.setStyle(TableStyle([_FONT,
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        *(("BACKGROUND", (0, n), (-1, n), colors.HexColor("#fbe3e3")) for n in sorted(flagged)),
    ]))
    return table


def _verdict(document: Mapping[str, Any], report: OfflineReport) -> Table:
    good = colors.HexColor("#1b5e20") if report.valid else colors.HexColor("#b71c1c")
    lines: list[Flowable] = [
        Paragraph("KẾT QUẢ XÁC MINH NHẬT KÝ", _style(9, bold=True)),
        Paragraph(VERIFIED if report.valid else NOT_VERIFIED, _style(10, bold=True,
                                                                       colour=good)),
    ]
    cp = report.checkpoint
    facts = [
        ("Điểm kiểm tra (checkpoint):",
         _DASH if cp is None else f"{cp.size} bản ghi, ký lúc {_time(cp.time.isoformat(), ' ')}"),
        ("Dấu vân tay điểm kiểm tra:", _DASH if cp is None else f"<b>{cp.fingerprint}</b>"),
        ("Khóa xác minh:", escape(report.key)),
        ("Sự kiện có bằng chứng:", f"{report.proven} / {report.events}"),
    ]
    lines += [Paragraph(f"{label} {value}", _style(8.5)) for label, value in facts]
    if report.warnings:
        lines.append(Paragraph(
            f"{len(report.warnings)} sự kiện ghi sau điểm kiểm tra, chưa có chữ ký bảo đảm.",
            _style(8, colour=colors.HexColor("#8d6e00"))))
    shown = report.problems[:MAX_PROBLEMS_PRINTED]
    rows = {event.get("position"): n for n, event in enumerate(document["events"], 1)}
    lines += [Paragraph(f"• {_row(rows.get(p.position))}{escape(str(p))}", _style(7, colour=good))
              for p in shown]
    if len(report.problems) > len(shown):
        lines.append(Paragraph(f"… và {len(report.problems) - len(shown)} vấn đề khác.",
                               _style(7, colour=good)))
    box = Table([[line] for line in lines], colWidths=(WIDTH,))
    box.setStyle(TableStyle([_FONT,
        ("BOX", (0, 0), (-1, -1), 1, good),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 6), ("TOPPADDING", (0, 0), (-1, 0), 5),
        ("BOTTOMPADDING", (0, -1), (-1, -1), 5),
    ]))
    return box


def _row(number: int | None) -> str:
    return "" if number is None else f"<b>Dòng {number}</b> — "


def _state(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event's state JSON, or {} when it does not decode (the verdict says why)."""
    try:
        body = json.loads(base64.b64decode(str(event.get("state", "")), validate=True))
    except (binascii.Error, UnicodeDecodeError, ValueError, RecursionError):
        return {}
    return body if isinstance(body, dict) else {}


def _text(value: Any) -> str:
    return _DASH if value is None or value == "" else escape(str(value))


def _time(value: Any, separator: str = "<br/>") -> str:
    """HH:MM, then dd/mm/yyyy, in Vietnam's time."""
    try:
        moment = datetime.fromisoformat(str(value)).astimezone(LOCAL_TZ)
    except ValueError:
        return _text(value)
    return f"{moment:%H:%M}{separator}{moment:%d/%m/%Y}"


def _date(value: str | None) -> str:
    try:
        return datetime.strptime(str(value), "%Y-%m-%d").strftime("%d/%m/%Y")
    except ValueError:
        return _text(value)
