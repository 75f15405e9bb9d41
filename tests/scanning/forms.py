"""Administrative forms drawn as printed ones are: tight ruled tables, dotted leaders, seals.

A real form's table is ruled close around its text: capitals' tone marks touch the rule above,
descenders the rule below, and a cell's first letter sits against its left rule. Filled-in values
sit on dotted leaders. The signer's block carries a red seal stamped over the signature and the
left of the signer's title. Like tests/scanning/layouts.py, each function returns the page (RGB,
white paper) and its printed lines in reading order; the seal's lettering is not ground truth.
"""

from __future__ import annotations

import random

from PIL import ImageFont

from tests.scanning.layouts import SENTENCES, Sheet, _seal, _signature, font

NAMES = ["Nguyễn Thị Lan", "Trần Văn Hưởng", "Lê Thị Thủy", "Phạm Quốc Dũng", "Hoàng Văn Đức",
         "Đỗ Thị Hằng", "Vũ Minh Tuấn", "Bùi Thị Ngọc Ánh"]
PLACES = ["thôn Đông, xã An Phú", "tổ 5, phường Bến Thành", "xóm Hạ, xã Quảng Điền",
          "ấp Mỹ Lợi, xã Phước Hải"]
DOCUMENTS = ["Tờ khai đăng ký khai sinh", "Giấy chứng sinh", "Bản sao giấy chứng nhận kết hôn",
             "Căn cước công dân của người đi đăng ký", "Giấy ủy quyền có chứng thực",
             "Văn bản xác nhận nơi cư trú", "Sổ hộ khẩu gia đình", "Đơn đề nghị cấp bản sao"]


def _tight_cell(sheet: Sheet, x: float, y: float, width: float, height: float, string: str,
                size: float, bold: bool = False, align: str = "left") -> None:
    """A cell ruled flush around its text: the tallest mark touches the top rule, the deepest
    descender the bottom one, and left-aligned text starts on the left rule."""
    face: ImageFont.FreeTypeFont = font(sheet.px(size), bold)
    top, bottom = face.getbbox("ỦẫgÂỹ")[1], face.getbbox("ỦẫgÂỹ")[3]
    line_w = max(1, round(sheet.px(0.9)))
    # the text's ink spans exactly the cell's inner height: it meets both rules
    text_y = y + line_w - top + (height - 2 * line_w - (bottom - top)) / 2
    length = sheet.draw.textlength(string, font=face)
    text_x = x + line_w if align == "left" else x + width - line_w - length
    sheet.draw.text((text_x, text_y), string, fill=(0, 0, 0), font=face)
    sheet.lines.append(string)
    sheet.draw.rectangle((x, y, x + width, y + height), outline=(0, 0, 0), width=line_w)


def _leader(sheet: Sheet, x: float, y: float, label: str, value: str, width: float,
            size: float = 13) -> float:
    """``label`` then a dotted leader to ``width`` with the filled-in ``value`` on it."""
    face = font(sheet.px(size))
    label_w = sheet.draw.textlength(label + " ", font=face)
    sheet.draw.text((x, y), label, fill=(0, 0, 0), font=face)
    dots = "." * int((width - label_w) / sheet.draw.textlength(".", font=face))
    sheet.draw.text((x + label_w, y + sheet.px(1)), dots, fill=(70, 70, 70), font=face)
    sheet.draw.text((x + label_w + sheet.px(14), y - sheet.px(1)), value, fill=(0, 0, 0),
                    font=font(sheet.px(size), italic=True))
    sheet.lines.append(f"{label} {value}")
    return sheet.px(size) * 1.6


