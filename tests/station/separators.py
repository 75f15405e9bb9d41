"""Separator sheets made by Debian's ``zint``, then faxed, blurred, distorted and turned.

A production scanner's batch is split by PATCH T sheets: a page with a large Code 39 symbol
reading ``PATCHT`` (as Paperless-ngx prints them). Stations may also use a Code 128 or QR sheet
with a text of their own. Each case draws one such sheet on A4 at the case's dpi and roughens it
the way a real separator reaches the station: sent through a fax (204 × 98 dpi, black and white,
streaks), blurred, distorted by a sheet fed askew or curled, turned any way up. A sheet fed
sideways into a standard fax (its bars sampled at 98 lines an inch) is not among them: its
narrow bars are under two lines wide and no reader here decodes it.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tests.station.covers import PAPER, rotate

ZINT = {"Code39": "8", "Code128": "20", "QRCode": "58"}


@dataclass(frozen=True)
class SeparatorCase:
    """One rough separator sheet."""

    text: str = "PATCHT"
    format: str = "Code39"
    angle: float = 0.0
    fax: bool = False
    blur: float = 0.0
    warp: bool = False
    noise: float = 0.0
    dpi: int = 200
    # Code 39's optional mod-43 check character, as the text ends when read (readers pass it
    # on); zint computes and prints it
    check: str = ""

    @property
    def name(self) -> str:
        marks = [m for m, on in (("fax", self.fax), ("warp", self.warp),
                                 ("check", bool(self.check))) if on]
        return "-".join([self.format, self.text.replace(" ", "_"), f"{self.angle:g}deg",
                         f"{self.dpi}dpi", f"blur{self.blur:g}", f"noise{self.noise:g}", *marks])


ROUGH_SEPARATORS = [
    *(SeparatorCase(angle=a) for a in (0, 90, 180, 270)),
    SeparatorCase(fax=True), SeparatorCase(fax=True, angle=180),
    SeparatorCase(fax=True, angle=-3, noise=10),
    SeparatorCase(blur=2.0), SeparatorCase(blur=2.5, angle=180, dpi=300),
    SeparatorCase(warp=True), SeparatorCase(warp=True, angle=177, blur=1.2),
    SeparatorCase(angle=4, noise=14, dpi=150), SeparatorCase(angle=92.5, blur=1.5),
    SeparatorCase(fax=True, warp=True, angle=270),
    SeparatorCase(check="-", fax=True, angle=180), SeparatorCase(text="PATCH T", angle=90),
    SeparatorCase(format="Code128", text="TACH-HO-SO", angle=180, blur=1.5),
    SeparatorCase(format="QRCode", text="TACH-HO-SO", angle=33, fax=True),
]


def separator_symbol(case: SeparatorCase, tmp: Path) -> np.ndarray:
    """The symbol as zint draws it: a PATCH T sheet's Code 39 is big, ~0.5 mm modules 25 mm
    tall; Code 128 0.4 mm; QR 1 mm."""
    module_mm = {"Code39": 0.5, "Code128": 0.4, "QRCode": 1.0}[case.format]
    out = tmp / f"zint-{case.name}.png"
    scale = max(0.5, module_mm / 25.4 * case.dpi / 2)  # zint's scale 1: a 2-pixel module
    height = ["--height", "25"] if case.format != "QRCode" else []
    check = ["--vers=1"] if case.check else []
    subprocess.run(["zint", "-b", ZINT[case.format], "-d", case.text, "--scale", f"{scale:g}",
                    "--notext", *height, *check, "-o", str(out)], check=True,
                   capture_output=True)
    image = cv2.imread(str(out), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise RuntimeError(f"zint wrote no readable PNG at {out}")
    return image


def separator_page(case: SeparatorCase, tmp: Path, seed: int = 11) -> np.ndarray:
    """A greyscale A4 separator sheet degraded as ``case`` says."""
    width, height = round(8.27 * case.dpi), round(11.69 * case.dpi)
    page = np.full((height, width), PAPER, np.uint8)
    symbol = separator_symbol(case, tmp)
    h, w = symbol.shape
    top, left = height // 3, (width - w) // 2
    page[top:top + h, left:left + w] = np.minimum(symbol, PAPER)
    cv2.putText(page, case.text, (left, top + h + case.dpi // 3), cv2.FONT_HERSHEY_SIMPLEX,
                case.dpi / 100, 20, 3)
    rng = np.random.default_rng(seed)
    if case.warp:
        page = _warp(page, rng)
    if case.fax:  # the sheet was faxed as printed; its printout reaches the scanner any way up
        page = _fax(page, case.dpi, rng)
    if case.angle:
        page = rotate(page, case.angle)
    if case.blur:
        page = cv2.GaussianBlur(page, (0, 0), case.blur)
    if case.noise:
        page = np.clip(page + rng.normal(0, case.noise, page.shape), 0, 255).astype(np.uint8)
    return page


def _warp(page: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A sheet fed askew and curled: a perspective pull and a gentle wave across the page."""
    h, w = page.shape
    pull = 0.04
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[w * pull, 0], [w * (1 - pull / 2), h * pull / 2], [w, h],
                      [0, h * (1 - pull)]])
    page = cv2.warpPerspective(page, cv2.getPerspectiveTransform(src, dst), (w, h),
                               borderValue=PAPER)
    ys, xs = np.indices((h, w), np.float32)
    wave = (np.sin(xs / w * 2 * np.pi * 1.5 + rng.uniform(0, 6)) * h * 0.004).astype(np.float32)
    return cv2.remap(page, xs, ys + wave, cv2.INTER_LINEAR, borderValue=PAPER)


def _fax(page: np.ndarray, dpi: int, rng: np.random.Generator) -> np.ndarray:
    """Through a standard-resolution fax: 204 × 98 dpi, thresholded to black and white, a few
    dropped and streaked lines, then printed back at the scan's resolution."""
    h, w = page.shape
    small = cv2.resize(page, (round(w * 204 / dpi), round(h * 98 / dpi)),
                       interpolation=cv2.INTER_AREA)
    bw = np.where(small < 150, 0, 255).astype(np.uint8)
    for row in rng.choice(bw.shape[0], size=bw.shape[0] // 60, replace=False):
        bw[row] = 255 if rng.random() < 0.5 else np.where(rng.random(bw.shape[1]) < 0.1, 0, 255)
    return cv2.resize(bw, (w, h), interpolation=cv2.INTER_NEAREST)
