"""Clean pages of Vietnamese administrative text, drawn with Liberation Serif, with ground truth.

Each layout function returns the page (RGB, white paper) and its text in reading order, one
string per printed line. Colour marks that are no text (a red seal, a blue signature) are drawn
over the print as ink would be (multiplied), and are not part of the ground truth.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONTS = Path("/usr/share/fonts/truetype/liberation2")
A4 = (8.27, 11.69)

SENTENCES = [
    "Ủy ban nhân dân xã tiếp nhận hồ sơ đề nghị cấp giấy chứng nhận quyền sử dụng đất.",
    "Công dân nộp hồ sơ tại Bộ phận Một cửa hoặc tại điểm Bưu điện Văn hóa xã.",
    "Thời hạn giải quyết là mười lăm ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ.",
    "Trường hợp hồ sơ chưa đầy đủ, cán bộ hướng dẫn người nộp bổ sung, hoàn thiện.",
    "Lệ phí được thu theo quy định của Hội đồng nhân dân tỉnh và có biên lai kèm theo.",
    "Kết quả được trả tại nơi tiếp nhận hoặc chuyển phát qua dịch vụ bưu chính công ích.",
    "Người đến nhận kết quả mang theo giấy tiếp nhận hồ sơ và hẹn trả kết quả.",
    "Phiếu kiểm soát quá trình giải quyết hồ sơ được lưu cùng hồ sơ tại cơ quan.",
    "Đề nghị các phòng, ban chuyên môn phối hợp thực hiện đúng thời gian quy định.",
    "Ông Nguyễn Văn Hưởng, sinh năm một nghìn chín trăm bảy mươi tám, thường trú tại thôn Đông.",
    "Bà Trần Thị Thủy đề nghị đăng ký biến động đất đai do nhận chuyển nhượng.",
    "Hồ sơ gồm đơn đề nghị, bản sao giấy tờ tùy thân và sơ đồ thửa đất.",
    "Việc luân chuyển hồ sơ giữa các cấp được ghi nhận đầy đủ trên hệ thống.",
    "Chủ tịch Ủy ban nhân dân xã chịu trách nhiệm thi hành thông báo này.",
    "Mọi thắc mắc xin liên hệ số điện thoại đường dây nóng của Trung tâm.",
    "Quá hạn giải quyết, cơ quan gửi phiếu xin lỗi và hẹn lại ngày trả kết quả.",
    "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính theo quy định hiện hành.",
    "Những trường hợp từ chối tiếp nhận phải nêu rõ lý do bằng văn bản.",
    "Nơi nhận: như trên; lưu văn thư, bộ phận tiếp nhận và trả kết quả.",
    "Giấy tờ được kiểm tra, đối chiếu với bản chính trước khi tiếp nhận.",
    "Đường Lê Lợi, phường Bến Thành, thành phố Hồ Chí Minh, ngày hẹn trả kết quả.",
    "Sở Tài nguyên và Môi trường hướng dẫn trình tự, thủ tục đăng ký đất đai.",
]


def font(size_px: float, bold: bool = False, italic: bool = False) -> ImageFont.FreeTypeFont:
    style = {(False, False): "Regular", (True, False): "Bold", (False, True): "Italic",
             (True, True): "BoldItalic"}[(bold, italic)]
    return ImageFont.truetype(str(FONTS / f"LiberationSerif-{style}.ttf"), round(size_px))


class Sheet:
    """A page being drawn: an RGB canvas at ``dpi`` and the lines of text drawn on it."""

    def __init__(self, dpi: int, landscape: bool = False) -> None:
        width, height = (A4[1], A4[0]) if landscape else A4
        self.dpi = dpi
        self.image = Image.new("RGB", (round(width * dpi), round(height * dpi)), "white")
        self.draw = ImageDraw.Draw(self.image)
        self.lines: list[str] = []
        self.margin = round(0.9 * dpi)

    def px(self, points: float) -> float:
        return points * self.dpi / 72

    def text(self, x: float, y: float, string: str, size: float = 13, bold: bool = False,
             italic: bool = False, align: str = "left", width: float = 0.0,
             truth: bool = True) -> float:
        """Draw one line at the top-left ``(x, y)`` (pixels); return the line height."""
        face = font(self.px(size), bold, italic)
        length = self.draw.textlength(string, font=face)
        if align == "center":
            x += (width - length) / 2
        elif align == "right":
            x += width - length
        self.draw.text((x, y), string, fill=(0, 0, 0), font=face)
        if truth:
            self.lines.append(string)
        return self.px(size) * 1.45

    def paragraph(self, x: float, y: float, string: str, width: float, size: float = 13,
                  indent: float = 0.0) -> float:
        """Wrap ``string`` to ``width`` pixels; return the y below it."""
        face = font(self.px(size))
        line, first = "", True
        for word in string.split():
            trial = f"{line} {word}".strip()
            limit = width - (indent if first else 0)
            if line and self.draw.textlength(trial, font=face) > limit:
                y += self.text(x + (indent if first else 0), y, line, size)
                line, first = word, False
            else:
                line = trial
        if line:
            y += self.text(x + (indent if first else 0), y, line, size)
        return y


def text_page(dpi: int, seed: int) -> tuple[Image.Image, list[str]]:
    """A plain page of body text: a bold title and paragraphs of administrative Vietnamese."""
    rng = random.Random(seed)
    sheet = Sheet(dpi)
    width = sheet.image.width - 2 * sheet.margin
    y = sheet.margin + sheet.text(sheet.margin, sheet.margin, "THÔNG BÁO TIẾP NHẬN HỒ SƠ",
                                  15, bold=True, align="center", width=width)
    while y < sheet.image.height - sheet.margin - sheet.px(13) * 6:
        body = " ".join(rng.sample(SENTENCES, 3))
        y = sheet.paragraph(sheet.margin, y + sheet.px(6), body, width, indent=sheet.px(24))
    return sheet.image, sheet.lines


def notice_page(dpi: int, seed: int) -> tuple[Image.Image, list[str]]:
    """An official notice: the two-column national header, body text, and the signer's title
    and name under a red seal and a blue signature."""
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
    y += sheet.px(18)
    y += sheet.text(m, y, f"Số: {rng.randint(10, 999)}/TB-UBND", 13, align="center",
                    width=left_w)
    y += sheet.text(m + left_w, y, f"An Phú, ngày {rng.randint(1, 28)} tháng 3 năm 2026", 13,
                    italic=True, align="center", width=width - left_w)
    y += sheet.px(12)
    y += sheet.text(m, y, "THÔNG BÁO", 15, bold=True, align="center", width=width)
    y += sheet.text(m, y, "Về việc tiếp nhận và trả kết quả hồ sơ thủ tục hành chính", 13,
                    bold=True, align="center", width=width)
    for _ in range(3):
        y = sheet.paragraph(m, y + sheet.px(6), " ".join(rng.sample(SENTENCES, 3)), width,
                            indent=sheet.px(24))
    sign_x, sign_w = m + width * 0.5, width * 0.5
    y += sheet.px(16)
    top = y
    y += sheet.text(sign_x, y, "TM. ỦY BAN NHÂN DÂN", 13, bold=True, align="center",
                    width=sign_w)
    y += sheet.text(sign_x, y, "CHỦ TỊCH", 13, bold=True, align="center", width=sign_w)
    y += sheet.px(50)
    sheet.text(sign_x, y, "Nguyễn Văn Hưởng", 13, bold=True, align="center", width=sign_w)
    _seal(sheet, sign_x + sign_w * 0.32, top + sheet.px(40), sheet.px(58))
    _signature(sheet, sign_x + sign_w * 0.3, top + sheet.px(42), sign_w * 0.45, rng)
    return sheet.image, sheet.lines


def _seal(sheet: Sheet, cx: float, cy: float, radius: float) -> None:
    """A red round seal (rings, a star and lettering) multiplied over the page."""
    layer = Image.new("RGB", sheet.image.size, "white")
    draw = ImageDraw.Draw(layer)
    red = (205, 30, 40)
    for r, w in ((radius, 5), (radius * 0.72, 3)):
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=red, width=round(sheet.px(w) / 3))
    star = [(cx + radius * 0.3 * math.cos(math.pi / 2 + k * 4 * math.pi / 5),
             cy - radius * 0.3 * math.sin(math.pi / 2 + k * 4 * math.pi / 5)) for k in range(5)]
    draw.polygon(star, fill=red)
    face = font(sheet.px(8), bold=True)
    for k, char in enumerate("ỦY BAN NHÂN DÂN XÃ AN PHÚ *"):
        angle = math.pi * (1.1 - k / 13)
        draw.text((cx + radius * 0.86 * math.cos(angle) - sheet.px(3),
                   cy - radius * 0.86 * math.sin(angle) - sheet.px(4)), char, fill=red, font=face)
    _multiply(sheet, layer)


def _signature(sheet: Sheet, x: float, y: float, width: float, rng: random.Random) -> None:
    """A blue pen flourish across the space above the signer's name."""
    layer = Image.new("RGB", sheet.image.size, "white")
    draw = ImageDraw.Draw(layer)
    points = []
    for k in range(60):
        t = k / 59
        points.append((x + width * t, y + sheet.px(20) * math.sin(t * 9 + rng.random())
                       + sheet.px(30) * t))
    draw.line(points, fill=(30, 40, 170), width=max(2, round(sheet.px(1.6))), joint="curve")
    _multiply(sheet, layer)


