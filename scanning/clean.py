"""Page clean-up with OpenCV: the one module (with ``geometry`` and ``quality``) that imports cv2.

A scan yields four things here. The untouched original stays with the ``Page`` for the archive:
nothing hoso does can lose what the scanner saw. A straightened colour copy (turned upright,
deskewed, scanner borders cropped) is what people look at in the searchable PDF. The OCR copy is
grey: its level is the brightest of the three colour channels, so red seals and blue signatures
turn white and the black print under them stays; uneven light (scanner shadows, grey or yellowed
paper, faint photocopies) is divided out against a background estimate; table rules, dotted
leaders and the rings of seals that stay dark (a photocopy's, a fax's) are erased.
Its Otsu-thresholded black-and-white version is kept beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from scanning.geometry import ANALYSIS_DPI, RULE_INCHES, find_geometry
from scanning.images import Page
from scanning.quality import MARK_CONTRAST, QualityNote, assess, components, is_blank

# On the flattened copy (paper = 255), ink of even a faint photocopy is darker than this.
INK_LEVEL = 170
# A pixel whose channels differ by more than this is coloured ink (seal, signature, stamp),
# unless it is dark in every channel (black print under the seal).
COLOUR_INK = 60
# Paper lit less than this share of the page's typical paper is in a shadow, not readable.
SHADOW = 0.5
# Pages scanned coarser than this are enlarged for Tesseract, which reads small x-heights badly.
OCR_MIN_DPI = 200
# A page with less of its area in print darker than INK_LEVEL is sparse (a signature, a line,
# faint print): most text pages have 3-10 %.
SPARSE_INK = 0.005
# Pages scanned finer than this are reduced: at 600 dpi Tesseract took 3-4× as long and read
# fewer words (a text page 99 % against 100 %, a ruled form 97.8 against 99.6 %).
OCR_MAX_DPI = 300
# What is left of a rule's ragged edge once the rule is gone is specks smaller than this (mm).
SPECK_MM = 0.35
# Dotted leaders: dots no wider than this (mm), this far apart at most (mm), in a row this long.
DOT_MM = 0.8
LEADER_GAP_MM = 1.5
LEADER_INCHES = 0.35
RULE_STEP = 8  # columns between the samples that look for a rule before the opening does
# Seals: rings of this radius (mm) are looked for on a copy at SEAL_DPI; a circle counts as
# a seal's ring when ink lies under this share of its circumference (a fax keeps less than half
# of a red ring; text crossed by a circle of that size covers a fifth at most).
SEAL_RADIUS_MM = (8, 25)
SEAL_DPI = 100
SEAL_RING_SHARE = 0.4
# The circle search runs only on a page with a mark as large as a seal, gaps bridged by a
# dilation this wide at SEAL_DPI: a fax's ring broken into dashes up to 2 mm apart still counts.
SPAN_GAP = 5
# A grey copy's seal is told from its print by tone when the core of its rings' ink is lighter
# than the core of the print's by this much on the flattened copy (a photocopied red seal: ~35;
# a fax's black one: 0).
SEAL_TONE_GAP = 20
# When the file gives no resolution, assume an A4 page filled the scan.
A4_LONG_INCHES = 11.69
# No paper a counter takes is longer than A3 (16.5 in): a resolution that makes the scan longer
# than this is a program's default tag (72 dpi), not the scanner's.
MAX_PAGE_INCHES = 17.5


@dataclass(frozen=True, eq=False)
class CleanPage:
    """A page made ready for OCR and for people, with what clean-up found about it.

    ``ocr_image`` is what Tesseract should read (``reading_copy()``): grey, light divided out,
    colour inks, deep shadow, table rules, leaders and dark seal rings turned to paper (and, on
    a page with little print, marks fainter than the blank test counts).
    ``binary`` is its black-and-white version (0 ink, 255 paper). ``straight`` (BGR),
    ``binary`` and ``ocr_image`` share one geometry at ``ocr_dpi``, so word boxes found by OCR
    place the PDF's text layer on ``straight``. ``reread_unsure`` says the page's unsure words
    are worth reading again one by one: it is a form (clean-up found table rules, dotted
    leaders or a seal's ring), scanned at ``OCR_MIN_DPI`` or finer (a coarser scan's words,
    enlarged, read no surer on their own: a fax's hooked capitals came back with another
    tone).
    """

    page: Page
    straight: np.ndarray
    binary: np.ndarray
    ocr_dpi: float
    rotation: int
    skew: float
    blank: bool
    quality: list[QualityNote] = field(default_factory=list)
    ocr_image: np.ndarray | None = None
    reread_unsure: bool = False

    def reading_copy(self) -> np.ndarray:
        """The image to hand Tesseract: ``ocr_image``, or ``binary`` for a page rebuilt
        without one (a bundle returned by an OCR worker)."""
        return self.ocr_image if self.ocr_image is not None else self.binary

    def turned(self, quarter_turns: int) -> CleanPage:
        """The same page turned by further quarter turns clockwise (a second opinion on which
        way up it is, when OCR reads too little the first way)."""
        code = {1: cv2.ROTATE_90_CLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_COUNTERCLOCKWISE}
        k = quarter_turns % 4
        if k == 0:
            return self
        return CleanPage(page=self.page, straight=cv2.rotate(self.straight, code[k]),
                         binary=cv2.rotate(self.binary, code[k]), ocr_dpi=self.ocr_dpi,
                         rotation=(self.rotation + 90 * k) % 360, skew=self.skew,
                         blank=self.blank, quality=self.quality,
                         ocr_image=None if self.ocr_image is None
                         else cv2.rotate(self.ocr_image, code[k]),
                         reread_unsure=self.reread_unsure)

    def straight_jpeg(self, quality: int) -> bytes:
        """The straightened copy encoded as JPEG (what the searchable PDF shows)."""
        ok, jpeg = cv2.imencode(".jpg", self.straight, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise ValueError(f"{self.page.label}: the page image could not be encoded")
        return bytes(jpeg.tobytes())


def one_thread_per_process() -> None:
    """OpenCV on the calling thread alone, in a worker that cleans one page per core: the
    workers already keep every core busy, and OpenCV's own threads only add hand-offs (3 % of
    the OCR bench's pages/min)."""
    cv2.setNumThreads(1)


