"""Which way up a page is and how far it is skewed, from projection profiles of its ink.

Tesseract's OSD is slow and gives up on noisy 200 dpi pages, so hoso decides geometry itself on a
~100 dpi binary copy. Text lines make the row profile of ink spiky when the page is level and the
lines run across; the angle (within ±``MAX_SKEW``) and quarter turn that make it spikiest win.
Up versus down is then read off the lines: Latin script, Vietnamese above all, carries far more
ink above the x-height band (capitals, ascenders, tone marks) than below it (descenders, dấu nặng).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from scanning.quality import components

# Geometry is measured on a copy at this resolution: enough for text lines, cheap.
ANALYSIS_DPI = 100
# Ink runs straight for longer than this (0.4 inch, 1 cm) only in rules and underlines.
RULE_INCHES = 0.4
MAX_SKEW = 15.0
COARSE_STEP = 0.5
FINE_STEP = 0.05
# Fewer ink pixels than this on the analysis copy: no text to measure, the page is left alone.
MIN_INK = 200
# A confident answer needs this many text lines and up/down evidence at least this strong.
MIN_LINES = 3
MIN_UPDOWN = 0.1
# Marks bigger than this both ways (inches) are no letters: a seal, a signature, a photo.
MAX_GLYPH_INCHES = 0.6


@dataclass(frozen=True)
class Geometry:
    """Turn the page clockwise by ``rotation`` (0/90/180/270) and then by ``skew`` degrees
    (counter-clockwise positive, as OpenCV's ``getRotationMatrix2D``) to make it level.
    ``updown`` is the evidence for the up/down choice: near 0 means unsure. ``sure`` is False
    when the page holds too little text to tell (fewer than ``MIN_LINES`` lines, or up/down
    evidence under ``MIN_UPDOWN``): the page is then left as scanned, unturned and unskewed."""

    rotation: int
    skew: float
    updown: float
    sure: bool = True


UNSURE = Geometry(rotation=0, skew=0.0, updown=0.0, sure=False)


def find_geometry(ink: np.ndarray) -> Geometry:
    """Geometry of a binary analysis image (``True``/nonzero = ink) at ``ANALYSIS_DPI``, from
    its text alone: marks touching the image's edge (the scanner's frame, the lid's band),
    blobs and marks too big for letters (punch holes, seals, signatures) do not count."""
    ink = text_only(ink)
    ys, xs = np.nonzero(ink)
    if len(ys) < MIN_INK:
        return UNSURE
    ys = ys.astype(np.float32)
    xs = xs.astype(np.float32)
    # Lines across the page (0/180) or down it (90/270): profile rows, or columns.
    across_angle, across_score = _best_angle(xs, ys)
    down_angle, down_score = _best_angle(-ys, xs)
    sideways = down_score > across_score
    angle = down_angle if sideways else across_angle
    level = _level(ink, sideways, angle)
    updown, lines = _updown(level)
    if lines < MIN_LINES or abs(updown) < MIN_UPDOWN:
        return Geometry(rotation=0, skew=0.0, updown=updown, sure=False)
    quarter = 90 if sideways else 0
    rotation = quarter if updown >= 0 else (quarter + 180) % 360
    return Geometry(rotation=rotation, skew=angle, updown=updown)


def text_only(ink: np.ndarray) -> np.ndarray:
    """``ink`` without what is not print: marks touching the edge, filled blobs, and marks
    bigger than ``MAX_GLYPH_INCHES`` both ways (long thin rules stay; ``_level`` drops them)."""
    mask = (ink > 0).astype(np.uint8)
    _count, labels, stats, _ = components(mask)
    left, top = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    width, height = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    area = stats[:, cv2.CC_STAT_AREA]
    edge = (left == 0) | (top == 0) | (left + width == mask.shape[1]) | (
        top + height == mask.shape[0])
    big = (width > MAX_GLYPH_INCHES * ANALYSIS_DPI) & (height > MAX_GLYPH_INCHES * ANALYSIS_DPI)
    blob = (area > 0.6 * width * height) & (np.minimum(width, height) > 0.12 * ANALYSIS_DPI)
    keep = ~(edge | big | blob)
    keep[0] = False
    result: np.ndarray = keep[labels]
    return result


def _level(ink: np.ndarray, sideways: bool, angle: float) -> np.ndarray:
    """The analysis image turned (clockwise if sideways) and deskewed, table rules and
    underlines removed: a rule spans every text row of a table and would hide the lines."""
    mask: np.ndarray = ink.astype(np.uint8) * 255
    upright = cv2.rotate(mask, cv2.ROTATE_90_CLOCKWISE) if sideways else mask
    height, width = upright.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    image = cv2.warpAffine(upright, matrix, (width, height), flags=cv2.INTER_NEAREST)
    length = int(RULE_INCHES * ANALYSIS_DPI)
    rules = cv2.bitwise_or(
        cv2.morphologyEx(image, cv2.MORPH_OPEN, np.ones((1, length), np.uint8)),
        cv2.morphologyEx(image, cv2.MORPH_OPEN, np.ones((length, 1), np.uint8)))
    return cv2.subtract(image, cv2.dilate(rules, np.ones((3, 3), np.uint8))) > 0


def _profile(xs: np.ndarray, ys: np.ndarray, angle: float) -> np.ndarray:
    """Row profile of the ink after turning it by ``angle`` degrees counter-clockwise."""
    theta = np.deg2rad(angle)
    rows = ys * np.cos(theta) + xs * np.sin(theta)
    rows -= rows.min()
    return np.bincount(rows.astype(np.int32))


def _sharpness(profile: np.ndarray) -> float:
    diff = np.diff(profile.astype(np.float64))
    return float(np.dot(diff, diff)) / max(1.0, float(profile.sum())) ** 2


def _best_angle(xs: np.ndarray, ys: np.ndarray) -> tuple[float, float]:
    if len(xs) > 60_000:  # a sample keeps the profile's shape and the cost flat
        pick = np.random.default_rng(0).choice(len(xs), 60_000, replace=False)
        xs, ys = xs[pick], ys[pick]
    coarse = np.arange(-MAX_SKEW, MAX_SKEW + 1e-9, COARSE_STEP)
    scores = [_sharpness(_profile(xs, ys, a)) for a in coarse]
    best = float(coarse[int(np.argmax(scores))])
    fine = np.arange(best - COARSE_STEP, best + COARSE_STEP + 1e-9, FINE_STEP)
    fine_scores = [_sharpness(_profile(xs, ys, a)) for a in fine]
    index = int(np.argmax(fine_scores))
    # The profile levels at the angle that turns the ink clockwise; OpenCV counts the other way.
    return -round(float(fine[index]), 2), float(fine_scores[index])


def _updown(level: np.ndarray) -> tuple[float, int]:
    """Positive when more ink sits above each text line's x-height band than below it; and
    how many lines that was measured on."""
    profile = level.sum(axis=1).astype(np.float64)
    above = below = 0.0
    if not profile.any():
        return 0.0, 0
    lines = _lines(profile)
    for start, end in lines:
        band = profile[start:end]
        core = np.nonzero(band >= 0.5 * band.max())[0]
        top, bottom = start + core[0], start + core[-1] + 1
        above += profile[start:top].sum()
        below += profile[bottom:end].sum()
    total = above + below
    return (0.0 if total == 0 else (above - below) / total), len(lines)


def _lines(profile: np.ndarray) -> list[tuple[int, int]]:
    """Runs of rows with ink: candidate text lines (ruled lines are a row or two and weigh
    nothing above or below their band)."""
    threshold = 0.02 * profile.max()
    inked = profile > threshold
    edges = np.flatnonzero(np.diff(np.concatenate(([0], inked.astype(np.int8), [0]))))
    return [(int(s), int(e)) for s, e in zip(edges[::2], edges[1::2], strict=True) if e - s >= 3]
