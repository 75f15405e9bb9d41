"""Comparing live views with rebuilt ones, column by column, naming each difference safely.

A difference names its view, the row's key in words people use (the dossier code, with the
version of a report figure or the key of a scanned page's text) and the column. Values are shown
only for columns that hold no personal data; an applicant's name, a free-text reason and OCR
text are only said to differ, so that no output or log line carries them. A column added to a
view is withheld until it is listed here as safe to show. Shown values are cut short: a live
value is whatever was written into the database, and a forger may have written anything.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tracker.projections.fold import DOSSIER_COLUMNS, FIGURE_COLUMNS

Row = Mapping[str, Any]

COMPARED: dict[str, tuple[str, ...]] = {
    "status": tuple(c for c in DOSSIER_COLUMNS if c != "dossier_id"),
    "attention": ("code", "version", "event", "reason"),
    "report": tuple(c for c in FIGURE_COLUMNS if c not in ("dossier_id", "version")),
    "search": ("office", "text", "words"),
}
"""What the log determines, per view (the key columns are the row's identity). An attention
mark's ``position`` is left out: where in the log the mark was met depends on how the event was
delivered (Kafka's gap filling does not know it)."""
SHOWN: dict[str, frozenset[str]] = {
    "status": frozenset({
        "code", "version", "procedure", "receiving_office", "resolving_office",
        "missing_components", "stage", "decision", "custodian", "office", "transit_carrier",
        "transit_from", "transit_to", "transit_since", "due", "clock_stopped", "timeliness",
        "fee_paid", "pages", "supplements_requested", "received_at", "updated_at", "channel",
        "non_local", "in_field"}),
    "attention": frozenset({"code", "version", "event", "reason"}),
    "report": frozenset({"day", "office", "procedure", "figure", "amount"}),
    "search": frozenset({"office"}),
}
"""Columns whose values may be printed. Withheld: ``applicant_name``, ``outcome_reason`` and a
figure's ``reason`` (free text a clerk typed), a scan's ``text`` and ``words`` (OCR), and the
applicant's ``locality`` (part of their address)."""
SHOWN_LENGTH = 48

ONLY_LIVE = "only in the live view"
MISSING = "missing from the live view"
TWICE = "stored twice in the live view"


@dataclass(frozen=True)
class Difference:
    """One way the live view differs from the rebuilt one. ``column`` is None for a whole
    row; ``live`` and ``rebuilt`` are the values as printed, None when withheld."""

    view: str
    key: str
    column: str | None
    what: str
    live: str | None = None
    rebuilt: str | None = None

    def line(self) -> str:
        if self.column is None:
            return f"{self.view} {self.key}: row {self.what}"
        if self.live is None or self.rebuilt is None:
            return f"{self.view} {self.key}: {self.column} {self.what}"
        return (f"{self.view} {self.key}: {self.column} {self.what}: "
                f"live {self.live}, rebuilt {self.rebuilt}")

    def document(self) -> dict[str, Any]:
        """``live`` and ``rebuilt`` as printed (a stored null is the text ``null``); both null
        and ``withheld`` true for a column that holds personal data."""
        return {"view": self.view, "key": self.key, "column": self.column,
                "difference": self.what, "live": self.live, "rebuilt": self.rebuilt,
                "withheld": self.column is not None and self.live is None}


def shown(value: Any) -> str:
    """A value as printed: null, a number, or quoted text cut to SHOWN_LENGTH characters."""
    if value is None:
        return "null"
    if isinstance(value, bool | int | float):
        return str(value)
    text = str(value)
    if len(text) > SHOWN_LENGTH:
        text = text[:SHOWN_LENGTH - 1] + "…"
    return "'" + text.replace("\n", " ") + "'"


def differences(view: str, live: Mapping[Any, Row], rebuilt: Mapping[Any, Row],
                name: Callable[[Any], str]) -> Iterator[Difference]:
    """Every difference between two keyed sets of rows of ``view``, ordered by ``name``."""
    columns, safe = COMPARED[view], SHOWN[view]
    for key in sorted(live.keys() | rebuilt.keys(), key=lambda k: (name(k), repr(k))):
        mine, theirs = live.get(key), rebuilt.get(key)
        if mine is None:
            yield Difference(view, name(key), None, MISSING)
        elif theirs is None:
            yield Difference(view, name(key), None, ONLY_LIVE)
        else:
            for column in columns:
                if mine.get(column) != theirs.get(column):
                    yield (Difference(view, name(key), column, "differs",
                                      shown(mine.get(column)), shown(theirs.get(column)))
                           if column in safe else
                           Difference(view, name(key), column, "differs"))


def twice(view: str, keys: list[Hashable], name: Callable[[Any], str]
          ) -> Iterator[Difference]:
    """A key the live view holds more than once (a table without a primary key)."""
    for key in sorted(set(keys), key=lambda k: (name(k), repr(k))):
        yield Difference(view, name(key), None, TWICE)
