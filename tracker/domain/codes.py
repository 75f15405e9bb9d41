"""Dossier codes ``<office code>-<yymmdd>-<NNNN>``, the shape the national portal prints.

A code is derived from the receiving office, the local receipt date and a daily sequence number.
``DailySequence`` hands out the numbers; the application saves it in the same transaction as the
dossier's ``Received`` event, which keeps the codes free of gaps and duplicates. Each code maps to
one aggregate id by a name-based UUID, so a dossier is found by its code without an index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from tracker.domain import identifiers
from tracker.domain.errors import N_, BadInput, RuleViolation, UnknownReference

NAMESPACE = UUID("5b1d5c9e-2f0a-4c8e-9d55-6f1f4b0a7c31")
CODE_PATTERN = re.compile(identifiers.DOSSIER_CODE)
MAX_DAILY_NUMBER = 9999


@dataclass(frozen=True)
class DossierCode:
    office: str
    day: date
    number: int

    def __str__(self) -> str:
        return f"{self.office}-{self.day:%y%m%d}-{self.number:04d}"

    @property
    def dossier_id(self) -> UUID:
        return dossier_id(str(self))

    @classmethod
    def parse(cls, text: str) -> DossierCode:
        """Parse a printed or scanned code; raises BadInput naming the expected shape, and
        UnknownReference for a well-shaped code no dossier can have (a day that never was)."""
        text = text.strip()
        match = CODE_PATTERN.match(text)
        if not match:
            raise BadInput(
                N_("malformed dossier code {value!r}: expected <office "
                   "code>-<yymmdd>-<NNNN>"),
                value=text[:60]
            )
        office, raw_day, raw_number = text.rsplit("-", 2)
        try:
            day = date(2000 + int(raw_day[:2]), int(raw_day[2:4]), int(raw_day[4:]))
        except ValueError:
            raise UnknownReference(N_("no dossier {text}: {raw_day} is not a day"),
                                   text=text, raw_day=raw_day) from None
        number = int(raw_number)
        if number == 0:
            raise UnknownReference(N_("no dossier {text}: numbers start at 0001"), text=text)
        return cls(office=office, day=day, number=number)


def dossier_id(code: str) -> UUID:
    return uuid5(NAMESPACE, f"dossier:{code}")


def sequence_id(office: str, day: date) -> UUID:
    """The id of the one counter that numbers an office's dossiers on one day."""
    return uuid5(NAMESPACE, f"sequence:{office}:{day.isoformat()}")


class DailySequence(Aggregate):
    """Numbers one office's dossiers on one day: 0001, 0002, … with no gap and no repeat."""

    class Started(Aggregate.Created):
        office: str
        day: str

    class Issued(Aggregate.Event):
        number: int

        def apply(self, sequence: DailySequence) -> None:
            sequence.last = self.number

    def __init__(self, office: str, day: str) -> None:
        self.office = office
        self.day = day
        self.last = 0

    @classmethod
    def start(cls, office: str, day: date) -> DailySequence:
        return cls._create(cls.Started, id=sequence_id(office, day), office=office,
                           day=day.isoformat())

    def issue(self) -> DossierCode:
        if self.last >= MAX_DAILY_NUMBER:
            raise RuleViolation(
                "daily-sequence",
                N_("{office} has used all {max_daily_number} codes for {day}"),
                office=self.office, max_daily_number=MAX_DAILY_NUMBER, day=self.day,
            )
        self.trigger_event(self.Issued, number=self.last + 1)
        return DossierCode(self.office, date.fromisoformat(self.day), self.last)