def effective_dpi(page: Page) -> float:
    """The page's resolution; or, when the file does not say or says one at which the page
    would be longer than any paper (a phone's or an app's 72 dpi on a 300 dpi scan), the one
    an A4 sheet filling the scan would have. Believed, a 72 dpi tag made clean-up grow a 300
    dpi page 2.8 times each way for Tesseract: ten times the time, a quarter of the words."""
    long_side = float(max(page.pixels.shape[:2]))
    if page.dpi and long_side / page.dpi <= MAX_PAGE_INCHES:
        return float(page.dpi)
    return long_side / A4_LONG_INCHES


def clean(page: Page) -> CleanPage:
    """Straighten, crop, flatten and binarise ``page``; flag it blank or of poor quality."""
    dpi = effective_dpi(page)
    pixels = page.pixels
    blue, green, red = cv2.split(pixels)
    text_grey = cv2.max(cv2.max(blue, green), red)  # red and blue inks turn light...
    all_grey = cv2.min(cv2.min(blue, green), red)  # every mark counts, whatever its colour
    colour = cv2.subtract(text_grey, all_grey)
    text_grey[(colour > COLOUR_INK) & (text_grey > 100)] = 255  # ...and then paper
    # The lid's and the glass's dark bands run along the scanner's frame, not the paper's:
    # they are cut before anything is turned.
    crop = _crop_box(all_grey)
    pixels, text_grey, all_grey = pixels[crop], text_grey[crop], all_grey[crop]
    background = _background(all_grey, dpi)
    flat_all = _divide(all_grey, background)
    blank = is_blank(flat_all, dpi)
    if blank:
        return _blank_page(page, pixels, flat_all, all_grey, background, dpi)
    if cv2.countNonZero(colour):
        text_paper = _background(text_grey, dpi)
        flat_text = _divide(text_grey, text_paper)
    else:  # a grey scan: the text is every mark, on the same paper
        text_paper, flat_text = background, flat_all
    # Deep shadow (the lid's edge, a book's gutter): too little light left to tell ink from
    # noise, and dividing it out would turn the noise into letters.
    flat_text[text_paper < SHADOW * float(np.median(text_paper[::8, ::8]))] = 255
    scale = ANALYSIS_DPI / dpi
    small = cv2.resize(flat_text, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    geometry = find_geometry(small < INK_LEVEL)
    rotation, skew = geometry.rotation, geometry.skew
    ocr_dpi = min(max(dpi, OCR_MIN_DPI), OCR_MAX_DPI)
    grow = ocr_dpi / dpi
    straight = _straighten(pixels, rotation, skew, grow, (255, 255, 255))
    flat = _straighten(flat_text, rotation, skew, grow, 255)
    _, binary = cv2.threshold(flat, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    rules = cv2.bitwise_or(_rules(binary, ocr_dpi), _seal_rings(binary, flat, ocr_dpi))
    # Tesseract gets the flattened grey with the rules whitened, not the black-and-white copy:
    # its LSTM reads the grey edges of tone marks better (1-2 points of word recall on 150-200
    # dpi pages, see docs/DESIGN-NOTES.md), and it thresholds for layout itself.
    ocr_image = cv2.bitwise_or(flat, rules)
    quality = assess(page.dpi, all_grey, background, dpi)
    _, printed = cv2.threshold(flat, INK_LEVEL - 1, 255, cv2.THRESH_BINARY_INV)
    if cv2.countNonZero(printed) < SPARSE_INK * flat.size:
        _without_show_through(ocr_image, blurred=any(n.code == "blurred" for n in quality))
    binary = cv2.bitwise_or(binary, rules)
    if not geometry.sure:
        quality.append(QualityNote("orientation-unsure", "too little text to tell which way "
                                   "up the page is: kept as scanned; turn it if it is not"))
    return CleanPage(page=page, straight=straight, binary=binary, ocr_dpi=ocr_dpi,
                     rotation=rotation, skew=skew, blank=blank, quality=quality,
                     ocr_image=ocr_image,
                     reread_unsure=grow <= 1.0 and cv2.countNonZero(rules) > 0)


def _without_show_through(ocr_image: np.ndarray, blurred: bool) -> None:
    """Turn to paper, in place, the marks on a page with little print of its own (a signed
    back, a line, faint print) that may be the other side's print seen through the paper.
    Tesseract's own threshold would fall between the paper and that mirror image and read it
    as hundreds of words, in half a minute or more. What the blank test takes for no mark is
    paper; and when the marks are soft as well as faint (the page's notes say blurred), so is
    every mark lighter than print: show-through is diffused by the paper it passes through. A
    page of faint, blurred print loses its reading with it; its notes already ask for a
    rescan."""
    faintest = INK_LEVEL if blurred else 255 - MARK_CONTRAST
    ocr_image[ocr_image > faintest] = 255


def _blank_page(page: Page, pixels: np.ndarray, flat: np.ndarray, grey: np.ndarray,
                background: np.ndarray, dpi: float) -> CleanPage:
    """A blank page as scanned (bands cropped): never turned, deskewed, enlarged or read, so it
    costs a small share of a page of text."""
    _, binary = cv2.threshold(flat, 255 - MARK_CONTRAST, 255, cv2.THRESH_BINARY)
    return CleanPage(page=page, straight=pixels, binary=binary, ocr_dpi=dpi, rotation=0,
                     skew=0.0, blank=True, quality=assess(page.dpi, grey, background, dpi))


def _background(grey: np.ndarray, dpi: float) -> np.ndarray:
    """Paper brightness everywhere: ink removed by a dilation wider than a stroke, smoothed.

    Computed on a quarter-size copy; the kernel (~6 mm) is wider than a character, so what it
    leaves is paper.
    """
    small = cv2.resize(grey, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    size = max(3, int(dpi * 0.25 / 25.4 * 6) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    paper = cv2.dilate(small, kernel)
    paper = cv2.medianBlur(paper, 2 * size + 1 if 2 * size + 1 <= 255 else 255)
    return cv2.resize(paper, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)


def _divide(grey: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Ink relative to its own paper: uneven light and tinted paper become white."""
    return cv2.divide(grey, np.maximum(background, 1), scale=255)


def _straighten(image: np.ndarray, rotation: int, skew: float, grow: float,
                fill: int | tuple[int, int, int]) -> np.ndarray:
    turns = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180,
             270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    if rotation:
        image = cv2.rotate(image, turns[rotation])
    if grow != 1.0:
        image = cv2.resize(image, None, fx=grow, fy=grow,
                           interpolation=cv2.INTER_CUBIC if grow > 1 else cv2.INTER_AREA)
    if abs(skew) < 0.05:
        return image
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), skew, 1.0)
    return cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=fill)


def _rules(binary: np.ndarray, dpi: float) -> np.ndarray:
    """White (255) where table rules, long underlines and dotted leaders are, black elsewhere:
    Tesseract takes a ruled table for one picture and drops the figures in it. A rule is a run
    of ink longer than ``RULE_INCHES`` one stroke thin (gaps of a pixel or two, as a fax
    leaves, bridged); letters are never that long. The rule goes with its fringe and the
    specks its ragged edge leaves, but a letter that touches it (a tone mark under the rule
    above, a descender on the rule below, the first letter against a cell's side) keeps its
    ink."""
    ink = cv2.bitwise_not(binary)
    length = max(15, int(RULE_INCHES * dpi))
    across = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((1, 3), np.uint8))
    down = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((3, 1), np.uint8))
    if not (_may_run(across, length) or _may_run(down.T, length)):
        return _leaders(ink, dpi)  # a page of running text: nothing to whiten but leaders
    rules = cv2.bitwise_or(cv2.morphologyEx(across, cv2.MORPH_OPEN, np.ones((1, length), np.uint8)),
                           cv2.morphologyEx(down, cv2.MORPH_OPEN, np.ones((length, 1), np.uint8)))
    if not cv2.countNonZero(rules):  # runs the quick look allowed for, none long enough
        return _leaders(ink, dpi)
    wide = cv2.dilate(rules, np.ones((3, 3), np.uint8))
    rest = cv2.bitwise_and(ink, cv2.bitwise_not(wide))
    count, labels, stats, _ = components(rest)
    speck = max(6, round((SPECK_MM / 25.4 * dpi) ** 2))
    letters = _paint((stats[:, cv2.CC_STAT_AREA] >= speck) & (np.arange(count) > 0), labels)
    restore = cv2.bitwise_and(cv2.dilate(letters, np.ones((3, 3), np.uint8)),
                              cv2.bitwise_and(ink, cv2.bitwise_not(rules)))
    whiten = cv2.bitwise_and(wide, cv2.bitwise_not(restore))
    return cv2.bitwise_or(whiten, _leaders(ink, dpi))


def _may_run(ink: np.ndarray, length: int) -> bool:
    """Whether some row of ``ink`` could hold a run ``length`` long, as the opening in ``_rules``
    finds one: ink all along ``RULE_STEP`` pixels, sampled every ``RULE_STEP``-th column, where
    such a run shows as ``length // RULE_STEP - 1`` samples in a row at least; or ink within
    ``length`` of a side, where OpenCV's border rule lets a shorter run through. A seventh of
    the opening's cost on a 300 dpi page; never says no where the opening would find a run, and
    running text has none."""
    if cv2.countNonZero(ink[:, :length]) or cv2.countNonZero(ink[:, -length:]):
        return True
    solid = cv2.erode(ink, np.ones((1, RULE_STEP), np.uint8))[:, ::RULE_STEP]
    eroded = cv2.erode(np.ascontiguousarray(solid),
                       np.ones((1, length // RULE_STEP - 1), np.uint8),
                       borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return cv2.countNonZero(eroded) > 0


def _seal_rings(binary: np.ndarray, flat: np.ndarray, dpi: float) -> np.ndarray:
    """White (255) on the round seals that stay dark on the page (a photocopy's grey seal, a
    fax's black one; a colour seal is gone already): Tesseract reads nothing of the signer's
    title that a ring crosses. A seal lighter than the print goes by its tone
    (``_by_tone``). Otherwise its rings go, fitted to their ink and their width; a letter a
    ring crosses keeps its ink where its stroke runs on across the ring, and the seal's own
    lettering and star stay (too small to cost the lines around them)."""
    ink = cv2.bitwise_not(binary)
    scale = SEAL_DPI / dpi
    small = cv2.resize(ink, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    mm = SEAL_DPI / 25.4
    if not _has_a_seal_sized_mark(small, SEAL_RADIUS_MM[0] * mm):
        return np.zeros_like(binary)  # a page of text: the circle search would find nothing
    circles = cv2.HoughCircles(small, cv2.HOUGH_GRADIENT_ALT, 1.5, minDist=round(5 * mm),
                               param1=300, param2=0.3, minRadius=round(SEAL_RADIUS_MM[0] * mm),
                               maxRadius=round(SEAL_RADIUS_MM[1] * mm))
    if circles is None:
        return np.zeros_like(binary)
    rings, bands, discs = (np.zeros_like(binary) for _ in range(3))
    stroke = max(2, round(0.5 / 25.4 * dpi))
    for x, y, radius in circles[0][:8] / scale:  # the likeliest few
        share, (x, y, radius) = _fit_ring(ink, (x, y, radius), stroke)
        if share >= SEAL_RING_SHARE:
            inner, outer = _ring_edges(ink, (x, y, radius), stroke)
            half = (outer - inner) / 2 + 2  # two pixels more each side: the ring's ragged edge
            band = np.zeros_like(binary)
            cv2.circle(band, (round(x), round(y)), round((inner + outer) / 2), 255,
                       thickness=round(2 * half) + 1)
            rings = cv2.bitwise_or(rings, _uncrossed(band, ink, (x, y), round(half) + 2))
            bands = cv2.bitwise_or(bands, band)
            cv2.circle(discs, (round(x), round(y)), round(radius) + stroke, 255, thickness=-1)
    return _by_tone(rings, bands, discs, ink, flat)


def _by_tone(rings: np.ndarray, bands: np.ndarray, discs: np.ndarray, ink: np.ndarray,
             flat: np.ndarray) -> np.ndarray:
    """``rings`` (white where rings were found, less the strokes crossing them) or, on a grey
    copy whose seals are lighter than its print, white wherever the seals' ``bands`` and the
    marks in their ``discs`` are nearer the rings' tone than the print's. A photocopy turns a
    red seal into a grey lighter than black print: the seal's lettering, its star, its rings
    with their grey fringe and the pen strokes under it go, and the signer's title keeps every
    stroke, even where a ring runs along it. A fax is black and white: no tone tells its seal
    from its print, and the rings found stay the answer."""
    on_ring = (rings > 0) & (ink > 0)
    print_ink = (rings == 0) & (ink > 0)
    if not on_ring.any() or not print_ink.any():
        return rings
    ring_tone = float(np.percentile(flat[on_ring], 25))
    print_tone = float(np.percentile(flat[print_ink], 25))
    if ring_tone - print_tone < SEAL_TONE_GAP:
        return rings
    light = flat >= (ring_tone + print_tone) / 2
    seal = np.zeros_like(rings)
    seal[light & ((bands > 0) | ((discs > 0) & (ink > 0)))] = 255
    return seal


def _fit_ring(ink: np.ndarray, guess: tuple[float, float, float],
              stroke: int) -> tuple[float, tuple[float, float, float]]:
    """The circle near ``guess`` (x, y, radius in pixels) lying most on ink, and the share of
    it that does. The circle search runs on a 100 dpi copy, so its centre and radius are a few
    pixels out at 300 dpi: enough for a thin ring (a fax's) to slip between the samples."""
    x, y, radius = guess
    shifts = np.arange(-2, 2.5) * stroke / 2
    sizes = np.arange(-3, 3.5, 0.5) * stroke / 2
    xs, ys, radii = (a.reshape(-1, 1) for a in np.meshgrid(x + shifts, y + shifts,
                                                          radius + sizes, indexing="ij"))
    shares = _shares_on_ink(ink, xs, ys, radii)
    best = int(np.argmax(shares))
    return float(shares[best]), (float(xs[best, 0]), float(ys[best, 0]), float(radii[best, 0]))


def _shares_on_ink(ink: np.ndarray, xs: np.ndarray | float, ys: np.ndarray | float,
                   radii: np.ndarray) -> np.ndarray:
    """For each circle (centres ``xs``, ``ys`` and ``radii``, one a row), the share of 720
    points around it that lie on ink."""
    angles = np.linspace(0, 2 * np.pi, 720, endpoint=False)
    height, width = ink.shape
    rows = np.clip((ys + radii * np.sin(angles)).round().astype(int), 0, height - 1)
    columns = np.clip((xs + radii * np.cos(angles)).round().astype(int), 0, width - 1)
    shares: np.ndarray = (ink[rows, columns] > 0).mean(axis=1)
    return shares


def _ring_edges(ink: np.ndarray, ring: tuple[float, float, float],
                stroke: int) -> tuple[float, float]:
    """The inner and outer radius of the ring fitted at ``ring`` (x, y, radius): out to a
    stroke either side, the circles lying on ink at least half as often as the fitted one. A
    fax's ring is a few pixels wide; whitening a band as wide as the widest seal's would take
    that much more of the letters it crosses."""
    x, y, radius = ring
    offsets = np.arange(-stroke, stroke + 1, dtype=float).reshape(-1, 1)
    shares = _shares_on_ink(ink, x, y, radius + offsets)
    on = shares >= shares[stroke] / 2
    inner = outer = stroke
    while inner > 0 and on[inner - 1]:
        inner -= 1
    while outer < 2 * stroke and on[outer + 1]:
        outer += 1
    return radius + inner - stroke, radius + outer - stroke


def _uncrossed(band: np.ndarray, ink: np.ndarray, centre: tuple[float, float],
               reach: int) -> np.ndarray:
    """``band`` (a ring's width, 255) less where print crosses it: a pixel whose ink goes on
    past both edges of the band, straight across it, belongs to a letter's stroke (the
    signer's title, the name under the seal) and keeps its ink."""
    rows, columns = np.nonzero(band)
    across_x, across_y = columns - centre[0], rows - centre[1]
    length = np.maximum(np.hypot(across_x, across_y), 1.0)
    height, width = ink.shape

    def inked(side: int) -> np.ndarray:
        at_x = np.clip((columns + side * reach * across_x / length).round().astype(int), 0,
                       width - 1)
        at_y = np.clip((rows + side * reach * across_y / length).round().astype(int), 0,
                       height - 1)
        crossed: np.ndarray = ink[at_y, at_x] > 0
        return crossed

    crossing = inked(-1) & inked(1)
    kept = band.copy()
    kept[rows[crossing], columns[crossing]] = 0
    return kept


def _has_a_seal_sized_mark(small_ink: np.ndarray, radius: float) -> bool:
    """Whether any mark on the page (small gaps bridged, as a fax breaks a ring) spans
    ``radius`` both across and down, as a ring or an arc of one does; letters and words do
    not."""
    marks = cv2.dilate((small_ink > 0).astype(np.uint8), np.ones((SPAN_GAP, SPAN_GAP), np.uint8))
    _, _, stats, _ = components(marks)
    return bool(((stats[1:, cv2.CC_STAT_WIDTH] >= radius)
                 & (stats[1:, cv2.CC_STAT_HEIGHT] >= radius)).any())


def _leaders(ink: np.ndarray, dpi: float) -> np.ndarray:
    """White (255) on the dots of dotted leaders (a form's "Họ và tên: ........"): specks no
    bigger than a full stop standing in a row at least ``LEADER_INCHES`` long. Tesseract reads
    such a row as a line of junk and drops the words printed on it. A dot right under or over a
    letter may be the letter's own (the tone mark of ị or ọ, the dot of an i): it stays unless it
    stands on the row's pitch, where the leader runs on under a value written over it."""
    _count, labels, stats, centres = components(ink)
    side = max(2, round(DOT_MM / 25.4 * dpi))
    small = (stats[:, cv2.CC_STAT_WIDTH] <= side) & (stats[:, cv2.CC_STAT_HEIGHT] <= side)
    small[0] = False
    gap = max(3, round(LEADER_GAP_MM / 25.4 * dpi))
    length = max(gap + 1, round(LEADER_INCHES * dpi))
    if not _dots_may_chain(stats[small], gap, length, ink.shape[1]):
        return np.zeros_like(ink)
    dots = _paint(small, labels)
    joined = cv2.morphologyEx(dots, cv2.MORPH_CLOSE, np.ones((1, gap), np.uint8))
    rows = cv2.morphologyEx(joined, cv2.MORPH_OPEN, np.ones((1, length), np.uint8))
    if not cv2.countNonZero(rows):  # most pages: no row of dots anywhere
        return np.zeros_like(ink)
    reach = max(3, round(DOT_MM / 25.4 * dpi) * 2 + 1)
    letters = cv2.dilate(cv2.bitwise_and(ink, cv2.bitwise_not(dots)),
                         np.ones((reach, 1), np.uint8))
    # one row label per leader, stretched along the line so a value written over it stays in it
    band = cv2.dilate(rows, np.ones((2 * side + 1, 1), np.uint8))
    _, row_of = cv2.connectedComponents(
        cv2.morphologyEx(band, cv2.MORPH_CLOSE, np.ones((1, round(dpi)), np.uint8)))
    xs, ys = centres[:, 0], centres[:, 1]
    inside = np.clip(ys.round().astype(int), 0, ink.shape[0] - 1), \
        np.clip(xs.round().astype(int), 0, ink.shape[1] - 1)
    row = np.where(small, row_of[inside], 0)
    touching = letters[inside] > 0
    leader = small & (band[inside] > 0) & ~touching
    area = stats[:, cv2.CC_STAT_AREA]
    for number in np.unique(row[leader]):
        free = np.flatnonzero(leader & (row == number))
        # a held dot in the leader's line and of its dots' size, not one fused with a tone mark
        held = np.flatnonzero(small & (row == number) & touching
                              & (np.abs(ys - np.median(ys[free])) <= 1.0)
                              & (area <= 1.25 * np.median(area[free])))
        if len(held):
            leader[held[_on_pitch(xs[free], xs[held], gap)]] = True
    return cv2.dilate(_paint(leader, labels), np.ones((3, 3), np.uint8))


def _dots_may_chain(boxes: np.ndarray, gap: int, length: int, width: int) -> bool:
    """Whether some pixel row could hold a leader: dots (``boxes``, components' stats) following
    one another with at most ``gap`` pixels of paper between them over ``length`` or more, or a
    chain touching the page's side, where OpenCV's border rules let a shorter run through.

    A test on the dots' boxes alone (a fraction of a millisecond, where painting the dots and
    opening them along rows takes tens on a 300 dpi page): it never says no where that would
    find a leader, and running text's tone marks and i-dots stand too far apart to say yes."""
    heights = boxes[:, cv2.CC_STAT_HEIGHT]
    owner = np.repeat(np.arange(len(boxes)), heights)
    first_row = np.repeat(np.cumsum(heights) - heights, heights)
    row = boxes[owner, cv2.CC_STAT_TOP] + np.arange(len(owner)) - first_row
    start = boxes[owner, cv2.CC_STAT_LEFT]
    order = np.lexsort((start, row))
    row, start = row[order], start[order]
    end = start + boxes[owner, cv2.CC_STAT_WIDTH][order]
    # how far right the chain so far reaches, row by row (rows offset so the maximum restarts)
    offset = row.astype(np.int64) * (2 * width + 2)
    reach = np.maximum.accumulate(end + offset) - offset
    begins = np.ones(len(row), dtype=bool)
    begins[1:] = (row[1:] != row[:-1]) | (start[1:] - reach[:-1] > gap)
    heads = np.flatnonzero(begins)
    if not len(heads):
        return False
    first = start[heads]
    last = np.maximum.reduceat(end, heads)
    return bool(((last - first >= length - 1) | (first <= gap) | (last >= width - gap)).any())


def _paint(chosen: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """255 on the pixels of the components ``chosen`` (a flag per label), 0 elsewhere. Label 0,
    the paper, is never painted, so only the marks' pixels are looked up: twice as fast as
    looking up every pixel of the page."""
    painted = np.zeros(labels.shape, dtype=np.uint8)
    marks = labels > 0
    painted[marks] = np.where(chosen, np.uint8(255), np.uint8(0))[labels[marks]]
    return painted


def _on_pitch(free: np.ndarray, held: np.ndarray, gap: int) -> np.ndarray:
    """Which of the ``held`` x positions stand on the evenly spaced grid of a leader's ``free``
    dots (pitch and phase fitted, stray dots left out). A leader whose dots stand unevenly (a
    fax's, a copier's) claims none: its dots under letters cannot be told from tone marks."""
    none = np.zeros(len(held), dtype=bool)
    along = np.sort(free)
    steps = np.diff(along)
    close = steps[(steps >= 1.5) & (steps <= gap)]
    if len(along) < 6 or len(close) < 5:
        return none
    pitch = float(np.median(close))
    index = np.concatenate([[0.0], np.cumsum(np.round(steps / pitch))])
    keep = np.ones(len(along), dtype=bool)
    for _ in range(2):
        slope, start = (float(v) for v in np.polyfit(index[keep], along[keep], 1))
        residual = along - (start + slope * index)
        keep = np.abs(residual) <= 0.25 * slope
        if keep.sum() < 6:
            return none
    if np.std(residual[keep]) > 0.12 * slope:
        return none
    offset = (held - start) / slope
    on: np.ndarray = np.abs(offset - np.round(offset)) * slope <= max(1.0, 0.12 * slope)
    return on


def _crop_box(grey: np.ndarray) -> tuple[slice, slice]:
    """Rows and columns to keep: dark bands along the edges (the scanner lid, the shadow of a
    page's edge or a book's gutter) are cut off; paper is never cut."""
    dark = grey < 96
    rows = dark.mean(axis=1) > 0.6
    cols = dark.mean(axis=0) > 0.6
    top = _run(rows)
    bottom = len(rows) - _run(rows[::-1])
    left = _run(cols)
    right = len(cols) - _run(cols[::-1])
    if bottom - top < len(rows) // 2 or right - left < len(cols) // 2:
        return slice(None), slice(None)
    return slice(top, bottom), slice(left, right)


def _run(flags: np.ndarray) -> int:
    """Length of the run of ``True`` at the start of ``flags``."""
    off = np.flatnonzero(~flags)
    return int(off[0]) if len(off) else len(flags)
