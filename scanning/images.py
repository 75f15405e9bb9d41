"""Safe page loading: image files (and PDF pages) become pixel arrays or a refusal naming them.

Every file is measured from its headers before a pixel is decoded (``measure``): Pillow's
``Image.open`` is lazy, so frame counts and sizes cost nothing, and a PDF's page tree gives its
page boxes. A file whose pages add up to more than its ``Budget`` is refused whole, undecoded; a
page larger than a page can be is refused by its number and the file's other pages go on. Pages
are then decoded one frame (one PDF page) at a time, each in full, so a truncated JPEG or PNG
fails here and not half-way through clean-up, and memory holds one page, never the file.
PDF pages are rasterised by poppler's ``pdftoppm`` at ``PDF_DPI``, one page per run.
A frame whose pixels are not square (a fax server's TIFF at 204 × 98 dpi) is stretched to its
higher resolution both ways as it is decoded, and measured so: Tesseract reads letters half
their height as something else. A frame whose EXIF says which way up it is, is turned so.
"""

from __future__ import annotations

import functools
import subprocess
import tempfile
import warnings
from collections.abc import Container, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from scanning.errors import BadPage

# A4 at 600 dpi is 35 Mpx; a legal-size page at 600 dpi 40 Mpx. Anything above this is no scan.
MAX_PIXELS = 60_000_000
MAX_PAGES_PER_FILE = 500
# About 170 A4 pages at 300 dpi, 380 at 200 dpi: what one file may make the station decode.
MAX_FILE_PIXELS = 1_500_000_000
MIN_SIDE = 16
PDF_DPI = 300
PDFTOPPM_TIMEOUT = 60.0
# Formats whose frames all have the canvas size (Pillow reports it for every frame), so the
# frame count times the canvas is the file's size without seeking (seeking a GIF decodes).
CANVAS_FORMATS = frozenset({"GIF", "PNG", "WEBP"})
MEASURED_FILES = 64  # files whose measure a process remembers (see ``_measured``)
# Pixels up to this many times taller than wide (or wider than tall) are squared; a fax's
# standard resolution is 2.08. A header claiming more is not believed: no stretch.
MAX_PIXEL_ASPECT = 4.0
# EXIF orientations (TIFF tag 274) and the turn that makes each upright, as Pillow's
# ``ImageOps.exif_transpose`` does; the last four swap width and height.
EXIF_TURNS = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
              4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
              6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}
QUARTER_TURNS = frozenset({Image.Transpose.TRANSPOSE, Image.Transpose.ROTATE_270,
                           Image.Transpose.TRANSVERSE, Image.Transpose.ROTATE_90})
# Pillow's modes for 16-bit grey ("I": a 16-bit PNG as older Pillow opens it).
SIXTEEN_BIT_GREY = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I"})


@dataclass(frozen=True)
class Budget:
    """How much one file may hold: pixels per page, pixels over all its pages, pages."""

    page_pixels: int = MAX_PIXELS
    file_pixels: int = MAX_FILE_PIXELS
    pages: int = MAX_PAGES_PER_FILE


@dataclass(frozen=True, eq=False)
class Page:
    """One scanned page: BGR ``uint8`` pixels, where it came from, and its resolution if known.

    ``number`` is 1-based within ``source``. ``dpi`` is ``None`` when the file does not say; the
    quality gate then asks the operator to check the scanner settings.
    """

    pixels: np.ndarray
    source: str
    number: int
    dpi: float | None

    @property
    def label(self) -> str:
        """``file`` or ``file page N``: how an operator finds the page again."""
        return page_label(self.source, self.number)


@dataclass(frozen=True)
class RefusedPage:
    """A page of a file that cannot be a scan (too large, too small); the others go on."""

    source: str
    number: int
    reason: str

    @property
    def label(self) -> str:
        return page_label(self.source, self.number)


