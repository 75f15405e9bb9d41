"""Makes every value the projector writes fit the view columns on SQLite and on PostgreSQL.

The log keeps whatever an event was saved with, and JSON (the store's and the bus's) can carry
integers of any size, NUL characters and lone surrogates. The view columns cannot: both
databases hold signed 64-bit integers, PostgreSQL text refuses NUL, neither driver encodes a
lone surrogate, and a PostgreSQL B-tree entry is at most 2,704 bytes. So, once, here:

- **integers** are clamped to the signed 64-bit range, [-2^63, 2^63 - 1]: a saturated figure is
  still the right order of magnitude and sorts and sums correctly, where wrapping or refusing it
  would not. A running total (``fee_paid``) saturates at the bound. Booleans become 0 or 1.
- **text**: NUL and lone surrogates become U+FFFD (the replacement character), the same on both
  backends, so the views of the two are equal.
- **indexed text** (dossier id, office, custodian, transit ends, figure office and day) is cut to
  ``KEY_LIMIT`` characters (4 bytes each at most: well inside one B-tree entry). Other text
  columns have no limit below the 1 GB that also bounds the stored event itself.

What cannot be made to fit is refused with ``Unfit``, naming the field and never its value (the
projector marks the dossier for attention): a value of the wrong type (a number where text
belongs, a list anywhere), a required column left empty, a due date that is missing or not an
ISO date (every status and queue read parses it), a report figure the report does not know, or
a rejection, cancellation or counter refusal whose reason is not text, or a satisfaction rating
outside 1 to 5.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from tracker.projections.fold import FIGURE_NAMES, REASONED, Figure, Row
from tracker.projections.store import INTEGER_COLUMNS, KEY_COLUMNS, REQUIRED_COLUMNS

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
KEY_LIMIT = 256
"""Characters kept of an indexed text value."""
REPLACEMENT = "\ufffd"
_UNWRITABLE = re.compile("[\x00\ud800-\udfff]")
_NEVER_EMPTY = REQUIRED_COLUMNS | {"due", "missing_components", "received_at", "updated_at"}
"""Required by the table, or parsed by every status and queue read."""


class Unfit(Exception):
    """A value no column can hold; the message names the field, never the value."""


def fit_integer(value: Any, name: str) -> int:
    if type(value) is int:
        return value if INT64_MIN <= value <= INT64_MAX else min(max(value, INT64_MIN),
                                                                   INT64_MAX)
    if isinstance(value, int):  # bool, IntEnum
        return min(max(int(value), INT64_MIN), INT64_MAX)
    raise Unfit(f"{name} is not an integer")


def fit_text(value: Any, name: str, limit: int | None = None) -> str:
    if type(value) is not str:
        if not isinstance(value, str):
            raise Unfit(f"{name} is not text")
        value = str(value)
    text: str = value
    if "\x00" in text or not text.isascii():
        text = _UNWRITABLE.sub(REPLACEMENT, text)
    return text if limit is None or len(text) <= limit else text[:limit]


def fit_row(row: Row, names: Iterable[str]) -> Row:
    """``row`` with the values of columns ``names`` fitted (in place, and returned): a fold
    names the columns it set, the others were fitted when they were set."""
    for name in names:
        value = row[name]
        if value is None:
            if name in _NEVER_EMPTY:
                raise Unfit(f"{name} is missing")
        elif name in INTEGER_COLUMNS:
            if type(value) is not int or not INT64_MIN <= value <= INT64_MAX:
                row[name] = fit_integer(value, name)
        elif name == "due":
            _check_date(fit_text(value, name), name)
        elif not (type(value) is str and value.isascii() and "\x00" not in value
                  and len(value) <= KEY_LIMIT):  # (most values: nothing to do)
            row[name] = fit_text(value, name, KEY_LIMIT if name in KEY_COLUMNS else None)
    return row


def fit_figure(figure: Figure) -> Figure:
    dossier_id, version, day, office, procedure, name, reason, amount = figure
    if name not in FIGURE_NAMES:
        raise Unfit("the report figure is not one the report knows")
    if name == "rated" and not (type(amount) is int and 1 <= amount <= 5):
        raise Unfit("a satisfaction rating is not a whole number from 1 to 5")
    # most figures need nothing: the fold makes dossier_id and day from a UUID and a date
    if (type(version) is int and INT64_MIN <= version <= INT64_MAX and type(amount) is int
            and INT64_MIN <= amount <= INT64_MAX and _plain(office) and _plain(procedure)
            and type(dossier_id) is str and type(day) is str
            and (_plain(reason) if name in REASONED else reason is None or _plain(reason))):
        return figure
    if name in REASONED or reason is not None:
        reason = fit_text(reason, "reason")
    return Figure(fit_text(dossier_id, "dossier_id", KEY_LIMIT),
                  fit_integer(version, "version"),
                  fit_text(day, "day", KEY_LIMIT),
                  _required_text(office, "office", KEY_LIMIT),
                  _required_text(procedure, "procedure"),
                  name, reason, fit_integer(amount, "amount"))


def _plain(value: Any) -> bool:
    """Text that any column takes as it is."""
    return (type(value) is str and value.isascii() and "\x00" not in value
            and len(value) <= KEY_LIMIT)


def _required_text(value: Any, name: str, limit: int | None = None) -> str:
    if value is None:
        raise Unfit(f"{name} is missing")
    return fit_text(value, name, limit)


def _check_date(value: str, name: str) -> None:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise Unfit(f"{name} is not an ISO date") from None
