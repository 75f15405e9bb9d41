"""The bounded field types commands are made of: text, identifiers, money, dates and counts.

Each type states its bounds once. Pydantic enforces them on input, and the same constraints
appear in the JSON Schema, so a client reading the OpenAPI document knows what will be accepted.
Text carries no control characters and no lone surrogates (pydantic refuses those itself), and
has at least one visible character. Dates lie in this century; a narrower window (a reschedule at
most two years ahead) is a custody rule, because it depends on the day it is asked.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from annotated_types import Interval
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Strict,
    StringConstraints,
    WithJsonSchema,
)

from tracker.domain import cccd, identifiers
from tracker.domain.errors import N_, phrase

MAX_PAGES = 2000
"""Pages in one scan: a thick land-registry dossier has a few hundred."""
MAX_COMPONENTS = 50
MAX_MONEY = 10**12
"""Whole đồng: more than any fee or charge a one-stop shop collects."""

_CONTROL = r"\x00-\x1f\x7f-\x9f"
_SPACE = r"\x20\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
TEXT_PATTERN = rf"^[^{_CONTROL}]*[^{_CONTROL}{_SPACE}][^{_CONTROL}]*$"
"""Printable text with something in it besides spaces."""


def text(max_length: int) -> Any:
    """Visible text of at most ``max_length`` characters, stripped of surrounding spaces."""
    return Annotated[str, Strict(),
                     StringConstraints(min_length=1, max_length=max_length,
                                       pattern=TEXT_PATTERN),
                     AfterValidator(str.strip)]


def identifier(pattern: str, max_length: int | None = None) -> Any:
    return Annotated[str, Strict(), StringConstraints(pattern=pattern, max_length=max_length)]


def _iso_date(value: Any) -> Any:
    """Only ``YYYY-MM-DD`` text (or a date) becomes a date: no timestamps, no other forms."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueError(N_("must be a date written YYYY-MM-DD"))
    if not re.match(identifiers.ISO_DATE, value):
        raise ValueError(N_("must be a date written YYYY-MM-DD, this century"))
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(phrase(N_("{value} is not a day of the calendar"), value=value)) from None


Name = text(200)
Reason = text(1000)
Label = text(100)
Note = text(300)
OfficeCode = identifier(identifiers.OFFICE_CODE)
ProcedureCode = identifier(identifiers.OFFICE_CODE)
StaffId = identifier(identifiers.SLUG)
ComponentCode = identifier(identifiers.SLUG)
DeviceId = identifier(identifiers.DEVICE_ID)
StationId = identifier(identifiers.DEVICE_ID)
DossierCode = identifier(identifiers.DOSSIER_CODE)
ObjectKey = identifier(identifiers.OBJECT_KEY)
IdNumber = identifier(r"^[A-Za-z0-9]{6,20}$")
"""A citizen ID (CCCD, 12 digits), an old ID card (9) or a passport number."""
Phone = identifier(r"^\+?[0-9][0-9 .-]{5,19}$")
LocalityCode = identifier(identifiers.SLUG)
"""A locality of the province file: ``chau-cau``."""
IdCardText = identifier(cccd.CARD_PATTERN, cccd.MAX_CARD_TEXT)
"""The text of the QR code on a chip ID card (tracker.domain.cccd)."""

def _whole(value: Any) -> Any:
    """JSON's 3.0 is the integer 3 (JSON Schema agrees); text and true/false are not numbers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def whole(low: int, high: int) -> Any:
    """A whole number from ``low`` to ``high``."""
    return Annotated[int, Strict(), Interval(ge=low, le=high), BeforeValidator(_whole)]


Money = whole(0, MAX_MONEY)
Rating = whole(1, 5)
"""A citizen's satisfaction with a returned result (SIPAS): 1 (poor) to 5 (very good)."""
Channel = Literal["counter", "online", "post", "home"]
"""How the dossier came: at the counter, online through the portal with the counter's help,
by post, or at a home appointment."""
PositiveMoney = whole(1, MAX_MONEY)
PageCount = whole(1, MAX_PAGES)
PageNumber = PageCount
Dpi = whole(50, 2400)
Flag = Annotated[bool, Strict()]
Day = Annotated[date, BeforeValidator(_iso_date),
                WithJsonSchema({"type": "string", "format": "date",
                                "pattern": identifiers.ISO_DATE})]
