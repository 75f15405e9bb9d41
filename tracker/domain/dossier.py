"""The Dossier aggregate: a paper dossier's life as the catalogue's events.

Public methods are commands (verbs); each checks the custody rules (custody.py) first and only
then triggers its past-tense event, stamped with the caller's time, so a refused command leaves
nothing pending.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from eventsourcing.domain import Aggregate

from tracker.domain import custody
from tracker.domain.calendar import WorkingCalendar, local_date, timeliness
from tracker.domain.codes import DossierCode
from tracker.domain.custody import COUNTER_STAFF, DECIDERS, Transit
from tracker.domain.device_clock import NOT_STATED, Scanned
from tracker.domain.errors import N_, BadInput, RuleViolation, UnknownReference
from tracker.domain.province import RECEIVING_KINDS, Office, Procedure, Route, Staff
from tracker.domain.reuse import Papers
from tracker.domain.scan_details import ScanDetails

RESCHEDULE_WINDOW = timedelta(days=731)
"""How far ahead a new due date may be set: two years, so every date stays computable."""
CHANNELS = ("counter", "online", "post", "home")
"""How a dossier reaches the counter: handed in there, submitted online through the
public-service portal with the counter's help, by post, or at a home appointment."""
RATINGS = range(1, 6)
"""The citizen's satisfaction with a returned result (SIPAS): 1 (poor) to 5 (very good)."""


