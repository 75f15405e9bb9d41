"""Decompression bombs are refused from their headers, in bounded memory and time.

Each file is opened in a child process whose address space is capped (``RLIMIT_AS``), so a
decoder that allocated what the headers promise would die there instead of passing. The files
are a few kilobytes each and promise gigapixels: frames of a multi-frame TIFF, GIF and APNG, and
pages of a PDF. A multi-page file with one oversized page loses that page only.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfWriter

MEMORY_CAP = 1024 * 1024 * 1024  # the interpreter, numpy, Pillow and pypdf fit well under this
SECONDS = 20.0
CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
from scanning.errors import BadPage
from scanning.images import Page, iter_pages
try:
    got = [(p.number, "page" if isinstance(p, Page) else p.reason) for p in iter_pages(sys.argv[1])]
    print(json.dumps({{"pages": got}}))
except BadPage as error:
    print(json.dumps({{"refused": str(error)}}))
peak = [line for line in open("/proc/self/status") if line.startswith("VmHWM")][0]
print(json.dumps({{"peak_kb": int(peak.split()[1])}}))  # ru_maxrss would count the forked parent
"""


def load_capped(path: Path) -> dict:
    """What ``iter_pages`` makes of ``path`` in a child capped at MEMORY_CAP, and its peak."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", CHILD.format(cap=MEMORY_CAP), str(path)],
                          capture_output=True, text=True, timeout=SECONDS, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    return {**lines[0], **lines[1], "seconds": time.monotonic() - started}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def apng(path: Path, side: int, frames: int) -> Path:
    """An APNG whose canvas is side × side and that claims ``frames`` frames of it."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    body = [_chunk(b"IHDR", ihdr), _chunk(b"acTL", struct.pack(">II", frames, 0))]
    row = zlib.compress(b"\x00" * (side + 1) * 1)
    for index in range(frames):
        fctl = struct.pack(">IIIIIHHBB", 2 * index, side, 1, 0, 0, 1, 10, 0, 0)
        body.append(_chunk(b"fcTL", fctl))
        body.append(_chunk(b"IDAT", row) if index == 0
                    else _chunk(b"fdAT", struct.pack(">I", 2 * index + 1) + row))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"".join(body) + _chunk(b"IEND", b""))
    return path


def gif(path: Path, side: int, frames: int) -> Path:
    """A GIF whose logical screen is side × side, with ``frames`` 1×1 frames."""
    head = b"GIF89a" + struct.pack("<HHBBB", side, side, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    frame = (b"\x21\xf9\x04\x00\x00\x00\x00\x00" + b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
             + b"\x02\x02\x44\x01\x00")
    path.write_bytes(head + frame * frames + b"\x3b")
    return path


def tiff(path: Path, sizes: list[tuple[int, int]]) -> Path:
    """A multi-frame bilevel TIFF, Group 4 compressed: kilobytes for gigapixels."""
    frames = [Image.new("1", size, 1) for size in sizes]
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="group4")
    return path


def pdf(path: Path, pages: int, inches: float = 8.27) -> Path:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=inches * 72, height=inches * 72 * 1.414)
    with path.open("wb") as out:
        writer.write(out)
    return path


@pytest.mark.parametrize(("name", "make", "word"), [
    ("frames.tif", lambda p: tiff(p, [(7000, 7000)] * 40), "more than one file may"),
    ("frames.gif", lambda p: gif(p, 7000, 40), "more than one file may"),
    ("frames.png", lambda p: apng(p, 7000, 40), "more than one file may"),
    ("screen.gif", lambda p: gif(p, 60000, 2), "too many pixels"),
    ("many.pdf", lambda p: pdf(p, 2000), "more than 500 in one file"),
    ("posters.pdf", lambda p: pdf(p, 100, inches=12), "more than one file may"),
])
def test_a_bomb_is_refused_from_its_headers(name: str, make, word: str,
                                            tmp_path: Path) -> None:
    # GIVEN a small file whose headers promise more pixels than a station should decode
    path = make(tmp_path / name)
    assert path.stat().st_size < 2_000_000
    # WHEN it is loaded under a memory cap
    outcome = load_capped(path)
    # THEN it is refused by name, saying why, quickly and in bounded memory
    assert outcome.get("refused", "").startswith(f"{name}: "), outcome
    assert word in outcome["refused"], outcome
    assert outcome["seconds"] < SECONDS
    assert outcome["peak_kb"] < 400_000, outcome


def test_an_oversized_page_is_refused_by_number_and_the_others_go_on(tmp_path: Path) -> None:
    # GIVEN a three-page TIFF whose second page is a 100-megapixel poster
    path = tiff(tmp_path / "mixed.tif", [(1654, 2339), (10_000, 10_000), (1654, 2339)])
    # WHEN loaded under the cap THEN pages 1 and 3 come, page 2 is refused saying why
    outcome = load_capped(path)
    pages = dict(outcome["pages"])
    assert pages[1] == "page"
    assert pages[3] == "page"
    assert "more than a page scan can be" in pages[2]
    assert outcome["peak_kb"] < 400_000, outcome


def test_an_oversized_page_of_a_pdf_is_refused_by_number(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_blank_page(width=14_400, height=14_400)
    with (tmp_path / "two.pdf").open("wb") as out:
        writer.write(out)
    pages = dict(load_capped(tmp_path / "two.pdf")["pages"])
    assert pages[1] == "page"
    assert "decompression bomb" in pages[2]
