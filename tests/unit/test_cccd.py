"""The chip ID card's QR code as guns and cameras deliver it: the forms seen at counters are read
alike, and a text that is not a card is refused saying which field is wrong, never quoting it."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import pytest

from tracker.domain.cccd import CARD_PATTERN, MAX_NAME, IdCard, read_card
from tracker.domain.errors import BadInput

HOA = ("035190004321||Phạm Thị Hoa|12071990|Nữ|Thôn Mỹ Tho, Xã Mộc Hoàn, Thị xã Duy Tiên, "
       "Hà Nam|10052022")
"""Made up for the tests, in the shape of a card issued in 2022: no old ID card number."""
HOA_CARD = IdCard(id_number="035190004321", old_id_number=None, name="Phạm Thị Hoa",
                  birth_date=date(1990, 7, 12), sex="Nữ",
                  address="Thôn Mỹ Tho, Xã Mộc Hoàn, Thị xã Duy Tiên, Hà Nam",
                  issued=date(2022, 5, 10))


@pytest.mark.parametrize("text", [
    HOA,
    HOA + "\r\n",                                  # a gun that ends with CR LF
    HOA + "\n",
    "\r\n" + HOA,
    unicodedata.normalize("NFD", HOA),             # decomposed accents
    "  035190004321 |  | Phạm   Thị\tHoa |12071990| Nữ |Thôn Mỹ Tho,  Xã Mộc Hoàn, Thị xã "
    "Duy Tiên, Hà Nam | 10052022 ",                 # spaces around and inside fields
    HOA.replace("|Nữ|", "|nữ|"),                   # the sex in lower case
    HOA.replace("|Nữ|", "|NỮ|"),
    HOA.replace("|Nữ|", "|Nu|"),                   # and without its accent
    HOA + "|",                                     # an empty field more
    HOA + "|something a newer card adds|and more",
])
def test_the_forms_seen_at_counters_read_alike(text: str) -> None:
    assert read_card(text) == HOA_CARD


def test_the_old_id_number_is_kept_when_the_card_has_one() -> None:
    card = read_card("001099012345|123456789|NGUYỄN VĂN AN|01021960|Nam|Số 12 Lê Lợi|15082021")
    assert (card.id_number, card.old_id_number, card.name, card.sex) == (
        "001099012345", "123456789", "NGUYỄN VĂN AN", "Nam")
    assert card.birth_date == date(1960, 2, 1)


@pytest.mark.parametrize(("text", "missing"), [
    ("035190004321||Phạm Thị Hoa", {"birth_date", "sex", "address", "issued"}),
    ("035190004321||Phạm Thị Hoa|12071990", {"sex", "address", "issued"}),
    ("035190004321||Phạm Thị Hoa|12071990|Nữ|", {"address", "issued"}),
    ("035190004321||Phạm Thị Hoa|31021990|Nữ|Hà Nam|1005202", {"birth_date", "issued"}),
    ("035190004321||Phạm Thị Hoa|1990-07-12|X|Hà Nam|10052022", {"birth_date", "sex"}),
])
def test_later_fields_missing_or_unreadable_are_none(text: str, missing: set[str]) -> None:
    card = read_card(text)
    assert card.name == "Phạm Thị Hoa"
    assert {name for name, value in vars(card).items() if value is None} == (
        missing | {"old_id_number"})


@pytest.mark.parametrize(("text", "problem"), [
    ("000.21.11.H40-260310-0001", "not the QR code of a chip ID card"),  # a dossier code
    ("", "not the QR code of a chip ID card"),
    ("035190004321|Phạm Thị Hoa", "not the QR code of a chip ID card"),
    ("03519000432||Phạm Thị Hoa|12071990", "ID number on the card must be 12 digits"),
    ("0351900043210||Phạm Thị Hoa|12071990", "ID number on the card must be 12 digits"),
    ("03519000432A||Phạm Thị Hoa|12071990", "ID number on the card must be 12 digits"),
    ("035190004321|12345678|Phạm Thị Hoa|12071990", "old ID number on the card must be 9"),
    ("035190004321|Phạm Thị Hoa|12071990|Nữ|Hà Nam", "old ID number on the card must be 9"),
    ("035190004321|||12071990|Nữ", "name on the card must be letters"),
    ("035190004321||   |12071990|Nữ", "name on the card must be letters"),
    ("035190004321||12071990|Nữ|Hà Nam", "name on the card must be letters"),
    ("035190004321||Phạm Thị Hoa 2|12071990", "name on the card must be letters"),
    ("035190004321||" + "A" * (MAX_NAME + 1), "name on the card must be letters"),
])
def test_a_text_that_is_no_card_is_refused_naming_the_field(text: str, problem: str) -> None:
    with pytest.raises(BadInput) as refused:
        read_card(text)
    assert problem in str(refused.value)
    assert "035190004321" not in str(refused.value)
    assert "Hoa" not in str(refused.value)


def test_the_pattern_and_the_reader_agree() -> None:
    """GIVEN texts either side of every bound THEN the pattern the API document states accepts
    exactly those the reader reads, and a name read from it fits the applicant's name field."""
    texts = [HOA, "035190004321||Phạm Thị Hoa", "035190004321||\u0301Hoa", "035190004321||'",
             "035190004321||Ho\u0344a", "035190004321||" + "Ơ" * MAX_NAME,
             "035190004321||" + unicodedata.normalize("NFD", "Ờ" * MAX_NAME),
             "\u00a0035190004321||Hoa", "035190004321||Hoa\u00a0", "035190004321||Hoa|\x00"]
    for text in texts:
        try:
            card = read_card(text)
        except BadInput:
            assert not re.match(CARD_PATTERN, text), text
        else:
            assert re.match(CARD_PATTERN, text), text
            assert 0 < len(card.name) <= MAX_NAME