@dataclass(frozen=True)
class FileMeasure:
    """A file's pages as its headers describe them: (width, height) in decoded pixels, and why
    each page is refused (``None`` when it can be decoded)."""

    name: str
    pdf: bool
    sizes: tuple[tuple[int, int], ...]
    refusals: tuple[str | None, ...]

    @property
    def pixels(self) -> int:
        """Pixels the file's decodable pages hold: what decoding it costs."""
        return sum(w * h for (w, h), why in zip(self.sizes, self.refusals, strict=True)
                   if why is None)


def page_label(source: str, number: int) -> str:
    return source if number == 1 else f"{source} page {number}"


def measure(path: Path | str, budget: Budget = Budget()) -> FileMeasure:
    """The file's pages from its headers alone, nothing decoded. Raises ``BadPage`` naming the
    file when it is empty, not an image or PDF, corrupt, has too many pages, or its pages
    together exceed ``budget.file_pixels``."""
    path = Path(path)
    name = path.name
    try:
        with path.open("rb") as file:
            head = file.read(8)
    except OSError as error:
        raise BadPage(name, f"cannot be read ({error.strerror or error})") from error
    if not head:
        raise BadPage(name, "the file is empty (0 bytes)")
    pdf = head.startswith(b"%PDF")
    sizes = _pdf_sizes(path) if pdf else _image_sizes(path)
    if len(sizes) > budget.pages:
        raise BadPage(name, f"{len(sizes):,} pages: more than {budget.pages} in one file")
    found = FileMeasure(name, pdf, tuple(sizes),
                        tuple(_page_refusal(size, budget) for size in sizes))
    if found.pixels > budget.file_pixels:
        raise BadPage(name, f"its {len(sizes)} pages hold {found.pixels:,} pixels, more than "
                            f"one file may (limit {budget.file_pixels:,}); refused undecoded "
                            "as a possible decompression bomb")
    if len(sizes) == 1 and found.refusals[0] is not None:
        raise BadPage(name, found.refusals[0])
    return found


def iter_pages(path: Path | str, wanted: Container[int] | None = None,
               budget: Budget = Budget()) -> Iterator[Page | RefusedPage]:
    """The file's pages in order, decoded one at a time, after ``measure`` accepted the file;
    only pages numbered in ``wanted`` (1-based) when given. An oversized page comes as a
    ``RefusedPage``. Raises ``BadPage`` for the whole file (see ``measure``), or part-way when
    a page turns out corrupt."""
    path = Path(path)
    found = _measured(path, budget)
    numbers = [n for n in range(1, len(found.sizes) + 1) if wanted is None or n in wanted]
    for number in numbers:
        why = found.refusals[number - 1]
        if why is not None:
            yield RefusedPage(path.name, number, why)
    decodable = [n for n in numbers if found.refusals[n - 1] is None]
    if found.pdf:
        yield from (_pdf_page(path, number) for number in decodable)
    else:
        yield from _image_frames(path, decodable)


def _measured(path: Path, budget: Budget) -> FileMeasure:
    """``measure``, remembered for this version of the file (its inode, size and modification
    time). Each page of a multi-page file is a job of its own that decodes only that page;
    reading a 500-page PDF's page tree again for every one would cost ~50 ms a page."""
    try:
        stat = path.stat()
    except OSError:
        return measure(path, budget)  # which says why the file cannot be read
    return _measured_version(path, (stat.st_ino, stat.st_size, stat.st_mtime_ns), budget)


@functools.lru_cache(maxsize=MEASURED_FILES)
def _measured_version(path: Path, version: tuple[int, int, int], budget: Budget
                      ) -> FileMeasure:
    """``measure`` of ``path``; ``version`` only keys the cache."""
    return measure(path, budget)


def load_pages(path: Path | str, wanted: Container[int] | None = None) -> list[Page]:
    """Every page of an image file (PNG, JPEG, TIFF incl. multi-page, anything Pillow reads) or
    PDF, in file order; only pages numbered in ``wanted`` (1-based) when given. Raises
    ``BadPage`` naming the file (and the page) when any page cannot be a scan; the station,
    which goes on past a refused page, uses ``iter_pages``."""
    pages = []
    for page in iter_pages(path, wanted):
        if isinstance(page, RefusedPage):
            raise BadPage(page.source, f"page {page.number}: {page.reason}")
        pages.append(page)
    return pages