def _text(value: str, what: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise BadInput(N_("{what} must not be empty"), what=what)
    return cleaned


class Dossier(Aggregate):
    """One paper dossier: who holds it, where, how long it may take, and how it ended."""

    class Received(Aggregate.Created):
        """``resolving_office``: the office that decides it, for the applicant's ``locality``
        when the procedure is decided by locality; ``non_local``: received by an office that
        does not serve that locality (phi địa giới); ``in_field``: received away from the
        office, at a home appointment, so custody starts with the receiver in the field."""

        class_version = 4
        code: str
        actor: str
        office: str
        device: str | None
        procedure: str
        applicant_name: str
        applicant_id: str
        phone: str | None
        components: list[str]
        missing_components: list[str]
        accepted_incomplete: bool
        incomplete_reason: str | None
        resolving_office: str
        due: str
        channel: str
        locality: str | None
        non_local: bool
        in_field: bool

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Receipts of class version 1 stated no reason for being incomplete."""
            state["incomplete_reason"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """Receipts of class version 2 named no channel: all were made at the counter."""
            state["channel"] = "counter"

        @staticmethod
        def upcast_v3_v4(state: dict[str, Any]) -> None:
            """Receipts of class version 3 named no locality, and custody of none of them
            started in the field."""
            state.update(locality=None, non_local=False, in_field=False)

    class RefusedAtCounter(Aggregate.Created):
        """The counter turned the dossier away (Mẫu 03): it gets a code, so the refusal slip
        can be printed and counted, and nothing more can happen to it."""

        code: str
        actor: str
        office: str
        device: str | None
        procedure: str
        applicant_name: str
        applicant_id: str
        phone: str | None
        components: list[str]
        missing_components: list[str]
        reason: str
        channel: str
        resolving_office: str

        def apply(self, dossier: Dossier) -> None:
            dossier.stage = "refused"
            dossier.outcome_reason = self.reason
            dossier.due = local_date(self.timestamp).isoformat()

    class CustodyEvent(Aggregate.Event):
        """Every later event says who did it, at which office, on which device."""

        actor: str
        office: str
        device: str | None

    class FeeCollected(CustodyEvent):
        amount: int

        def apply(self, dossier: Dossier) -> None:
            dossier.fee_paid += self.amount

    class Digitised(CustodyEvent):
        """A scan of the dossier: ``objects`` are the original page images in order (blank
        pages included: ``blank_pages`` flags them by 1-based number, never drops them),
        ``cleaned`` the straightened copies, ``quality_notes`` what the operator was told,
        ``components`` which pages are which of the procedure's components (code → pages),
        ``excluded_pages`` the pages the operator excluded at QC, with the reason (kept among
        ``objects``, never dropped)."""

        class_version = 3
        pages: int
        objects: list[dict[str, str]]
        ocr_text_key: str | None
        pdf_key: str | None
        quality: str
        cleaned: list[dict[str, str]]
        dpi: int | None
        blank_pages: list[int]
        quality_notes: list[dict[str, Any]]
        station: str | None
        components: dict[str, list[int]]
        excluded_pages: list[dict[str, Any]]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Scans recorded by class version 1 had none of the station's details."""
            state.update(cleaned=[], dpi=None, blank_pages=[], quality_notes=[], station=None)

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """Scans recorded by class version 2 had no QC: no component map, nothing
            excluded."""
            state.update(components={}, excluded_pages=[])

        def apply(self, dossier: Dossier) -> None:
            dossier.pages = self.pages

        @property
        def object_keys(self) -> list[str]:
            """Every object this scan names: pages, then the PDF and OCR text if any."""
            extra = [k for k in (self.pdf_key, self.ocr_text_key) if k]
            return ([item["key"] for item in self.objects]
                    + [item["key"] for item in self.cleaned] + extra)

    class ComponentsReused(CustodyEvent):
        """Papers digitised for an earlier dossier of the same applicant (``source``, its
        code), taken again instead of being scanned: ``components`` maps each component code
        to the objects (``{"key", "sha256"}``, in page order) the source's scan names for it.
        The citizen confirmed at the counter that they are still valid."""

        source: str
        components: dict[str, list[dict[str, str]]]

        def apply(self, dossier: Dossier) -> None:
            dossier.missing_components = [c for c in dossier.missing_components
                                          if c not in self.components]
            dossier.reused_components = sorted(
                {*dossier.reused_components, *self.components})

        @property
        def object_keys(self) -> list[str]:
            """Every object the reuse names, component by component."""
            return [item["key"] for objects in self.components.values() for item in objects]

    class HandedOver(CustodyEvent):
        class_version = 2
        to_office: str
        carrier: str
        carrier_role: str
        manifest: str | None
        override: bool
        pages_counted: int | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Handovers of class version 1 counted no pages."""
            state["pages_counted"] = None

        def apply(self, dossier: Dossier) -> None:
            dossier.transit = Transit(
                carrier=self.carrier,
                from_office=self.office,
                to_office=self.to_office,
                since=self.timestamp.isoformat(),
            )
            dossier.custodian = self.carrier
            dossier.office = None
            dossier.in_field = False

    class Accepted(CustodyEvent):
        """``bag``: the bag it arrived in, when it travelled in one; ``device_time``: when the
        device that sent the scan of the bag made it (tracker.domain.device_clock), apart from
        the record time, and ``synced_late`` when it reached the server late."""

        class_version = 3
        bag: str | None
        device_time: str | None
        synced_late: bool

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Acceptances of class version 1 named no bag."""
            state["bag"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """Acceptances of class version 2 named no device time."""
            state.update(device_time=None, synced_late=False)

        def apply(self, dossier: Dossier) -> None:
            dossier.transit = None
            dossier.custodian = self.actor
            dossier.office = self.office

    class SupplementRequested(CustodyEvent):
        reason: str

        def apply(self, dossier: Dossier) -> None:
            dossier.stop_clock("awaiting_supplement", self.timestamp)
            dossier.supplements_requested += 1

    class SupplementReceived(CustodyEvent):
        due: str

        def apply(self, dossier: Dossier) -> None:
            dossier.restart_clock(self.due)

    class Paused(CustodyEvent):
        reason: str

        def apply(self, dossier: Dossier) -> None:
            dossier.stop_clock("paused", self.timestamp)

    class Resumed(CustodyEvent):
        due: str

        def apply(self, dossier: Dossier) -> None:
            dossier.restart_clock(self.due)

    class Rescheduled(CustodyEvent):
        due: str
        reason: str

        def apply(self, dossier: Dossier) -> None:
            dossier.due = self.due

    class Rejected(CustodyEvent):
        """``reason_code``: the province's rejection reason code, ``reason`` the text given
        to the citizen."""

        class_version = 2
        reason: str
        reason_code: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Rejections of class version 1 gave the free text alone."""
            state["reason_code"] = None

        def apply(self, dossier: Dossier) -> None:
            dossier.stage = "rejected"
            dossier.outcome_reason = self.reason

    class Resolved(CustodyEvent):
        timeliness: str

        def apply(self, dossier: Dossier) -> None:
            dossier.stage = "resolved"
            dossier.timeliness = self.timeliness

    class ResultReturned(CustodyEvent):
        class_version = 2
        by_post: bool
        satisfaction: int | None
        comment: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Returns of class version 1 recorded no satisfaction rating."""
            state.update(satisfaction=None, comment=None)

        def apply(self, dossier: Dossier) -> None:
            dossier.stage = "returned"

    class Cancelled(CustodyEvent):
        """``reason_code``: the province's cancellation reason code, ``reason`` the text."""

        class_version = 2
        reason: str
        reason_code: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Cancellations of class version 1 gave the free text alone."""
            state["reason_code"] = None

        def apply(self, dossier: Dossier) -> None:
            dossier.stage = "cancelled"
            dossier.outcome_reason = self.reason

    def __init__(
        self,
        code: str,
        actor: str,
        office: str,
        device: str | None,
        procedure: str,
        applicant_name: str,
        applicant_id: str,
        phone: str | None,
        components: list[str],
        missing_components: list[str],
        resolving_office: str,
        accepted_incomplete: bool = False,
        incomplete_reason: str | None = None,
        due: str = "",
        channel: str = "counter",
        locality: str | None = None,
        non_local: bool = False,
        in_field: bool = False,
    ) -> None:
        """Made by either creating event: ``Received``, or ``RefusedAtCounter`` (which has no
        due date, incomplete receipt or locality, and sets its stage and due date as it
        applies). ``in_field`` stays true until the dossier is first handed over."""
        self.code = code
        self.procedure = procedure
        self.receiving_office = office
        self.resolving_office = resolving_office
        self.applicant_name = applicant_name
        self.applicant_id = applicant_id
        self.phone = phone
        self.missing_components = missing_components
        self.incomplete_reason = incomplete_reason
        self.channel = channel
        self.locality = locality
        self.non_local = non_local
        self.in_field = in_field
        self.stage = "in_progress"
        self.custodian = actor
        self.office: str | None = office
        self.transit: Transit | None = None
        self.due = due
        self.clock_stopped: str | None = None
        self.clock_stopped_on: str | None = None
        self.timeliness: str | None = None
        self.outcome_reason: str | None = None
        self.fee_paid = 0
        self.pages = 0
        self.supplements_requested = 0
        self.reused_components: list[str] = []

    # -- state changes shared by events -------------------------------------------------------

    def stop_clock(self, reason: str, at: datetime) -> None:
        self.clock_stopped = reason
        self.clock_stopped_on = local_date(at).isoformat()

    def restart_clock(self, due: str) -> None:
        self.clock_stopped = None
        self.clock_stopped_on = None
        self.due = due

    @property
    def due_date(self) -> date:
        return date.fromisoformat(self.due)

    def is_overdue(self, now: datetime) -> bool:
        """Past its due date and not yet decided (open dossiers only)."""
        if self.stage in custody.DECIDED_STAGES | custody.TERMINAL_STAGES:
            return False
        return local_date(now) > self.due_date

    # -- commands ----------------------------------------------------------------------------

    @classmethod
    def receive(
        cls,
        code: DossierCode,
        procedure: Procedure,
        office: Office,
        actor: Staff,
        applicant_name: str,
        applicant_id: str,
        phone: str | None,
        components: Sequence[str],
        accept_incomplete: bool,
        at: datetime,
        calendar: WorkingCalendar,
        device: str | None = None,
        incomplete_reason: str | None = None,
        channel: str = "counter",
        route: Route | None = None,
        reused: Sequence[str] = (),
    ) -> Dossier:
        """``route``: where the province sends it for the applicant's locality
        (``Province.route``); without one, to the procedure's resolving office. Received at a
        home appointment, custody starts with ``actor`` in the field. ``reused``: components
        taken again from an earlier dossier's scan (``reuse_components``, right after), which
        are not missing."""
        missing = [c for c in _at_counter(procedure, office, actor, components, channel)
                   if c not in reused]
        route = route or Route(procedure.resolving_office)
        if missing and not accept_incomplete:
            raise RuleViolation(
                "complete-dossier",
                N_("missing required component {items} (use --accept-incomplete to record "
                   "an incomplete receipt)"),
                items=', '.join(missing),
            )
        return cls._create(
            cls.Received,
            id=code.dossier_id,
            timestamp=at,
            code=str(code),
            actor=actor.id,
            office=office.code,
            device=device,
            procedure=procedure.code,
            applicant_name=_text(applicant_name, "applicant name"),
            applicant_id=_text(applicant_id, "applicant id"),
            phone=phone.strip() if phone and phone.strip() else None,
            components=sorted(set(components)),
            missing_components=missing,
            accepted_incomplete=bool(missing),
            incomplete_reason=(_text(incomplete_reason, "reason") if missing and incomplete_reason
                               else None),
            resolving_office=route.resolving_office,
            due=calendar.due_date(at, procedure.days).isoformat(),
            channel=channel,
            locality=route.locality,
            non_local=route.non_local,
            in_field=channel == "home",
        )

    @classmethod
    def refuse_at_counter(
        cls,
        code: DossierCode,
        procedure: Procedure,
        office: Office,
        actor: Staff,
        applicant_name: str,
        applicant_id: str,
        phone: str | None,
        components: Sequence[str],
        reason: str,
        at: datetime,
        device: str | None = None,
        channel: str = "counter",
    ) -> Dossier:
        """Turn the dossier away at the counter, with the reason and the required components
        it lacks; recorded under its own code so the refusal slip can be printed."""
        missing = _at_counter(procedure, office, actor, components, channel)
        return cls._create(
            cls.RefusedAtCounter,
            id=code.dossier_id,
            timestamp=at,
            code=str(code),
            actor=actor.id,
            office=office.code,
            device=device,
            procedure=procedure.code,
            applicant_name=_text(applicant_name, "applicant name"),
            applicant_id=_text(applicant_id, "applicant id"),
            phone=phone.strip() if phone and phone.strip() else None,
            components=sorted(set(components)),
            missing_components=missing,
            reason=_text(reason, "reason"),
            channel=channel,
            resolving_office=procedure.resolving_office,
        )

    def _record(self, event_class: type[CustodyEvent], actor: Staff, at: datetime,
                device: str | None, office: str | None = None, **fields: Any) -> None:
        self.trigger_event(
            event_class,
            timestamp=at,
            actor=actor.id,
            office=office or actor.office,
            device=device,
            **fields,
        )

    def collect_fee(self, actor: Staff, amount: int, at: datetime,
                    device: str | None = None) -> None:
        custody.may_process(self, actor, *COUNTER_STAFF)
        if amount <= 0:
            raise BadInput(N_("fee amount must be a positive number of VND, not {amount}"),
                           amount=amount)
        self._record(self.FeeCollected, actor, at, device, amount=amount)

    def digitise(self, actor: Staff, objects: list[dict[str, str]], at: datetime,
                 ocr_text_key: str | None = None, pdf_key: str | None = None,
                 quality: str = "ok", device: str | None = None,
                 scan: ScanDetails | None = None,
                 known_components: frozenset[str] | None = None) -> None:
        """``known_components``: the procedure's component codes, which the scan's component
        map may name."""
        custody.may_process(self, actor, "operator", *COUNTER_STAFF)
        if not objects:
            raise BadInput(N_("a digitised dossier has at least one page"))
        scan = scan or ScanDetails()
        for page in [*objects, *scan.cleaned]:
            if set(page) != {"key", "sha256"}:
                raise BadInput(N_("each page object names exactly its key and sha256"))
        scan.check(len(objects), known_components)
        self._record(self.Digitised, actor, at, device, pages=len(objects), objects=objects,
                     ocr_text_key=ocr_text_key, pdf_key=pdf_key, quality=quality,
                     cleaned=scan.cleaned, dpi=scan.dpi, blank_pages=scan.blank_pages,
                     quality_notes=scan.quality_notes, station=scan.station,
                     components=scan.components, excluded_pages=scan.excluded_pages)

    def reuse_components(self, actor: Staff, source: Papers,
                         components: dict[str, list[dict[str, str]]], at: datetime,
                         known_components: frozenset[str], device: str | None = None) -> None:
        """Take ``components`` (code → objects) digitised for ``source``, an earlier dossier
        of the same applicant, instead of scanning them again. ``known_components``: the
        procedure's component codes."""
        custody.undecided(self)
        custody.may_process(self, actor, *COUNTER_STAFF)
        if not components:
            raise BadInput(N_("name at least one component to reuse"))
        if source.code == self.code:
            raise RuleViolation("reuse-source", N_("{code} cannot reuse its own papers"),
                                code=self.code)
        if source.applicant_id != self.applicant_id:
            raise RuleViolation("reuse-same-applicant",
                                N_("{source} is not a dossier of the applicant of {code}"),
                                source=source.code, code=self.code)
        for kind, objects in components.items():
            if kind not in known_components:
                raise UnknownReference(N_("procedure {code} has no component {items}"),
                                       code=self.procedure, items=kind)
            if kind in self.reused_components:
                raise RuleViolation("reuse-once", N_("{code} already reuses {component}"),
                                    code=self.code, component=kind)
            if kind not in source.components:
                raise RuleViolation("reuse-digitised",
                                    N_("no scan of {source} maps component {component}"),
                                    source=source.code, component=kind)
            if any(set(item) != {"key", "sha256"} for item in objects):
                raise BadInput(N_("each page object names exactly its key and sha256"))
            if objects != source.components[kind]:
                raise RuleViolation(
                    "reuse-objects", N_("the objects named for {component} are not those the "
                                        "scan of {source} names for it"),
                    component=kind, source=source.code)
        self._record(self.ComponentsReused, actor, at, device, source=source.code,
                     components={k: [dict(o) for o in v] for k, v in sorted(components.items())})

    def hand_over(self, actor: Staff, carrier: Staff, to_office: Office, at: datetime,
                  manifest: str | None = None, device: str | None = None,
                  pages_counted: int | None = None) -> None:
        """``pages_counted``: the sheets the releasing person counted, checked against the
        page count of the last scan so a lost page is caught at the handover where it went."""
        override = custody.may_release(self, actor, carrier)
        if pages_counted is not None:
            if pages_counted < 1:
                raise BadInput(N_("a page count is a positive number, not {pages_counted}"),
                               pages_counted=pages_counted)
            if self.pages and pages_counted != self.pages:
                raise RuleViolation("page-count", N_("{code} was digitised with {pages} "
                                                     "pages; {pages_counted} counted"),
                                                  code=self.code, pages=self.pages,
                                                  pages_counted=pages_counted)
        self._record(self.HandedOver, actor, at, device, office=self.office,
                     to_office=to_office.code, carrier=carrier.id, carrier_role=carrier.role,
                     manifest=manifest, override=override, pages_counted=pages_counted)

    def accept(self, actor: Staff, at: datetime, device: str | None = None,
               bag: str | None = None, scanned: Scanned = NOT_STATED) -> None:
        """``scanned``: the device's time of the scan that accepted it, if it sent one."""
        custody.may_accept(self, actor)
        self._record(self.Accepted, actor, at, device, bag=bag,
                     device_time=scanned.device_time, synced_late=scanned.synced_late)

    def request_supplement(self, actor: Staff, reason: str, at: datetime,
                           device: str | None = None) -> None:
        custody.undecided(self)
        custody.may_process(self, actor, "official", *COUNTER_STAFF)
        custody.clock_running(self)
        self._record(self.SupplementRequested, actor, at, device,
                     reason=_text(reason, "reason"))

    def receive_supplement(self, actor: Staff, at: datetime, calendar: WorkingCalendar,
                           device: str | None = None) -> None:
        """The citizen brings the missing papers, to where the dossier is or was received."""
        custody.not_terminal(self)
        custody.not_in_transit(self)
        custody.has_role(actor, "official", *COUNTER_STAFF)
        if actor.office != self.receiving_office:
            custody.at_dossier_office(self, actor)
        stopped_on = custody.clock_stopped_for(self, "awaiting_supplement")
        self._record(self.SupplementReceived, actor, at, device,
                     due=self._restarted_due(stopped_on, at, calendar))

    def pause(self, actor: Staff, reason: str, at: datetime, device: str | None = None) -> None:
        custody.undecided(self)
        custody.may_process(self, actor, *DECIDERS)
        custody.clock_running(self)
        self._record(self.Paused, actor, at, device, reason=_text(reason, "reason"))

    def resume(self, actor: Staff, at: datetime, calendar: WorkingCalendar,
               device: str | None = None) -> None:
        custody.may_process(self, actor, *DECIDERS)
        stopped_on = custody.clock_stopped_for(self, "paused")
        self._record(self.Resumed, actor, at, device,
                     due=self._restarted_due(stopped_on, at, calendar))

    def reschedule(self, actor: Staff, due: date, reason: str, at: datetime,
                   device: str | None = None) -> None:
        """The apology & reschedule slip: a later due date, with the reason given to the citizen."""
        custody.undecided(self)
        custody.may_process(self, actor, *DECIDERS)
        if due <= self.due_date:
            raise RuleViolation(
                "reschedule-later", N_("the new due date {due} must be after {due2}"),
                                    due=due, due2=self.due
            )
        if due > local_date(at) + RESCHEDULE_WINDOW:
            raise RuleViolation("reschedule-window", N_("the new due date {due} is more "
                                                        "than {days} days ahead"),
                                                     due=due, days=RESCHEDULE_WINDOW.days)
        self._record(self.Rescheduled, actor, at, device, due=due.isoformat(),
                     reason=_text(reason, "reason"))

    def reject(self, actor: Staff, reason: str, at: datetime, device: str | None = None,
               reason_code: str | None = None) -> None:
        """``reason_code``: a rejection reason code of the province (checked by the caller
        against ``Province.reason_code``)."""
        custody.undecided(self)
        custody.may_process(self, actor, *DECIDERS)
        self._record(self.Rejected, actor, at, device, reason=_text(reason, "reason"),
                     reason_code=reason_code)

    def resolve(self, actor: Staff, at: datetime, device: str | None = None) -> None:
        custody.undecided(self)
        custody.may_process(self, actor, *DECIDERS)
        custody.clock_running(self)
        self._record(self.Resolved, actor, at, device,
                     timeliness=timeliness(local_date(at), self.due_date))

    def return_result(self, actor: Staff, at: datetime, by_post: bool = False,
                      device: str | None = None, satisfaction: int | None = None,
                      comment: str | None = None) -> None:
        """``satisfaction``: the citizen's rating, 1 to 5, with an optional ``comment``."""
        custody.may_process(self, actor, *COUNTER_STAFF)
        if self.stage not in custody.DECIDED_STAGES:
            raise RuleViolation(
                "decided-before-return", N_("{code} has no result yet ({stage})"),
                                         code=self.code, stage=self.stage
            )
        if satisfaction is not None and satisfaction not in RATINGS:
            raise BadInput(N_("a satisfaction rating is 1 to 5, not {satisfaction}"),
                           satisfaction=satisfaction)
        if comment is not None and satisfaction is None:
            raise BadInput(N_("a comment goes with a satisfaction rating"))
        self._record(self.ResultReturned, actor, at, device, by_post=by_post,
                     satisfaction=satisfaction,
                     comment=comment.strip() if comment and comment.strip() else None)

    def cancel(self, actor: Staff, reason: str, at: datetime, device: str | None = None,
               reason_code: str | None = None) -> None:
        """``reason_code``: a cancellation reason code of the province."""
        custody.undecided(self)
        custody.may_process(self, actor, "official", *COUNTER_STAFF)
        self._record(self.Cancelled, actor, at, device, reason=_text(reason, "reason"),
                     reason_code=reason_code)

    def _restarted_due(self, stopped_on: date, at: datetime, calendar: WorkingCalendar) -> str:
        return calendar.resume_due_date(self.due_date, stopped_on, local_date(at)).isoformat()


def _at_counter(procedure: Procedure, office: Office, actor: Staff, components: Sequence[str],
                channel: str) -> list[str]:
    """Check that ``actor`` may take a dossier of ``procedure`` at ``office`` through
    ``channel``; the procedure's required components missing from ``components``."""
    custody.has_role(actor, *COUNTER_STAFF)
    if office.kind not in RECEIVING_KINDS:
        raise RuleViolation(
            "receiving-office",
            N_("{code} is a {kind}; it does not receive dossiers"),
            code=office.code, kind=office.kind,
        )
    if actor.office != office.code:
        raise RuleViolation(
            "actor-at-dossier-office", N_("{id} works at {office}, not {code}"),
                                       id=actor.id, office=actor.office, code=office.code
        )
    if channel not in CHANNELS:
        raise BadInput(N_("a channel is one of {items}, not {channel!r}"),
                       items=', '.join(CHANNELS), channel=channel)
    known = {c.code for c in procedure.components}
    unknown = sorted(set(components) - known)
    if unknown:
        raise UnknownReference(
            N_("procedure {code} has no component {items}"),
            code=procedure.code, items=', '.join(unknown))
    return [c for c in procedure.required_components if c not in components]
