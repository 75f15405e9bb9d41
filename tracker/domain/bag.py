"""The Bag aggregate (túi chuyển): dossiers travelling together under one barcode.

A bag is created at its origin office with a destination, filled with dossier codes (each with
the page count of its last scan, when it was digitised), handed over to a courier in one step
and accepted at the destination in one scan. The custody of each dossier stays on the dossier:
the application records each dossier's own ``HandedOver`` and ``Accepted`` naming the bag in the
same transaction as the bag's event. The bag keeps what was listed, what arrived and what was
missing on arrival, and the history of its steps: a scan a device sent after a break in the link
keeps the device's time apart from the time it was recorded.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from tracker.domain.device_clock import NOT_STATED, Scanned
from tracker.domain.errors import N_, BadInput, RuleViolation
from tracker.domain.province import Office, Staff

NAMESPACE = UUID("0d7c3e52-9a4b-4f71-8c1e-2b6a9e0f5d13")
BAG_CODE = r"^TUI-[0-9A-HJ-NP-Z]{8}$"
"""``TUI-`` and eight characters without I and O, so a code read aloud or typed is not
mistaken; printed as Code 128 on the manifest."""
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
MAX_DOSSIERS = 500
"""Dossiers in one bag: more than a courier's run between two levels carries."""

OPEN, HANDED_OVER, ACCEPTED = "open", "handed_over", "accepted"


def new_bag_code() -> str:
    return "TUI-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


def parse_bag_code(text: str) -> str:
    code = text.strip().upper()
    if not re.match(BAG_CODE, code):
        raise BadInput(N_("malformed bag code {value!r}: expected TUI- and 8 letters or "
                          "digits"),
                       value=text[:40])
    return code


def bag_id(code: str) -> UUID:
    return uuid5(NAMESPACE, parse_bag_code(code))


