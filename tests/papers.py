"""Reading printed papers back as a person or a scanner would, with tools hoso does not use to
write them: poppler's ``pdftotext``, ``pdfinfo`` and ``pdftoppm`` (poppler-utils), and zxing-cpp
on the rendered page."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import zxingcpp
from PIL import Image

A5 = (419.5, 595.3)
A4_LANDSCAPE = (841.9, 595.3)
"""Page sizes in points, as pdfinfo prints them (rounded to a tenth)."""


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def page_sizes(path: Path) -> list[tuple[float, float]]:
    """Each page's width and height in points."""
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "9999", str(path)], capture_output=True,
                          text=True, check=True).stdout
    return [(round(float(w), 1), round(float(h), 1))
            for w, h in re.findall(r"^Page +\d+ size: +([\d.]+) x ([\d.]+) pts", info, re.M)]


def symbols(path: Path, tmp: Path, page: int = 1, dpi: int = 200) -> dict[str, str]:
    """The barcodes on ``page`` rendered at ``dpi``, by format (``Code128``, ``QRCode``)."""
    stem = tmp / f"{path.stem}-p{page}-{dpi}"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-gray", "-f", str(page), "-l",
                    str(page), "-singlefile", str(path), str(stem)], check=True)
    found = zxingcpp.read_barcodes(Image.open(stem.with_suffix(".png")))
    return {symbol.format.name: symbol.text for symbol in found if symbol.valid}