def form_page(dpi: int, seed: int) -> tuple:
    """A registration form: the national header, fields on dotted leaders, the dossier's
    documents in a tight ruled table, and two signature blocks, the office's under a red seal."""
    rng = random.Random(seed)
    sheet = Sheet(dpi)
    m, width = sheet.margin, sheet.image.width - 2 * sheet.margin
    left_w = width * 0.4
    y = m
    y += sheet.text(m, y, "ỦY BAN NHÂN DÂN", 12, align="center", width=left_w)
    sheet.text(m, y, "XÃ AN PHÚ", 12, bold=True, align="center", width=left_w)
    y = m
    y += sheet.text(m + left_w, y, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 12, bold=True,
                    align="center", width=width - left_w)
    y += sheet.text(m + left_w, y, "Độc lập - Tự do - Hạnh phúc", 13, bold=True,
                    align="center", width=width - left_w)
    y += sheet.px(16)
    y += sheet.text(m, y, "TỜ KHAI ĐĂNG KÝ VÀ PHIẾU TIẾP NHẬN HỒ SƠ", 15, bold=True,
                    align="center", width=width)
    y += sheet.text(m, y, "Kính gửi: Ủy ban nhân dân xã An Phú", 13, align="center",
                    width=width)
    y += sheet.px(6)
    name = rng.choice(NAMES)
    for label, value in (("Họ, chữ đệm, tên người yêu cầu:", name),
                         ("Nơi cư trú:", rng.choice(PLACES)),
                         ("Giấy tờ tùy thân:", f"Căn cước số 0{rng.randint(10**10, 10**11 - 1)}"),
                         ("Quan hệ với người được đăng ký:", rng.choice(["Mẹ", "Cha", "Ông"])),
                         ("Ngày hẹn trả kết quả:", f"{rng.randint(1, 28)}/04/2026")):
        y += _leader(sheet, m, y, label, value, width)
    y = sheet.paragraph(m, y + sheet.px(4), " ".join(rng.sample(SENTENCES, 2)), width)
    y += sheet.px(8)
    columns = [0.08, 0.62, 0.12, 0.18]
    row_h = sheet.px(12) * 1.55
    rows = [["STT", "Tên giấy tờ trong hồ sơ", "Số bản", "Ghi chú"]] + [
        [str(i + 1), document, str(rng.randint(1, 3)), rng.choice(["Bản chính", "Bản sao",
                                                                   "Chứng thực"])]
        for i, document in enumerate(rng.sample(DOCUMENTS, 7))]
    for r, row in enumerate(rows):
        x = float(m)
        for c, cell in enumerate(row):
            cell_w = width * columns[c]
            _tight_cell(sheet, x, y, cell_w, row_h, cell, 12, bold=r == 0,
                        align="right" if c in (0, 2) and r else "left")
            x += cell_w
        y += row_h
    y += sheet.px(16)
    half = width / 2
    top = y
    sheet.text(m, y, "NGƯỜI YÊU CẦU", 13, bold=True, align="center", width=half)
    y += sheet.text(m + half, y, "TM. ỦY BAN NHÂN DÂN", 13, bold=True, align="center",
                    width=half)
    sheet.text(m, y, "(Ký, ghi rõ họ tên)", 12, italic=True, align="center", width=half)
    y += sheet.text(m + half, y, "KT. CHỦ TỊCH", 13, bold=True, align="center", width=half)
    y += sheet.text(m + half, y, "PHÓ CHỦ TỊCH", 13, bold=True, align="center", width=half)
    y += sheet.px(46)
    sheet.text(m, y, name, 13, bold=True, align="center", width=half)
    sheet.text(m + half, y, "Lê Văn Thành", 13, bold=True, align="center", width=half)
    _signature(sheet, m + half * 0.3, top + sheet.px(52), half * 0.4, rng)
    _signature(sheet, m + half * 1.35, top + sheet.px(52), half * 0.4, rng)
    # stamped over the signature and the left edge of the signer's title, as offices do
    _seal(sheet, m + half * 1.3, top + sheet.px(58), sheet.px(52))
    return sheet.image, sheet.lines


def form_table_page(dpi: int, seed: int) -> tuple:
    """A landscape register: a tight ruled table of dossiers, one row each, header included."""
    rng = random.Random(seed)
    sheet = Sheet(dpi, landscape=True)
    m, width = sheet.margin, sheet.image.width - 2 * sheet.margin
    y = m + sheet.text(m, m, "SỔ THEO DÕI HỒ SƠ TIẾP NHẬN VÀ TRẢ KẾT QUẢ THÁNG 3 NĂM 2026",
                       14, bold=True, align="center", width=width)
    y += sheet.px(8)
    headers = ["STT", "Mã hồ sơ", "Họ tên người nộp", "Thủ tục", "Ngày nhận", "Hẹn trả"]
    columns = [0.06, 0.2, 0.22, 0.28, 0.12, 0.12]
    procedures = ["Đăng ký khai sinh", "Chứng thực bản sao", "Đăng ký kết hôn",
                  "Cấp bản sao trích lục", "Xác nhận tình trạng hôn nhân", "Đăng ký khai tử"]
    row_h = sheet.px(11) * 1.55
    for r in range(15):
        if r == 0:
            cells = headers
        else:
            day = rng.randint(1, 24)
            cells = [str(r), f"H40.26-2603{day:02d}-{rng.randint(1, 9999):04d}",
                     rng.choice(NAMES), rng.choice(procedures), f"{day:02d}/03/2026",
                     f"{day + rng.randint(1, 4):02d}/03/2026"]
        x = float(m)
        for c, cell in enumerate(cells):
            cell_w = width * columns[c]
            _tight_cell(sheet, x, y, cell_w, row_h, cell, 11, bold=r == 0,
                        align="right" if c in (0, 4, 5) and r else "left")
            x += cell_w
        y += row_h
    return sheet.image, sheet.lines
