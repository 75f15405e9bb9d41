"""Page loading: scans in every usual container load with their resolution; anything that
cannot be a page is refused with an error naming the file, before its pixels are decoded."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen.canvas import Canvas

from scanning.errors import BadPage
from scanning.images import Budget, load_pages, measure


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


def test_sixteen_bit_grey_scans_load_scaled_not_clipped_to_white(tmp_path: Path) -> None:
    # GIVEN a scanner's 16-bit greyscale page: ink at 6,000 of 65,535, paper at 60,000
    grey = np.full((560, 400), 60_000, np.uint16)
    grey[100:120, 50:350] = 6_000
    Image.fromarray(grey).save(tmp_path / "g16.png", dpi=(300, 300))
    Image.fromarray(grey).save(tmp_path / "g16.tif", dpi=(300, 300))
    for name in ("g16.png", "g16.tif"):
        page, = load_pages(tmp_path / name)
        # THEN the ink is dark and the paper light, as an 8-bit scan of the same page
        assert page.pixels[110, 60].tolist() == [23, 23, 23], name
        assert page.pixels[300, 200].tolist() == [234, 234, 234], name


def test_transparent_paper_loads_white_not_black(tmp_path: Path) -> None:
    # GIVEN an exported page whose paper is transparent black and whose ink is opaque black
    rgba = np.zeros((560, 400, 4), np.uint8)
    rgba[100:120, 50:350] = (0, 0, 0, 255)
    Image.fromarray(rgba).save(tmp_path / "rgba.png", dpi=(300, 300))
    Image.fromarray(rgba).convert("LA").save(tmp_path / "la.png", dpi=(300, 300))
    for name in ("rgba.png", "la.png"):
        page, = load_pages(tmp_path / name)
        # THEN the paper is white and the ink still black
        assert page.pixels[300, 200].tolist() == [255, 255, 255], name
        assert page.pixels[110, 60].tolist() == [0, 0, 0], name


def test_a_jpeg_that_says_which_way_up_it_is_is_turned_so(tmp_path: Path) -> None:
    # GIVEN a phone's JPEG with its pixels as the camera held them and EXIF orientation 6
    # ("turn 90° clockwise to view"), ink in its top-left corner
    pixels = np.full((560, 400, 3), 250, np.uint8)
    pixels[10:30, 10:100] = 0
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6
    image.save(tmp_path / "phone.jpg", exif=exif, dpi=(300, 300))
    # WHEN loaded THEN it is upright: wide, the ink down the top-right corner, measured so
    page, = load_pages(tmp_path / "phone.jpg")
    assert page.pixels.shape == (400, 560, 3)
    assert page.pixels[10:100, 532:548].max() < 60
    assert measure(tmp_path / "phone.jpg").sizes == ((560, 400),)


def test_a_fax_servers_tiff_gets_square_pixels_and_is_measured_so(tmp_path: Path) -> None:
    # GIVEN a fax at standard resolution: black and white, Group 4, 204 × 98 dpi (pixels twice
    # as tall as wide), and a TIFF whose header claims pixels twenty times as tall
    fax = Image.new("1", (1728, 1145), 1)
    fax.save(tmp_path / "fax.tif", compression="group4", dpi=(204, 98))
    fax.save(tmp_path / "odd.tif", compression="group4", dpi=(2000, 98))
    # WHEN loaded THEN the fax is stretched to 204 dpi both ways, and measured that size first
    page, = load_pages(tmp_path / "fax.tif")
    assert (page.dpi, page.pixels.shape) == (204.0, (2383, 1728, 3))
    assert measure(tmp_path / "fax.tif").sizes == ((1728, 2383),)
    with pytest.raises(BadPage, match="more than a page scan can be"):
        measure(tmp_path / "fax.tif", Budget(page_pixels=1728 * 2000))
    # … and a claim beyond any scanner's is not believed: no stretch
    odd, = load_pages(tmp_path / "odd.tif")
    assert (odd.dpi, odd.pixels.shape) == (2000.0, (1145, 1728, 3))


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
    # … and a scanner's PDF locked only against editing opens as any other
    restricted = PdfWriter(clone_from=PdfReader(tmp_path / "two.pdf"))
    restricted.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    restricted.write(tmp_path / "restricted.pdf")
    assert len(load_pages(tmp_path / "restricted.pdf")) == 2


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
    locked = PdfWriter(clone_from=PdfReader(folder / "poster.pdf"))
    locked.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    locked.write(folder / "locked.pdf")
    return {"truncated.png": "truncated", "truncated.jpg": "truncated",
            "corrupt.jpg": "corrupt", "empty.png": "empty", "notes.png": "not an image",
            "bomb.png": "decompression bomb", "broken.pdf": "corrupt PDF",
            "poster.pdf": "decompression bomb", "locked.pdf": "password-protected"}


def test_files_that_cannot_be_pages_are_refused_naming_the_file(tmp_path: Path) -> None:
    for name, word in _bad_files(tmp_path).items():
        with pytest.raises(BadPage) as refused:
            load_pages(tmp_path / name)
        assert refused.value.file == name
        assert str(refused.value).startswith(f"{name}: ")
        assert word in str(refused.value), str(refused.value)