class Bag(Aggregate):
    """A bag of dossiers from one office to another: open, handed over, then accepted."""

    class Created(Aggregate.Created):
        code: str
        actor: str
        office: str
        to_office: str
        device: str | None

    class BagEvent(Aggregate.Event):
        actor: str
        office: str
        device: str | None

        def step(self, bag: Bag, name: str, codes: list[str],
                 scanned: Scanned = NOT_STATED) -> None:
            """Note the step in the bag's history: who, where, when it was recorded and,
            for a scan a device sent, when the device says it was made."""
            bag.steps.append({
                "step": name, "actor": self.actor, "office": self.office,
                "recorded_at": self.timestamp.isoformat(), "device": self.device,
                "device_time": scanned.device_time, "synced_late": scanned.synced_late,
                "codes": list(codes)})

    class Filled(BagEvent):
        """Dossiers put in the bag, each ``{"code", "pages"}`` (pages: of its last scan, or
        None when it was never digitised); ``device_time``: when the device that sent the
        scan made it, apart from the record time."""

        class_version = 2
        dossiers: list[dict[str, object]]
        device_time: str | None
        synced_late: bool

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Fills of class version 1 named no device time."""
            state.update(device_time=None, synced_late=False)

        def apply(self, bag: Bag) -> None:
            bag.dossiers.extend(dict(d) for d in self.dossiers)
            self.step(bag, "filled", [str(d["code"]) for d in self.dossiers],
                      Scanned(self.device_time, self.synced_late))

    class HandedOver(BagEvent):
        courier: str

        def apply(self, bag: Bag) -> None:
            bag.state = HANDED_OVER
            bag.courier = self.courier
            self.step(bag, "handed_over", bag.codes)

    class Accepted(BagEvent):
        """``device_time``: when the device that sent the scan of the bag made it."""

        class_version = 2
        accepted: list[str]
        missing: list[str]
        device_time: str | None
        synced_late: bool

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Acceptances of class version 1 named no device time."""
            state.update(device_time=None, synced_late=False)

        def apply(self, bag: Bag) -> None:
            bag.state = ACCEPTED
            bag.accepted = list(self.accepted)
            bag.missing = list(self.missing)
            self.step(bag, "accepted", list(self.accepted),
                      Scanned(self.device_time, self.synced_late))

    def __init__(self, code: str, actor: str, office: str, to_office: str,
                 device: str | None) -> None:
        self.code = code
        self.created_by = actor
        self.office = office
        self.to_office = to_office
        self.state = OPEN
        self.dossiers: list[dict[str, object]] = []
        self.courier: str | None = None
        self.accepted: list[str] = []
        self.missing: list[str] = []
        self.steps: list[dict[str, Any]] = []

    @property
    def codes(self) -> list[str]:
        return [str(d["code"]) for d in self.dossiers]

    def pages_of(self, code: str) -> int | None:
        for item in self.dossiers:
            if item["code"] == code:
                pages = item["pages"]
                return pages if isinstance(pages, int) else None
        return None

    # -- commands ---------------------------------------------------------------------------

    @classmethod
    def create(cls, code: str, actor: Staff, to_office: Office, at: datetime,
               device: str | None = None) -> Bag:
        """A bag made by ``actor`` at their office, bound for ``to_office``."""
        if to_office.code == actor.office:
            raise RuleViolation("bag-elsewhere",
                                N_("a bag from {office} must go to another office"),
                                office=actor.office)
        return cls._create(cls.Created, id=bag_id(code), timestamp=at,
                           code=parse_bag_code(code), actor=actor.id, office=actor.office,
                           to_office=to_office.code, device=device)

    def fill(self, actor: Staff, dossiers: Sequence[tuple[str, int | None]], at: datetime,
             device: str | None = None, scanned: Scanned = NOT_STATED) -> None:
        """Put ``dossiers`` (code, pages) in the open bag; the caller has checked that each is
        held at the bag's office. ``scanned``: the device's time of the scan, if it sent
        one."""
        self._at_office(actor, self.office, "bag-at-origin")
        if self.state != OPEN:
            raise RuleViolation("bag-open", N_("{code} was handed over; it is sealed"),
                                            code=self.code)
        codes = [code for code, _ in dossiers]
        twice = sorted({c for c in codes if codes.count(c) > 1 or c in self.codes})
        if twice:
            raise RuleViolation("once-in-bag", N_("{items} already in {code}"),
                                               items=', '.join(twice), code=self.code)
        if len(self.dossiers) + len(codes) > MAX_DOSSIERS:
            raise RuleViolation("bag-size", N_("a bag holds at most {max_dossiers} dossiers"),
                                            max_dossiers=MAX_DOSSIERS)
        self.trigger_event(self.Filled, timestamp=at, actor=actor.id, office=actor.office,
                           device=device,
                           dossiers=[{"code": c, "pages": p} for c, p in dossiers],
                           device_time=scanned.device_time, synced_late=scanned.synced_late)

    def hand_over(self, actor: Staff, courier: Staff, at: datetime,
                  device: str | None = None) -> None:
        """Seal the bag and give it to ``courier``; each dossier's own handover is the
        dossier's rule (only its custodian releases it)."""
        if self.state != OPEN:
            raise RuleViolation("bag-handed-over-once", N_("{code} was already handed over"),
                                                        code=self.code)
        if not self.dossiers:
            raise RuleViolation("bag-not-empty", N_("{code} is empty; scan dossiers into it"),
                                                 code=self.code)
        self._at_office(actor, self.office, "bag-at-origin")
        self.trigger_event(self.HandedOver, timestamp=at, actor=actor.id, office=actor.office,
                           device=device, courier=courier.id)

    def accept(self, actor: Staff, missing: Sequence[str], at: datetime,
               device: str | None = None, scanned: Scanned = NOT_STATED) -> list[str]:
        """Accept the bag at its destination; ``missing`` are the listed dossiers not in it,
        flagged and left in transit; ``scanned``: the device's time of the scan, if it sent
        one. Returns the codes accepted."""
        if self.state == OPEN:
            raise RuleViolation("bag-in-transit", N_("{code} has not been handed over"),
                                                  code=self.code)
        if self.state == ACCEPTED:
            raise RuleViolation("bag-accepted-once", N_("{code} was already accepted"),
                                                     code=self.code)
        self._at_office(actor, self.to_office, "accept-at-destination")
        unlisted = sorted(set(missing) - set(self.codes))
        if unlisted:
            raise RuleViolation("missing-listed",
                                N_("{items} not listed in {code}"),
                                items=', '.join(unlisted), code=self.code)
        accepted = [c for c in self.codes if c not in set(missing)]
        self.trigger_event(self.Accepted, timestamp=at, actor=actor.id, office=actor.office,
                           device=device, accepted=accepted,
                           missing=[c for c in self.codes if c in set(missing)],
                           device_time=scanned.device_time, synced_late=scanned.synced_late)
        return accepted

    def _at_office(self, actor: Staff, office: str, rule: str) -> None:
        if actor.office != office:
            raise RuleViolation(rule, N_("{code} is for {office}; {id} works at {office2}"),
                                      code=self.code, office=office, id=actor.id,
                                      office2=actor.office)