def _page_refusal(size: tuple[int, int], budget: Budget) -> str | None:
    width, height = size
    if width * height > budget.page_pixels:
        return (f"{width}×{height} pixels is more than a page scan can be "
                f"(limit {budget.page_pixels:,}); refused as a possible decompression bomb")
    if width < MIN_SIDE or height < MIN_SIDE:
        return f"{width}×{height} pixels is too small to be a page"
    return None


def _open(path: Path) -> Image.Image:
    with warnings.catch_warnings():
        # Pillow warns (then errors) on its own bomb limit; ours is checked explicitly.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return Image.open(path)


def _image_sizes(path: Path) -> list[tuple[int, int]]:
    try:
        with _open(path) as image:
            frames = getattr(image, "n_frames", 1)
            if frames > MAX_PAGES_PER_FILE * 2 or frames == 1 or image.format in CANVAS_FORMATS:
                return [_decoded_size(image)] * frames
            sizes = []
            for index in range(frames):  # a TIFF's seek reads the frame's directory only
                image.seek(index)
                sizes.append(_decoded_size(image))
            return sizes
    except Image.DecompressionBombError as error:
        raise BadPage(path.name, f"too many pixels to be a page scan ({error})") from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise BadPage(path.name, _image_trouble(error)) from error


def _image_frames(path: Path, numbers: list[int]) -> Iterator[Page]:
    if not numbers:
        return
    try:
        with _open(path) as image:
            for number in numbers:
                image.seek(number - 1)
                image.load()
                frame, (size, dpi) = _opaque_eight_bit(image), _square(image)
                if size != frame.size:
                    frame = _stretched(frame, size)
                turn = _exif_turn(image)
                if turn is not None:
                    frame = frame.transpose(turn)
                yield Page(pixels=_bgr(frame), source=path.name, number=number, dpi=dpi)
    except Image.DecompressionBombError as error:
        raise BadPage(path.name, f"too many pixels to be a page scan ({error})") from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise BadPage(path.name, _image_trouble(error)) from error


def _image_trouble(error: Exception) -> str:
    return ("not an image Pillow can read" if "cannot identify" in str(error)
            else f"corrupt or truncated image ({error})")


def _square(image: Image.Image) -> tuple[tuple[int, int], float | None]:
    """The frame's size once its pixels are square, and its resolution then (None when the
    file does not say; JFIF's "no units" says 1). The axis of lower resolution grows to the
    other's: a fax's 204 × 98 dpi frame of 1728 × 1145 becomes 1728 × 2383 at 204 dpi."""
    width, height = image.size
    dpi = image.info.get("dpi")
    try:
        across, down = (float(dpi[0]), float(dpi[1])) if dpi else (0.0, 0.0)
    except (TypeError, ValueError, IndexError):
        return (width, height), None
    if across < 50:
        return (width, height), None
    # PNG stores pixels per metre, so 200 dpi reads back 199.9994.
    if down < 50 or max(across, down) / min(across, down) > MAX_PIXEL_ASPECT:
        return (width, height), float(round(across))
    if abs(across - down) <= 0.02 * max(across, down):
        size = (width, height)
    elif across > down:
        size = (width, round(height * across / down))
    else:
        size = (round(width * down / across), height)
    return size, float(round(max(across, down)))


def _decoded_size(image: Image.Image) -> tuple[int, int]:
    """The frame's size as ``_image_frames`` hands it on: squared, then turned upright."""
    (width, height), _ = _square(image)
    return (height, width) if _exif_turn(image) in QUARTER_TURNS else (width, height)


def _exif_turn(image: Image.Image) -> Image.Transpose | None:
    """How to turn the frame upright by its EXIF orientation (a phone's or a scanner app's
    JPEG that says which way up it is instead of turning its pixels), if it says so."""
    try:
        orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    except (OSError, ValueError, SyntaxError):
        return None  # an unreadable EXIF block is no reason to refuse the page
    return EXIF_TURNS.get(orientation)