def _multiply(sheet: Sheet, layer: Image.Image) -> None:
    page = np.asarray(sheet.image, dtype=np.uint16)
    ink = np.asarray(layer, dtype=np.uint16)
    sheet.image = Image.fromarray((page * ink // 255).astype(np.uint8))
    sheet.draw = ImageDraw.Draw(sheet.image)


def receipt_page(dpi: int, seed: int) -> tuple[Image.Image, list[str]]:
    """A receipt and appointment slip: header lines, then a ruled table of the dossier's
    components, one row per document, and the receiver's line."""
    rng = random.Random(seed)
    sheet = Sheet(dpi)
    m, width = sheet.margin, sheet.image.width - 2 * sheet.margin
    y = m + sheet.text(m, m, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", 14, bold=True,
                       align="center", width=width)
    y += sheet.text(m, y, f"Mã hồ sơ: 000.00.12.H40-260310-{rng.randint(1, 9999):04d}", 13,
                    align="center", width=width)
    y = sheet.paragraph(m, y + sheet.px(8), " ".join(rng.sample(SENTENCES, 2)), width)
    columns = [0.1, 0.6, 0.15, 0.15]
    headers = ["STT", "Tên giấy tờ", "Bản chính", "Bản sao"]
    row_h = sheet.px(24)
    rows = [headers] + [[str(i + 1), rng.choice(SENTENCES).split(",")[0].rstrip(".")[:48],
                         str(rng.randint(0, 2)), str(rng.randint(0, 3))] for i in range(8)]
    y += sheet.px(10)
    line_w = max(1, round(sheet.px(0.8)))
    for r, row in enumerate(rows):
        x = float(m)
        for c, cell in enumerate(row):
            cell_w = width * columns[c]
            sheet.draw.rectangle((x, y, x + cell_w, y + row_h), outline=(0, 0, 0), width=line_w)
            sheet.text(x + sheet.px(4), y + sheet.px(5), cell, 12, bold=r == 0,
                       align="left" if c == 1 else "center", width=cell_w - sheet.px(8))
            x += cell_w
        y += row_h
    y += sheet.px(14)
    y += sheet.text(m, y, f"Ngày hẹn trả kết quả: {rng.randint(1, 28)}/04/2026", 13, bold=True)
    sheet.text(m + width * 0.5, y, "Người tiếp nhận", 13, bold=True, align="center",
               width=width * 0.5)
    return sheet.image, sheet.lines


def table_page(dpi: int, seed: int) -> tuple[Image.Image, list[str]]:
    """A landscape table of figures: dossiers received and resolved per commune and month."""
    rng = random.Random(seed)
    sheet = Sheet(dpi, landscape=True)
    m, width = sheet.margin, sheet.image.width - 2 * sheet.margin
    y = m + sheet.text(m, m, "BÁO CÁO TÌNH HÌNH GIẢI QUYẾT HỒ SƠ QUÝ I NĂM 2026", 14,
                       bold=True, align="center", width=width)
    headers = ["Đơn vị", "Tiếp nhận", "Trước hạn", "Đúng hạn", "Quá hạn", "Tỷ lệ (%)"]
    units = ["Xã An Phú", "Xã Bình Minh", "Phường Đông Hòa", "Xã Tân Lập", "Xã Hưng Thịnh",
             "Phường Tây Sơn", "Xã Quảng Điền", "Xã Phước Hải", "Tổng cộng"]
    col_w = width / len(headers)
    row_h = sheet.px(24)
    y += sheet.px(10)
    line_w = max(1, round(sheet.px(0.8)))
    for r, unit in enumerate([None, *units]):
        if unit is None:
            cells = headers
        else:
            received = rng.randint(120, 4800)
            early = rng.randint(0, received // 2)
            overdue = rng.randint(0, 40)
            on_time = received - early - overdue
            cells = [unit, f"{received:,}".replace(",", "."), str(early), str(on_time),
                     str(overdue), f"{100 * (received - overdue) / received:.2f}".replace(".", ",")]
        for c, cell in enumerate(cells):
            x = m + c * col_w
            sheet.draw.rectangle((x, y, x + col_w, y + row_h), outline=(0, 0, 0), width=line_w)
            sheet.text(x + sheet.px(4), y + sheet.px(5), cell, 12, bold=r == 0,
                       align="left" if c == 0 else "right", width=col_w - sheet.px(8))
        y += row_h
    return sheet.image, sheet.lines
