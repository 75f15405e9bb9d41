"""Reads cover sheets and separator sheets: the one module that imports zxing-cpp.

Covers carry the dossier code as Code 128 and QR (the receipt slip's barcode); separator sheets
carry a station's separator text, PATCH T sheets as Code 39 ``PATCHT``, others as Code 128 or
QR. zxing-cpp reads linear symbols at 0/90/180/270° (± a scanner's skew) and QR at any angle.
Decoding runs first on a copy downscaled to about 150 dpi (a few milliseconds a page), then on
the full-size page, then on the full-size page with a fixed threshold instead of zxing-cpp's
local one (a blurred separator, whose bars ran together into grey the local threshold takes
for paper; an unsharp mask read no more and cost 0.3 s a page), each only when the one before
found nothing, so
the pages of a dossier (most of a batch, and barcode-free) cost little. OpenCV's detector is not
used: it decoded no Code 128 here and once reported a wrong EAN-13 as a success.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import zxingcpp

READ_FORMATS = zxingcpp.BarcodeFormats(
    (zxingcpp.BarcodeFormat.Code128, zxingcpp.BarcodeFormat.QRCode,
     zxingcpp.BarcodeFormat.Code39))
FORMAT_NAMES = {zxingcpp.BarcodeFormat.Code128: "Code128",
                zxingcpp.BarcodeFormat.QRCode: "QRCode",
                zxingcpp.BarcodeFormat.Code39: "Code39"}
# A downscaled copy whose long side is about this many pixels: an A4 page at ~150 dpi,
# where the cover's 0.33 mm Code 128 modules are still 1–2 pixels wide.
DECODE_LONG_SIDE = 1750


@dataclass(frozen=True)
class Barcode:
    """One decoded symbol: its text and its format name (``Code128``, ``QRCode``, ``Code39``)."""

    text: str
    format: str


def read_barcodes(image: np.ndarray) -> list[Barcode]:
    """Every Code 128, Code 39 and QR symbol on ``image`` (grey or BGR, uint8), each (text,
    format) once, in zxing-cpp's reading order. An empty list means no readable symbol."""
    if image.dtype != np.uint8 or image.ndim not in (2, 3):
        raise ValueError(f"expected a grey or BGR uint8 image, got {image.dtype} {image.shape}")
    factor = max(1, round(max(image.shape[:2]) / DECODE_LONG_SIDE))
    found = _decode(np.ascontiguousarray(image[::factor, ::factor])) if factor > 1 else []
    if not found:
        found = _decode(np.ascontiguousarray(image))
    if not found:
        found = _decode(np.ascontiguousarray(image), zxingcpp.Binarizer.FixedThreshold)
    return found


def _decode(image: np.ndarray,
            binarizer: zxingcpp.Binarizer = zxingcpp.Binarizer.LocalAverage) -> list[Barcode]:
    found: list[Barcode] = []
    for symbol in zxingcpp.read_barcodes(image, formats=READ_FORMATS, binarizer=binarizer):
        text = symbol.text.strip()
        barcode = Barcode(text=text, format=FORMAT_NAMES.get(symbol.format, symbol.format.name))
        if text and symbol.valid and barcode not in found:
            found.append(barcode)
    return found
