"""Page loading: scans in every usual container load with their resolution; anything that
cannot be a page is refused with an error naming the file, before its pixels are decoded."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from scanning.errors import BadPage
from scanning.images import load_pages


def _page(width: int = 400, height: int = 560) -> Image.Image:
    pixels = np.full((height, width, 3), 250, np.uint8)
    pixels[100:120, 50:350] = (10, 20, 200)
    return Image.fromarray(pixels)


def test_png_jpeg_and_multipage_tiff_load_with_their_resolution(tmp_path: Path) -> None:
    _page().save(tmp_path / "a.png", dpi=(200, 200))
    _page().save(tmp_path / "b.jpg", dpi=(300, 300), quality=80)
    _page().save(tmp_path / "c.tif", dpi=(300, 300), save_all=True,
                 append_images=[_page(500, 700), _page()])
    png, = load_pages(tmp_path / "a.png")
    jpeg, = load_pages(tmp_path / "b.jpg")
    tiff = load_pages(tmp_path / "c.tif")
    assert (png.dpi, png.pixels.shape, png.label) == (200.0, (560, 400, 3), "a.png")
    assert png.pixels[110, 60].tolist() == [200, 20, 10]  # BGR, as OpenCV expects
    assert jpeg.dpi == 300.0
    assert [p.number for p in tiff] == [1, 2, 3]
    assert tiff[1].pixels.shape == (700, 500, 3)
    assert tiff[1].label == "c.tif page 2"


def test_a_png_without_resolution_says_so(tmp_path: Path) -> None:
    _page().save(tmp_path / "bare.png")
    assert load_pages(tmp_path / "bare.png")[0].dpi is None


def test_pdf_pages_are_rasterised_at_300_dpi(tmp_path: Path) -> None:
    canvas = Canvas(str(tmp_path / "two.pdf"), pagesize=(595, 842))
    for text in ("một", "hai"):
        canvas.drawString(72, 700, text)
        canvas.showPage()
    canvas.save()
    pages = load_pages(tmp_path / "two.pdf")
    assert [(p.number, p.dpi) for p in pages] == [(1, 300.0), (2, 300.0)]
    assert abs(pages[0].pixels.shape[0] - 3508) <= 1
    assert pages[0].pixels.shape[1] == 2480


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def _bad_files(folder: Path) -> dict[str, str]:
    """Each refused file and a word its error must contain."""
    _page().save(folder / "whole.png")
    whole = (folder / "whole.png").read_bytes()
    (folder / "truncated.png").write_bytes(whole[: len(whole) // 2])
    _page().save(folder / "whole.jpg", quality=90)
    jpeg = (folder / "whole.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(jpeg[: len(jpeg) // 3])
    (folder / "corrupt.jpg").write_bytes(jpeg[:200] + bytes(range(256)) * 40)
    (folder / "empty.png").write_bytes(b"")
    (folder / "notes.png").write_text("this is not an image\n")
    (folder / "bomb.png").write_bytes(_png_header_only(100_000, 100_000))
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<>> garbage\n")
    canvas = Canvas(str(folder / "poster.pdf"), pagesize=(14_400, 14_400))  # 200 × 200 inches
    canvas.drawString(72, 72, "x")
    canvas.save()
    return {"truncated.png": "truncated", "truncated.jpg": "truncated",
            "corrupt.jpg": "corrupt", "empty.png": "empty", "notes.png": "not an image",
            "bomb.png": "decompression bomb", "broken.pdf": "corrupt PDF",
            "poster.pdf": "decompression bomb"}


def test_files_that_cannot_be_pages_are_refused_naming_the_file(tmp_path: Path) -> None:
    for name, word in _bad_files(tmp_path).items():
        with pytest.raises(BadPage) as refused:
            load_pages(tmp_path / name)
        assert refused.value.file == name
        assert str(refused.value).startswith(f"{name}: ")
        assert word in str(refused.value), str(refused.value)
