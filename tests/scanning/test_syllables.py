"""Syllables Tesseract ran together are parted; every other token is kept as read."""

from __future__ import annotations

import pytest

from scanning.ocr import _parted
from scanning.syllables import part_words
from scanning.words import Word


@pytest.mark.parametrize(("read", "words"), [
    ("Sốbản", ["Số", "bản"]),  # a bold table header, its space missed
    ("ỦYBAN", ["ỦY", "BAN"]),
    ("cưtrú:", ["cư", "trú:"]),  # the later syllable keeps its longest initial, not "cưt rú"
    ("_Sốbản", ["_", "Số", "bản"]),  # a table rule's remnant goes on its own
    ("_Số", ["_", "Số"]),
    ("Bản|", ["Bản", "|"]),
    ("LCăn", ["L", "Căn"]),  # a cell's corner read as a capital
    ("UBNDTỉnh", ["UBND", "Tỉnh"]),
    ("3Bản", ["3", "Bản"]),  # a figure against its word
    ("ngườiyêucầu", ["người", "yêu", "cầu"]),
    ("mộtngày", ["một", "ngày"]),
    ("Đông,.xã", ["Đông,.", "xã"]),  # the space after a comma missed
    ("Hà.Nội,", ["Hà.", "Nội,"]),
    ("(cưtrú;Sốbản)", ["(cư", "trú;", "Số", "bản)"]),
])
def test_syllables_run_together_are_parted(read: str, words: list[str]) -> None:
    assert part_words(read) == words


@pytest.mark.parametrize("read", [
    # Vietnamese syllables, the longest initials, vowel runs and finals among them
    "Nguyễn", "nghiêng", "khuỷu", "quốc", "giữ", "hươu", "boong", "Đắk", "ỦY",
    # no Vietnamese mark: other languages, abbreviations, codes, figures
    "Facebook", "email", "UBND", "TPHCM", "H40", "000.00.01.H40", "2B", "A4", "2026",
    "anhtrai",  # unmarked Vietnamese run together looks like any other language: kept
    # marked, but no parting into syllables
    "café", "José", "Đắklắk", "2đ", "ĐKKD",
    # capitals before an unmarked word, a rule's remnant before an unmarked one
    "VNPost", "McDonald", "_UBND", "|A4",
    # a stop between letters unmarked on one side: an abbreviation, a domain, a name
    "TP.HCM", "P.Hoàn", "hoso.vn", "Q.Ba", "Hà.Noi",
    # no letters, or nothing but edges
    "", "—", "(Ký,",
])
def test_every_other_token_is_kept_as_read(read: str) -> None:
    assert part_words(read) == [read]


def test_a_token_too_long_to_be_two_or_three_syllables_is_not_tried() -> None:
    assert part_words("ngườiyêucầuđến") == ["ngườiyêucầuđến"]


def test_the_parted_words_share_the_box_by_letters() -> None:
    read = Word(text="Sốbản", left=100, top=40, width=50, height=12, confidence=71.0, line=3)
    first, second = _parted(read)
    assert (first.text, first.left, first.width) == ("Số", 100, 20)
    assert (second.text, second.left, second.width) == ("bản", 120, 30)
    assert {(w.top, w.height, w.confidence, w.line) for w in (first, second)} == {(40, 12, 71.0, 3)}
