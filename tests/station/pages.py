"""Pages for the station tests: Vietnamese text set in DejaVu Sans, blank sheets, broken files.

Large type on a clean 200 dpi page keeps Tesseract quick; the image engineer's corpus
(tests/scanning/) covers hard pages. Covers come from tests/station/covers.py (zint).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from tests.station.covers import CoverCase, cover_page, write_png

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DPI = 200
A4 = (round(8.27 * DPI), round(11.69 * DPI))


BODY = ["Kính gửi: Ủy ban nhân dân xã về việc giải quyết hồ sơ.",
        "Tôi xin cam đoan những nội dung kê khai trên là đúng sự thật.",
        "Nếu sai tôi xin chịu trách nhiệm trước pháp luật.",
        "Hồ sơ gồm các giấy tờ kèm theo như đã liệt kê dưới đây."]


def text_page(lines: list[str], path: Path) -> Path:
    """An A4 page at 200 dpi: ``lines`` then a few lines of ordinary body text, as a form has
    (page orientation is judged from running text, not from a lone line of capitals)."""
    page = Image.new("RGB", A4, (250, 250, 247))
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 40)
    for number, line in enumerate([*lines, *BODY]):
        draw.text((150, 200 + number * 90), line, font=font, fill=(15, 15, 15))
    page.save(path, dpi=(DPI, DPI))
    return path


def blank_page(path: Path) -> Path:
    Image.new("RGB", A4, (246, 246, 242)).save(path, dpi=(DPI, DPI))
    return path


def cover_file(code: str, path: Path, tmp: Path, angle: float = 0) -> Path:
    return write_png(cover_page(code, CoverCase(angle=angle, dpi=DPI), tmp), path, DPI)


def truncated_png(source: Path, path: Path) -> Path:
    path.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    return path
