"""Reads the QR code on a Vietnamese chip ID card (căn cước công dân, CCCD) into the applicant's
details, so the citizen writes nothing at the counter.

A gun types the code's text (then Enter); a phone's photo of it is decoded to the same text. The
fields are separated by ``|``: the 12-digit ID number, the old 9-digit ID card number (CMND,
usually empty), the full name, the date of birth (DDMMYYYY), the sex (Nam or Nữ), the permanent
address and the date of issue (DDMMYYYY). ``CARD_PATTERN`` says which texts are cards, for the
reader here and for the API's schema alike: the ID number, the old number (or nothing) and a
name of letters must be there and well formed, or the text is refused saying which of them is
wrong. The later fields may be missing, empty, unreadable or followed by others: each is read
when it can be and is otherwise None, because a receiver checks them against the card anyway.

The reader keeps nothing and its refusals never quote the text: it is a citizen's identity.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from tracker.domain.errors import N_, BadInput

MAX_CARD_TEXT = 1000
"""More than any card's QR holds (its address is the longest field, about 150 characters)."""
MAX_NAME = 200
_LETTERS = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
"""Latin letters, Vietnamese ones precomposed (ơ, ư, ạ … ỹ) included."""
_MARKS = "\u0300-\u033f\u0345-\u036f"
"""Combining accents, as a gun sending decomposed (NFD) text types them; U+0340–U+0344 are
left out because NFC would lengthen some of them."""
_NAME = f"(?=[ \\t]*[{_LETTERS}])[{_LETTERS}{_MARKS} \\t'.-]{{1,{MAX_NAME}}}"
_ID_NUMBER = "^[ \\t\\r\\n]*[0-9]{12}[ \\t]*\\|"
_OLD_ID_NUMBER = "[ \\t]*([0-9]{9})?[ \\t]*\\|"
CARD_PATTERN = _ID_NUMBER + _OLD_ID_NUMBER + _NAME + "(\\|[^|]*)*[ \\t\\r\\n]*$"
"""The texts read as cards. Written in the subset of regular expressions that Python and
JSON Schema read alike. A name from it is at most ``MAX_NAME`` characters once normalised
(composing accents only shortens these letters)."""
_CARD = re.compile(CARD_PATTERN)
_DAY = re.compile(r"^[0-9]{8}$")
_SEXES = {"nam": "Nam", "nữ": "Nữ", "nu": "Nữ"}


@dataclass(frozen=True)
class IdCard:
    """What a chip ID card's QR code says. ``sex`` is ``Nam`` or ``Nữ``; a field the code
    lacks, or that could not be read, is None."""

    id_number: str
    old_id_number: str | None
    name: str
    birth_date: date | None
    sex: str | None
    address: str | None
    issued: date | None


def read_card(text: str) -> IdCard:
    """The card ``text`` is the QR code of; BadInput naming what is wrong when it is none."""
    if not _CARD.match(text):
        raise _refusal(text)
    fields = [part.strip() for part in unicodedata.normalize("NFC", text).strip().split("|")]
    later = [*fields[3:7], *([""] * (7 - len(fields)))]
    birth, sex, address, issued = later[0], later[1], later[2], later[3]
    return IdCard(
        id_number=fields[0],
        old_id_number=fields[1] or None,
        name=" ".join(fields[2].split()),
        birth_date=_day(birth),
        sex=_SEXES.get(sex.casefold()),
        address=" ".join(address.split()) or None,
        issued=_day(issued),
    )


def _day(text: str) -> date | None:
    """A DDMMYYYY date, or None when ``text`` is none."""
    if not _DAY.match(text):
        return None
    try:
        return date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError:
        return None


def _refusal(text: str) -> BadInput:
    """Why ``text`` is not a card's QR code, naming the field and never its value."""
    if text.count("|") < 2:
        return BadInput(N_("this is not the QR code of a chip ID card (CCCD): it has no ID "
                           "number, old ID number and name separated by |"))
    if not re.match(_ID_NUMBER, text):
        return BadInput(N_("the ID number on the card must be 12 digits"))
    if not re.match(_ID_NUMBER + _OLD_ID_NUMBER, text):
        return BadInput(N_("the old ID number on the card must be 9 digits, or nothing"))
    return BadInput(N_("the name on the card must be letters (no digits), at most {max_name} "
                       "characters"), max_name=MAX_NAME)
