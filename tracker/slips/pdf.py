"""The slips of Circular 01/2018/TT-VPCP as A5 PDFs: Mẫu 01 receipt and appointment, 02 supplement
request, 03 refusal, 04 apology and new date.

Each follows its form's wording and order: the heading, the title, the dossier code (as Code 128
and a QR code of the public lookup), the numbered facts, then the signature blocks with the staff
member's name printed. The receipt is made in the form's two copies (liên), one for the
applicant and one kept at the counter, each starting a page.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer
from reportlab.platypus.flowables import Flowable

from tracker.slips.documents import Slip
from tracker.slips.layout import (
    date_words,
    heading,
    register_fonts,
    signatures,
    style,
    symbols,
    text,
    time_words,
)

MARGIN = 11 * mm
WIDTH = A5[0] - 2 * MARGIN - 12  # the frame's 6 pt paddings
BODY = 8.5
COPIES = ("Liên 1: giao người nộp hồ sơ",
          "Liên 2: lưu tại Bộ phận tiếp nhận và trả kết quả")
SIGN = "Ký và ghi rõ họ tên"
COUNTER_ROLES = frozenset({"receiver", "supervisor", "operator"})
"""Who signs a refusal as the one who received the dossier; anyone else signs as the one who
dealt with it."""


def render_slip(slip: Slip, lookup_url: str) -> bytes:
    """The slip as an A5 PDF whose QR code opens ``lookup_url``."""
    register_fonts()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A5, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=9 * mm,
        bottomMargin=9 * mm, title=f"{slip.title.capitalize()} {slip.code}", author="hoso",
        subject=f"{slip.form} Thông tư 01/2018/TT-VPCP", creator="hoso",
        initialFontName="DejaVuSerif", lang="vi")
    story: list[Flowable] = []
    copies = COPIES if slip.kind == "receipt" else ("",)
    for number, copy in enumerate(copies):
        if number:
            story.append(PageBreak())
        story += _top(slip, lookup_url, copy) + BODIES[slip.kind](slip)
    document.build(story)
    return buffer.getvalue()


def _top(slip: Slip, lookup_url: str, copy: str) -> list[Flowable]:
    lines: list[Flowable] = [
        heading(slip.issuer, slip.at.date(), WIDTH, slip.form), Spacer(1, 4 * mm),
        Paragraph(slip.title, style(11, bold=True, align="centre", leading=14))]
    if copy:
        lines.append(Paragraph(f"({copy})", style(7.5, align="centre")))
    return [*lines, Spacer(1, 2 * mm), symbols(slip.code, lookup_url, WIDTH),
            Spacer(1, 3 * mm)]


def _line(label: str, value: str, bold: bool = True) -> Paragraph:
    shown = f"<b>{value}</b>" if bold else value
    return Paragraph(f"{label} {shown}", style(BODY, space_after=1.5))


def _applicant(slip: Slip, label: str = "Tiếp nhận hồ sơ của:") -> list[Flowable]:
    person = slip.applicant
    return [
        _line(label, text(person.name)),
        _line("Số định danh cá nhân/CCCD:", text(person.id_number)),
        _line("Số điện thoại:", text(person.phone)),
        _line("Nội dung yêu cầu giải quyết:",
              f"{text(slip.procedure)} (mã TTHC {text(slip.procedure_code)})", bold=False),
    ]


def _receipt(slip: Slip) -> list[Flowable]:
    item = style(BODY - 1, indent=4 * mm)
    components = [Paragraph(f"({n}) {text(name)}", item)
                  for n, name in enumerate(slip.components, 1)] or [
        Paragraph("(không có)", item)]
    missing = [Paragraph(f"Còn thiếu khi tiếp nhận: {text('; '.join(slip.missing))}", item)
               ] if slip.missing else []
    days = f"{slip.days} ngày làm việc" if slip.days is not None else text(None)
    return [
        _line("Bộ phận tiếp nhận và trả kết quả:", text(slip.issuer.name)),
        *_applicant(slip),
        Paragraph("1. Thành phần hồ sơ nộp gồm:", style(BODY, space_after=1)),
        *components, *missing, Spacer(1, 1.5),
        _line("2. Số lượng hồ sơ:", "01 (bộ)", bold=False),
        _line("3. Thời gian giải quyết hồ sơ theo quy định là:", days, bold=False),
        _line("4. Thời gian nhận hồ sơ:", time_words(slip.received_at), bold=False),
        _line("5. Thời gian trả kết quả giải quyết hồ sơ:", date_words(slip.due)),
        _line("6. Đăng ký nhận kết quả tại:", text(slip.issuer.name), bold=False),
        *([_line("7. Phí, lệ phí đã nộp:", f"{slip.fee_paid:,} đồng".replace(",", "."),
                 bold=False)] if slip.fee_paid else []),
        Paragraph("Vào Sổ theo dõi hồ sơ, Quyển số: ………, Số thứ tự: ………",
                  style(BODY - 0.5)),
        Spacer(1, 3 * mm),
        signatures([("NGƯỜI NỘP HỒ SƠ", SIGN, slip.applicant.name),
                    ("NGƯỜI TIẾP NHẬN HỒ SƠ", SIGN, slip.staff)], WIDTH),
    ]


def _supplement(slip: Slip) -> list[Flowable]:
    asked = [Paragraph(f"{n}. {text(name)}", style(BODY, indent=5 * mm))
             for n, name in enumerate(slip.missing, 1)]
    if asked:
        reason = [*asked, _line("Lý do:", text(slip.reason), bold=False)]
    else:
        reason = [Paragraph(f"1. {text(slip.reason)}", style(BODY, indent=5 * mm))]
    return [
        *_applicant(slip, "Hồ sơ của:"),
        Paragraph(f"Ngày tiếp nhận: {date_words(slip.received_at.date())}, tại "
                  f"{text(slip.receiving_office)}.", style(BODY, space_after=1.5)),
        Paragraph("Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:",
                  style(BODY, space_after=1)),
        *reason, Spacer(1, 1.5),
        Paragraph(f"Trong quá trình hoàn thiện hồ sơ nếu có vướng mắc, ông/bà liên hệ với "
                  f"{text(slip.staff)}, {text(slip.issuer.name)} để được hướng dẫn./.",
                  style(BODY, align="justify")),
        Spacer(1, 3 * mm),
        signatures([("", "", ""), ("NGƯỜI HƯỚNG DẪN", SIGN, slip.staff)], WIDTH),
    ]


def _refusal(slip: Slip) -> list[Flowable]:
    signer = ("NGƯỜI TIẾP NHẬN HỒ SƠ" if slip.staff_role in COUNTER_ROLES
              else "NGƯỜI GIẢI QUYẾT HỒ SƠ")
    return [
        _line("Bộ phận tiếp nhận và trả kết quả:", text(slip.receiving_office)),
        *_applicant(slip),
        Paragraph(f"Qua xem xét, {text(slip.issuer.name)} thông báo không tiếp nhận, giải "
                  "quyết hồ sơ này với lý do cụ thể như sau:", style(BODY, align="justify",
                                                                    space_after=1)),
        Paragraph(f"<b>{text(slip.reason)}</b>", style(BODY, indent=5 * mm, space_after=1.5)),
        Paragraph("Xin thông báo cho ông/bà được biết và thực hiện./.", style(BODY)),
        Spacer(1, 3 * mm),
        signatures([("", "", ""), (signer, SIGN, slip.staff)], WIDTH),
    ]


def _apology(slip: Slip) -> list[Flowable]:
    office = text(slip.issuer.name)
    new_due = date_words(slip.new_due) if slip.new_due else text(None)
    return [
        _line("Kính gửi:", f"Ông/Bà {text(slip.applicant.name)}"),
        Paragraph(f"{date_words(slip.received_at.date()).capitalize()}, "
                  f"{text(slip.receiving_office)} tiếp nhận giải quyết hồ sơ của ông/bà.",
                  style(BODY, align="justify", space_after=1.5)),
        _line("Nội dung yêu cầu giải quyết:",
              f"{text(slip.procedure)} (mã TTHC {text(slip.procedure_code)})", bold=False),
        _line("Mã hồ sơ:", escape(slip.code)),
        _line("Thời gian hẹn trả kết quả giải quyết hồ sơ:", date_words(slip.due)),
        Paragraph(f"Tuy nhiên đến nay, {office} chưa trả kết quả giải quyết hồ sơ của ông/bà.",
                  style(BODY, align="justify", space_after=1.5)),
        _line("Lý do:", text(slip.reason), bold=False),
        Paragraph(f"Sự chậm trễ này đã gây phiền hà, tốn kém chi phí, công sức của ông/bà. "
                  f"{office} xin lỗi ông/bà và sẽ trả kết quả giải quyết hồ sơ cho ông/bà vào "
                  f"<b>{new_due}</b>.", style(BODY, align="justify", space_after=1.5)),
        Paragraph("Xin trân trọng cảm ơn./.", style(BODY)),
        Spacer(1, 3 * mm),
        signatures([("NGƯỜI LẬP PHIẾU", SIGN, slip.staff),
                    ("THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ", "Ký, ghi rõ họ tên và đóng dấu", "")],
                   WIDTH),
    ]


BODIES: dict[str, Callable[[Slip], list[Flowable]]] = {
    "receipt": _receipt, "supplement": _supplement, "refusal": _refusal, "apology": _apology}
