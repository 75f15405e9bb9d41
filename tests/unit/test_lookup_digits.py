"""Which four digits the public lookup compares: the last four ASCII digits, or none at all."""

from __future__ import annotations

import pytest

from tracker.public_lookup import UNMATCHABLE, last_four


@pytest.mark.parametrize(("text", "expected"), [
    ("036188004321", b"4321"),            # a citizen ID (CCCD)
    ("B1234567", b"4567"),                # a passport: letters are skipped
    ("+84 912.345.678", b"5678"),         # a phone as it was written at the counter
    ("0912-345-678", b"5678"),
    ("1234", b"1234"),
    ("12a3", UNMATCHABLE),                # fewer than four digits
    ("٠٩١٢٣٤٥٦٧٨", UNMATCHABLE),          # Arabic-Indic digits are not 0-9
    ("", UNMATCHABLE),
    (None, UNMATCHABLE),                  # no phone recorded
])
def test_last_four(text: str | None, expected: bytes) -> None:
    assert last_four(text) == expected


def test_no_four_digits_equal_the_unmatchable_value() -> None:
    assert len(UNMATCHABLE) == 4
    assert not any(ch in b"0123456789" for ch in UNMATCHABLE)
