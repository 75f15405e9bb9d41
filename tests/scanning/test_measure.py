"""The yardsticks the OCR acceptance and bench/ocr.py rely on measure what they claim."""

from __future__ import annotations

import pytest

from tests.scanning.measure import cer, collapse, edit_distance, word_recall


@pytest.mark.parametrize(("a", "b", "distance"), [
    ("kitten", "sitting", 3), ("", "abc", 3), ("abc", "", 3), ("flaw", "lawn", 2),
    ("Văn", "Van", 1), ("Nguyễn", "Nguyễn", 0), ("abcdef", "azced", 3),
])
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance
    assert edit_distance(b, a) == distance


def test_texts_compare_in_nfc_with_whitespace_collapsed() -> None:
    decomposed = "Nguye\u0302\u0303n  Va\u0306n\n\fA"
    assert collapse(decomposed) == "Nguyễn Văn A"
    assert cer("Nguyễn Văn A", decomposed) == 0.0


def test_word_recall_counts_each_printed_word_once_in_any_order() -> None:
    truth = "hồ sơ, hồ sơ và kết quả."
    assert word_recall(truth, "kết quả và hồ sơ hồ sơ") == 1.0
    assert word_recall(truth, "hồ sơ và kết quả") == pytest.approx(5 / 7)
