"""Cover sheets made by Debian's ``zint``, roughened like real scans, for the barcode tests.

hoso prints its covers with reportlab's own barcode module (tracker/cover_sheet.py); the tests
draw theirs with zint so the reader is never tested only against its own writer. A cover is an
A4 page at the given dpi: the code as Code 128 and/or QR, a few lines of print, then rotated,
blurred, noised and JPEG-compressed as the case asks.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

PAPER = 238
ZINT_SYMBOLOGY = {"Code128": "20", "QRCode": "58"}


@dataclass(frozen=True)
class CoverCase:
    """One rough cover: which symbols it carries and how the scan degraded it."""

    formats: tuple[str, ...] = ("Code128", "QRCode")
    angle: float = 0.0
    blur: float = 0.0
    noise: float = 0.0
    jpeg: int | None = None
    dpi: int = 200

    @property
    def name(self) -> str:
        return (f"{'+'.join(self.formats)}-{self.angle:g}deg-{self.dpi}dpi-blur{self.blur:g}"
                f"-noise{self.noise:g}-jpeg{self.jpeg or 0}")


# Every cover of this set must decode. Code 128 is a linear symbol: it is read at the four
# right angles with a scanner's few degrees of skew; QR is read at any angle.
ROUGH_SET = [
    *(CoverCase(angle=a) for a in (0, 90, 180, 270)),
    *(CoverCase(formats=("Code128",), angle=a, blur=1.2) for a in (0, 90, 180, 270, 4, -5, 93)),
    *(CoverCase(formats=("QRCode",), angle=a, blur=1.2) for a in (0, 90, 180, 270, 17, 45, -130)),
    CoverCase(formats=("Code128",), angle=2, noise=12, jpeg=40, dpi=300),
    CoverCase(formats=("QRCode",), angle=-3, noise=12, jpeg=40, dpi=300, blur=1.5),
    CoverCase(angle=181.5, blur=1.0, noise=8, jpeg=55, dpi=150),
]


def symbol(code: str, fmt: str, tmp: Path, dpi: int) -> np.ndarray:
    """The symbol as zint draws it, scaled so a module is ~0.33 mm (Code 128) / 0.7 mm (QR)."""
    out = tmp / f"zint-{fmt}-{dpi}.png"
    pixels = round((0.33 if fmt == "Code128" else 0.7) / 25.4 * dpi)
    scale = max(0.5, pixels / 2)  # zint's scale 1 draws a module 2 pixels wide
    subprocess.run(["zint", "-b", ZINT_SYMBOLOGY[fmt], "-d", code, "--scale", str(scale),
                    "--notext", "-o", str(out)], check=True, capture_output=True)
    image = cv2.imread(str(out), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise RuntimeError(f"zint wrote no readable PNG at {out}")
    return image


def cover_page(code: str, case: CoverCase, tmp: Path, seed: int = 7) -> np.ndarray:
    """A greyscale A4 cover page for ``code`` degraded as ``case`` says."""
    width, height = round(8.27 * case.dpi), round(11.69 * case.dpi)
    page = np.full((height, width), PAPER, np.uint8)
    margin = case.dpi // 2
    cv2.putText(page, "GIAY TIEP NHAN HO SO VA HEN TRA KET QUA", (margin, margin),
                cv2.FONT_HERSHEY_SIMPLEX, case.dpi / 200, 20, 2)
    top = margin * 2
    for fmt in case.formats:
        image = symbol(code, fmt, tmp, case.dpi)
        h, w = image.shape
        left = margin if fmt == "Code128" else width - margin - w
        page[top:top + h, left:left + w] = np.minimum(image, PAPER)
    for line in range(12):
        y = top + case.dpi * 2 + line * case.dpi // 4
        cv2.putText(page, f"Dong {line + 1}: noi dung van ban hanh chinh", (margin, y),
                    cv2.FONT_HERSHEY_SIMPLEX, case.dpi / 300, 30, 1)
    if case.angle:
        page = rotate(page, case.angle)
    if case.blur:
        page = cv2.GaussianBlur(page, (0, 0), case.blur)
    if case.noise:
        rng = np.random.default_rng(seed)
        page = np.clip(page + rng.normal(0, case.noise, page.shape), 0, 255).astype(np.uint8)
    if case.jpeg:
        _, data = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, case.jpeg])
        page = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    return page


def rotate(page: np.ndarray, angle: float) -> np.ndarray:
    """Turn the page counter-clockwise by ``angle`` degrees, growing the canvas as a scanner's
    glass would show a sheet laid askew."""
    if angle % 90 == 0:
        return np.ascontiguousarray(np.rot90(page, int(angle // 90) % 4))
    h, w = page.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(h * sin + w * cos), int(h * cos + w * sin)
    matrix[0, 2] += new_w / 2 - w / 2
    matrix[1, 2] += new_h / 2 - h / 2
    return cv2.warpAffine(page, matrix, (new_w, new_h), borderValue=PAPER)


def write_png(page: np.ndarray, path: Path, dpi: int = 200) -> Path:
    """Save ``page`` as a PNG carrying its resolution (pHYs), as a scanner writes it."""
    from PIL import Image

    Image.fromarray(page).save(path, dpi=(dpi, dpi))
    return path