def _stretched(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``image`` resized to ``size`` through grey (a black-and-white frame) or colour, so that
    the grown axis gets smooth edges instead of doubled stair-steps."""
    smooth = image if image.mode in ("L", "RGB") else image.convert(
        "L" if image.mode == "1" else "RGB")
    return smooth.resize(size, Image.Resampling.BICUBIC)


def _opaque_eight_bit(image: Image.Image) -> Image.Image:
    """The frame in 8-bit pixels with nothing transparent, which Pillow's own conversions get
    wrong two ways. 16-bit grey (a scanner's "16-bit greyscale" setting, PNG or TIFF): every
    value above 255 is clipped to white, and the scan came out a blank page; it is scaled
    instead. Transparency (an image program's export): the alpha is dropped and the colour
    under transparent paper shows, usually black; the frame is laid on white instead."""
    if image.mode in SIXTEEN_BIT_GREY:
        values = np.asarray(image)  # the high byte: a 60 Mpx page needs no wider copy
        if values.dtype.kind != "u":
            values = np.clip(values, 0, 65535)
        return Image.fromarray((values >> 8).astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image if image.mode == "RGBA" else image.convert("RGBA")
        paper = Image.new("RGB", image.size, (255, 255, 255))
        paper.paste(rgba, mask=rgba.getchannel("A"))
        return paper
    return image


def _bgr(image: Image.Image) -> np.ndarray:
    """The page as OpenCV's BGR array, read-only (a page is kept as scanned). Pillow writes
    its bytes in BGR order straight away: on a 300 dpi page half the time of splitting and
    merging the channels, a third of numpy's strided copy of a reversed view."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    pixels: np.ndarray = np.frombuffer(rgb.tobytes("raw", "BGR"), np.uint8)
    return pixels.reshape(rgb.height, rgb.width, 3)


def _pdf_sizes(path: Path) -> list[tuple[int, int]]:
    """Page sizes at ``PDF_DPI`` from the page tree, so a poster-sized page is refused
    unrendered (the media box bounds the crop box poppler renders)."""
    try:
        reader = PdfReader(path)
        # a PDF locked only against editing opens with the empty password, as poppler opens it
        if reader.is_encrypted and not reader.decrypt(""):
            raise BadPage(path.name, "the PDF is password-protected: save it without a password "
                                     "and scan it in again")
        count = len(reader.pages)
        if count > MAX_PAGES_PER_FILE:
            return [(0, 0)] * count
        sizes = []
        for page in reader.pages:
            box, unit = page.mediabox, float(page.user_unit or 1)
            sizes.append((int(abs(float(box.width)) * unit / 72 * PDF_DPI),
                          int(abs(float(box.height)) * unit / 72 * PDF_DPI)))
        return sizes
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, RecursionError) as error:
        raise BadPage(path.name, f"corrupt PDF ({error})") from error


def _pdf_page(path: Path, number: int) -> Page:
    name = path.name
    with tempfile.TemporaryDirectory(prefix="hoso-pdf-") as tmp:
        prefix = Path(tmp) / "page"
        try:
            done = subprocess.run(
                # PPM, not PNG: compressing a 300 dpi page took pdftoppm 1.3 s of its 1.5 s,
                # and decoding it back another 0.1 s
                ["pdftoppm", "-r", str(PDF_DPI), "-f", str(number), "-l", str(number),
                 "-singlefile", str(path), str(prefix)],
                capture_output=True, timeout=PDFTOPPM_TIMEOUT, check=False)
        except subprocess.TimeoutExpired as error:
            raise BadPage(name, f"page {number} took too long to rasterise") from error
        rendered = prefix.with_suffix(".ppm")
        if done.returncode != 0 or not rendered.exists():
            detail = done.stderr.decode(errors="replace").strip().splitlines()
            raise BadPage(name, "corrupt PDF" + (f" ({detail[0]})" if detail else ""))
        with Image.open(rendered) as image:
            image.load()
            return Page(pixels=_bgr(image), source=name, number=number, dpi=float(PDF_DPI))
