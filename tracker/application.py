"""The custody application: every command is get → change → save on the event store.

Commands take the names people type or scan (codes, staff ids, office codes), resolve them against
the province data, let the Dossier aggregate apply the custody rules, and save. Reads (status,
history) replay the dossier's events. The clock is injected so tests can place events in time.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from datetime import UTC, date, datetime
from time import monotonic
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, Repository
from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    OperationalError,
    PersistenceError,
    ProgrammingError,
)
from eventsourcing.utils import get_topic

from storage.objects import CorruptObject, MissingObject, ObjectStore, digest_of
from tracker.domain.calendar import local_date
from tracker.domain.codes import DailySequence, DossierCode, sequence_id
from tracker.domain.dossier import Dossier
from tracker.domain.errors import N_, BadInput, HosoError, RuleViolation, UnknownReference
from tracker.domain.province import PROVINCE_ID, Office, Province, ProvinceData
from tracker.domain.reuse import (
    APPLICANT_KEY_ID,
    ApplicantKey,
    Papers,
    applicant_ref,
    chosen_objects,
    papers_of,
)
from tracker.domain.scan_details import ScanDetails
from tracker.idempotency import AlreadyDone, IdempotentRequest, pending, request_id
from tracker.presenters import describe_event, dossier_status
from tracker.search.index import Hit, ScanText, SearchIndex, ocr_text, search
from tracker.sequences import MAX_REMEMBERED_SEQUENCES, DailyNumbering

Clock = Callable[[], datetime]
log = logging.getLogger(__name__)
RECEIVE_ATTEMPTS = 200
UPDATE_ATTEMPTS = 5
_read_ahead: ContextVar[Dossier | None] = ContextVar("hoso_dossier_read_ahead", default=None)
"""The dossier ``CustodyApplication.acting_on`` read for the command about to run on it."""


class NotInitialised(HosoError):
    """No province data in the store yet: the service cannot know any office or procedure."""

    code = "not_initialised"
    http_status = 503
    exit_code = 1


def utc_now() -> datetime:
    return datetime.now(UTC)


class CustodyApplication(Application[Any]):
    """Receives dossiers, moves them between custodians, and answers where each one is."""

    def __init__(self, env: dict[str, str] | None, objects: ObjectStore,
                 clock: Clock = utc_now,
                 search_index_for: Callable[[ApplicationRecorder], SearchIndex] | None = None
                 ) -> None:
        super().__init__(env)
        self.objects = objects
        self.clock = clock
        self._province: Province | None = None
        self._province_version = 0
        self._province_checked = float("-inf")
        self._applicant_secret: str | None = None  # made once, never changed: read once
        # One writer per office and day in this process, issuing from the daily sequence as
        # it last saved it. If another process issued a number meanwhile, the store refuses
        # the stale version (IntegrityError) and the retry reads the store again.
        self._sequences = DailyNumbering(self._daily_sequence)
        # A day's sequence gains an event per code: read afresh, a busy office's would replay
        # thousands. The sequences read are kept here and brought forward with only the events
        # saved since (by this process or another); each read is a copy, so a refused save
        # cannot spoil it.
        self._sequence_reads: Repository[UUID] = Repository(
            self.events, cache_maxsize=MAX_REMEMBERED_SEQUENCES)
        self._search_index_for = search_index_for  # the backend's, from tracker.bootstrap
        self._search: SearchIndex | None = None

    # -- province data ------------------------------------------------------------------------

    def load_province(self, document: dict[str, Any]) -> bool:
        """Store ``document`` as the province data; False when it is unchanged."""
        province = Province(document)  # refuse what the domain cannot read before storing it
        data: ProvinceData
        try:
            data = cast(ProvinceData, self.repository.get(PROVINCE_ID))
        except AggregateNotFoundError:
            data = ProvinceData.load(document)
        else:
            data.replace(document)
        changed = bool(data.pending_events)
        self.save(data, *self._new_applicant_key())
        self._province = province
        self._province_version = data.version
        self._province_checked = monotonic()
        return changed

    def _new_applicant_key(self) -> list[ApplicantKey]:
        """The store's applicant key, made when it has none yet (saved by the caller)."""
        if self.recorder.select_events(APPLICANT_KEY_ID, limit=1):
            return []
        return [ApplicantKey.make()]

    def applicant_ref(self, applicant_id: str) -> str | None:
        """The applicant's reference as the views hold it (reuse.applicant_ref); None when the
        store has no applicant key yet ('hoso init' makes it)."""
        if self._applicant_secret is None:
            stored = self.recorder.select_events(APPLICANT_KEY_ID, limit=1)
            if not stored:
                return None
            self._applicant_secret = cast(ApplicantKey.Made,
                                          self.mapper.to_domain_event(stored[0])).secret
        return applicant_ref(self._applicant_secret, applicant_id)

    def province(self) -> Province:
        """The current province data; a newer stored version is noticed within a second."""
        if self._province is not None and monotonic() - self._province_checked < 1.0:
            return self._province
        try:
            newer = self.recorder.select_events(
                PROVINCE_ID, gt=self._province_version, desc=True, limit=1
            )
        except (OperationalError, ProgrammingError) as error:
            # The only table-less store is one that 'hoso init' never set up.
            if "no such table" in str(error) or "does not exist" in str(error):
                raise NotInitialised(
                    N_("the event store is not set up: run 'hoso init --demo' or --province FILE")
                ) from None
            raise
        if newer:
            event = self.mapper.to_domain_event(newer[0])
            self._province = Province(event.document)  # type: ignore[attr-defined]
            self._province_version = event.originator_version
        self._province_checked = monotonic()
        if self._province is None:
            raise NotInitialised(N_("no province data: run 'hoso init --demo' or --province FILE"))
        return self._province

    # -- commands -----------------------------------------------------------------------------

    def receive(
        self, office: str, procedure: str, applicant_name: str, applicant_id: str,
        actor: str, components: Sequence[str] = (), phone: str | None = None,
        accept_incomplete: bool = False, device: str | None = None,
        incomplete_reason: str | None = None, channel: str = "counter",
        locality: str | None = None, reuse: Sequence[tuple[str, str]] = (),
    ) -> dict[str, Any]:
        """Register a paper dossier and give it the office's next code for today; it goes to
        the office that decides it for the applicant's ``locality`` (Province.route).
        ``reuse``: (earlier dossier, component) pairs taken again from that dossier's scan,
        counted as handed in and recorded with the receipt (``ComponentsReused``, one per
        earlier dossier)."""
        province = self.province()
        the_procedure = province.procedure(procedure)
        receiver = province.person(actor)
        sources: dict[str, list[str]] = {}
        for source, component in reuse:
            sources.setdefault(source, []).append(component)
        taken = [(self.papers(s), kinds) for s, kinds in sources.items()]
        known = frozenset(c.code for c in the_procedure.components)

        def make(code: DossierCode, the_office: Office, at: datetime) -> Dossier:
            dossier = Dossier.receive(
                code=code, procedure=the_procedure, office=the_office,
                actor=receiver, applicant_name=applicant_name, applicant_id=applicant_id,
                phone=phone, components=components, accept_incomplete=accept_incomplete,
                incomplete_reason=incomplete_reason,
                at=at, calendar=province.calendar, device=device, channel=channel,
                route=province.route(the_procedure, the_office, locality),
                reused=[component for _, component in reuse])
            for papers, kinds in taken:
                dossier.reuse_components(receiver, papers, chosen_objects(papers, kinds), at,
                                         known, device)
            return dossier

        return self._register(office, make)

    def refuse_at_counter(
        self, office: str, procedure: str, applicant_name: str, applicant_id: str,
        actor: str, reason: str, components: Sequence[str] = (), phone: str | None = None,
        device: str | None = None, channel: str = "counter",
    ) -> dict[str, Any]:
        """Record a dossier turned away at the counter, under the office's next code for
        today, so its refusal slip (Mẫu 03) can be printed."""
        province = self.province()
        the_procedure = province.procedure(procedure)
        receiver = province.person(actor)
        return self._register(office, lambda code, the_office, at: Dossier.refuse_at_counter(
            code=code, procedure=the_procedure, office=the_office, actor=receiver,
            applicant_name=applicant_name, applicant_id=applicant_id, phone=phone,
            components=components, reason=reason, at=at, device=device, channel=channel,
        ))

    def _register(self, office: str,
                  make: Callable[[DossierCode, Office, datetime], Dossier]) -> dict[str, Any]:
        """Save the dossier ``make`` creates under ``office``'s next code for today."""
        the_office = self.province().office(office)
        for _ in range(RECEIVE_ATTEMPTS):
            with self._sequences.turn(the_office.code, local_date(self.clock())) as turn:
                at = self.clock()  # read once the turn is ours, so numbers follow time
                if local_date(at) != turn.day:
                    continue  # midnight passed while waiting: draw under the new day
                sequence = turn.sequence()
                dossier = make(sequence.issue(), the_office, at)
                try:
                    self.save(sequence, dossier)
                except IntegrityError:
                    continue  # another process took this number first: read and draw again
                turn.keep(sequence)
            return dossier_status(dossier, at)
        raise RuleViolation("daily-sequence", N_("could not allocate a code at {office}: "
                                                 "too busy"),
                                              office=office)

    def collect_fee(self, code: str, by: str, amount: int, device: str | None = None
                    ) -> dict[str, Any]:
        return self._update(code, lambda d, p, at: d.collect_fee(
            p.person(by), amount, at, device))

    def digitise(self, code: str, by: str, pages: Sequence[str],
                 ocr_text_key: str | None = None, pdf_key: str | None = None,
                 quality: str = "ok", device: str | None = None,
                 cleaned: Sequence[str] = (), details: ScanDetails | None = None
                 ) -> dict[str, Any]:
        """Record the scan, but only once every object it names is stored and reads back intact:
        a Digitised event must never name evidence the object store cannot produce. Then index
        its OCR text for search (rebuildable from the events: ``reindex_search``)."""
        objects = [{"key": key, "sha256": digest_of(key)} for key in pages]
        details = replace(details or ScanDetails(),
                          cleaned=[{"key": key, "sha256": digest_of(key)} for key in cleaned])
        text: list[str] = []

        def record(dossier: Dossier, province: Province, at: datetime) -> None:
            known = frozenset(c.code for c in province.procedure(dossier.procedure).components)
            dossier.digitise(province.person(by), objects, at, ocr_text_key, pdf_key, quality,
                             device, details, known)
            for key in [*pages, *cleaned, *(k for k in (pdf_key,) if k)]:
                self._confirm_stored(key)
            if ocr_text_key:
                text[:] = [ocr_text(self._confirm_stored(ocr_text_key))]

        status = self._update(code, record)
        if ocr_text_key:
            try:
                self.search_index().add(ScanText(code=code, office=status["office"] or "",
                                                 scan=ocr_text_key, text=text[0]))
            except (PersistenceError, sqlite3.Error) as error:
                # The scan is recorded; the index is derived from it and can be rebuilt. Failing
                # here would make the station scan (and record) the dossier a second time.
                log.warning("%s recorded but not indexed for search (%s): run 'hoso init' "
                            "then 'hoso search --reindex'", code, error)
        return status

    def reuse_components(self, code: str, by: str, source: str, components: Sequence[str],
                         objects: dict[str, list[dict[str, str]]] | None = None,
                         device: str | None = None) -> dict[str, Any]:
        """Record that the dossier ``code`` takes ``components`` digitised for ``source`` (an
        earlier dossier of the same applicant) instead of a new scan; ``objects`` (component →
        objects), when given, must be those the source's scan names, and are read from it
        otherwise."""
        papers = self.papers(source)
        chosen = chosen_objects(papers, components, objects)

        def record(dossier: Dossier, province: Province, at: datetime) -> None:
            known = frozenset(c.code for c in province.procedure(dossier.procedure).components)
            dossier.reuse_components(province.person(by), papers, chosen, at, known, device)

        return self._update(code, record)

    def papers(self, code: str) -> Papers:
        """What the dossier ``code`` holds in digital form, as its events name it."""
        events = list(self.events.get(DossierCode.parse(code).dossier_id))
        if not events:
            raise UnknownReference(N_("unknown dossier {code}"), code=code)
        return papers_of(code, events)

    def _confirm_stored(self, key: str) -> bytes:
        """The object's bytes, read back whole and verified against its key."""
        try:
            return b"".join(self.objects.get(key))
        except MissingObject:
            raise RuleViolation("objects-stored", N_("{key} is not in the object store"),
                                                  key=key) from None
        except CorruptObject as error:
            raise RuleViolation("objects-stored", N_("{key} does not match its hash: "
                                                     "{error}"),
                                                  key=key, error=error
                                ) from None

    def hand_over(self, code: str, by: str, to_office: str, courier: str | None = None,
                  to_person: str | None = None, manifest: str | None = None,
                  device: str | None = None, pages_counted: int | None = None
                  ) -> dict[str, Any]:
        """Release a dossier to a courier (or a named person) bound for ``to_office``;
        ``pages_counted`` is checked against the page count of its last scan."""
        if (courier is None) == (to_person is None):
            raise RuleViolation("one-carrier",
                                N_("a handover names exactly one of a courier or a person"))

        def release(dossier: Dossier, province: Province, at: datetime) -> None:
            if courier is not None:
                carrier = province.person_in_role(courier, "courier")
            else:
                carrier = province.person(to_person or "")
            dossier.hand_over(province.person(by), carrier, province.office(to_office), at,
                              manifest, device, pages_counted)

        return self._update(code, release)

    def accept(self, code: str, by: str, office: str, device: str | None = None
               ) -> dict[str, Any]:
        def take(dossier: Dossier, province: Province, at: datetime) -> None:
            person = province.person(by)
            province.office(office)
            if person.office != office:
                raise RuleViolation("accept-at-destination",
                                    N_("{by} works at {office}, not at {office2}"),
                                    by=by, office=person.office, office2=office)
            dossier.accept(person, at, device)

        return self._update(code, take)

    def request_supplement(self, code: str, by: str, reason: str, device: str | None = None
                           ) -> dict[str, Any]:
        return self._update(code, lambda d, p, at: d.request_supplement(
            p.person(by), reason, at, device))

    def receive_supplement(self, code: str, by: str, device: str | None = None
                           ) -> dict[str, Any]:
        return self._update(code, lambda d, p, at: d.receive_supplement(
            p.person(by), at, p.calendar, device))

    def pause(self, code: str, by: str, reason: str, device: str | None = None
              ) -> dict[str, Any]:
        return self._update(code, lambda d, p, at: d.pause(p.person(by), reason, at, device))

    def resume(self, code: str, by: str, device: str | None = None) -> dict[str, Any]:
        return self._update(code, lambda d, p, at: d.resume(p.person(by), at, p.calendar,
                                                            device))

    def reschedule(self, code: str, by: str, to: date, reason: str,
                   device: str | None = None) -> dict[str, Any]:
        return self._update(code, lambda d, p, at: d.reschedule(p.person(by), to, reason, at,
                                                                device))

    def reject(self, code: str, by: str, reason: str, device: str | None = None,
               reason_code: str | None = None) -> dict[str, Any]:
        """``reason_code``: one of the province's rejection reason codes."""
        return self._update(code, lambda d, p, at: d.reject(
            p.person(by), reason, at, device, p.reason_code("rejection", reason_code)))

    def resolve(self, code: str, by: str, device: str | None = None) -> dict[str, Any]:
        return self._update(code, lambda d, p, at: d.resolve(p.person(by), at, device))

    def return_result(self, code: str, by: str, by_post: bool = False,
                      device: str | None = None, satisfaction: int | None = None,
                      comment: str | None = None) -> dict[str, Any]:
        return self._update(code, lambda d, p, at: d.return_result(
            p.person(by), at, by_post, device, satisfaction, comment))

    def cancel(self, code: str, by: str, reason: str, device: str | None = None,
               reason_code: str | None = None) -> dict[str, Any]:
        """``reason_code``: one of the province's cancellation reason codes."""
        return self._update(code, lambda d, p, at: d.cancel(
            p.person(by), reason, at, device, p.reason_code("cancellation", reason_code)))

    # -- queries ------------------------------------------------------------------------------

    def status(self, code: str) -> dict[str, Any]:
        self.province()  # refuses clearly when the store was never initialised
        return dossier_status(self._dossier(code), self.clock())

    @contextmanager
    def acting_on(self, code: str) -> Iterator[dict[str, Any]]:
        """The dossier's status, for a check made just before a command on it (may this
        person act where it is held?). The command run inside starts from the same read
        instead of reading the dossier again: one round trip fewer on PostgreSQL, one replay
        of its events fewer everywhere. A writer in between is met as ever: the save is
        refused and the change runs again on a fresh read."""
        self.province()  # refuses clearly when the store was never initialised
        dossier = self._dossier(code)
        token = _read_ahead.set(dossier)
        try:
            yield dossier_status(dossier, self.clock())
        finally:
            _read_ahead.reset(token)

    def history(self, code: str, as_of: datetime | None = None) -> list[dict[str, Any]]:
        """The dossier's events up to ``as_of`` (all when None), each with its custodian after."""
        self.province()  # refuses clearly when the store was never initialised
        events = cast(list[Dossier.Event],
                      list(self.events.get(DossierCode.parse(code).dossier_id)))
        if not events:
            raise UnknownReference(N_("unknown dossier {code}"), code=code)
        rows: list[dict[str, Any]] = []
        dossier: Dossier | None = None
        for event in events:
            if as_of is not None and event.timestamp > as_of:
                break
            dossier = cast(Dossier, event.mutate(dossier))
            rows.append(describe_event(event, dossier))
        return rows

    def check_object_of(self, code: str, key: str) -> None:
        """Refuse unless ``key`` is an object a scan of the dossier ``code`` names."""
        if key not in self._keys_named_by(code):
            raise UnknownReference(N_("{code} has no object {key}"), code=code, key=key)

    def _keys_named_by(self, code: str) -> set[str]:
        keys: set[str] = set()
        for event in self.events.get(DossierCode.parse(code).dossier_id):
            if isinstance(event, Dossier.Digitised | Dossier.ComponentsReused):
                keys.update(event.object_keys)
        return keys

    def object_keys_named(self) -> set[str]:
        """Every object key that a Digitised event names: the evidence that must exist."""
        self.province()  # refuses clearly when the store was never initialised
        keys: set[str] = set()
        topics = [get_topic(Dossier.Digitised)]
        start, page = 1, 1000
        while notifications := self.recorder.select_notifications(start, page, topics=topics):
            for notification in notifications:
                event = cast(Dossier.Digitised, self.mapper.to_domain_event(notification))
                keys.update(event.object_keys)
            start = notifications[-1].id + 1
        return keys

    def known_dossier(self, code: str) -> bool:
        """True when ``code`` is well formed and names a received dossier."""
        try:
            dossier_id = DossierCode.parse(code).dossier_id
        except (BadInput, UnknownReference):
            return False
        return bool(self.recorder.select_events(dossier_id, limit=1))

    # -- search -------------------------------------------------------------------------------

    def search_index(self) -> SearchIndex:
        if self._search is None:
            if self._search_index_for is None:
                raise TypeError("this application was made without a search index")
            self._search = self._search_index_for(self.recorder)
        return self._search

    def search(self, query: str, office: str | None = None, limit: int = 20) -> list[Hit]:
        """Dossiers whose OCR text has every word of ``query``, accents and case ignored."""
        if office is not None:
            self.province().office(office)
        try:
            return search(self.search_index(), query, office, limit)
        except (PersistenceError, sqlite3.Error) as error:
            if "dossier_text" in str(error):  # a store set up before the search index existed
                raise NotInitialised(N_("the search index is not set up: run 'hoso init' (same "
                                     "province file) then 'hoso search --reindex'")) from None
            raise

    def reindex_search(self, index: SearchIndex | None = None, upto: int | None = None) -> int:
        """Rebuild the search index (``index``, else the store's own) from the OCR object of
        every Digitised event (up to log position ``upto`` when given); how many scans."""
        index = index or self.search_index()
        index.clear()
        indexed = 0
        topics = [get_topic(Dossier.Digitised)]
        start, page = 1, 1000
        while notifications := self.recorder.select_notifications(start, page, stop=upto,
                                                                  topics=topics):
            for notification in notifications:
                event = cast(Dossier.Digitised, self.mapper.to_domain_event(notification))
                if event.ocr_text_key:
                    code = self._dossier_code(event.originator_id)
                    text = ocr_text(self._confirm_stored(event.ocr_text_key))
                    index.add(ScanText(code, event.office, event.ocr_text_key, text))
                    indexed += 1
            start = notifications[-1].id + 1
        return indexed

    def _dossier_code(self, dossier_id: UUID) -> str:
        first = self.events.get(dossier_id, lte=1)
        return cast(Dossier.Received | Dossier.RefusedAtCounter, next(iter(first))).code

    # -- helpers ------------------------------------------------------------------------------

    def _dossier(self, code: str) -> Dossier:
        try:
            return cast(Dossier, self.repository.get(DossierCode.parse(code).dossier_id))
        except AggregateNotFoundError:
            raise UnknownReference(N_("unknown dossier {code}"), code=code) from None

    def _read_already(self, code: str) -> Dossier | None:
        """The dossier ``acting_on`` read for this command, taken once."""
        dossier = _read_ahead.get()
        if dossier is None or dossier.id != DossierCode.parse(code).dossier_id:
            return None
        _read_ahead.set(None)
        return dossier

    def _daily_sequence(self, office: str, day: date) -> DailySequence:
        try:
            return cast(DailySequence, self._sequence_reads.get(sequence_id(office, day)))
        except AggregateNotFoundError:
            return DailySequence.start(office, day)

    def _update(self, code: str, change: Callable[[Dossier, Province, datetime], None]
                ) -> dict[str, Any]:
        """Apply ``change`` to the dossier and save; re-run it on a fresh copy if another
        writer got there first, so the rules are always checked against the latest state."""
        province = self.province()
        for attempt in range(UPDATE_ATTEMPTS):
            dossier = self._read_already(code) if attempt == 0 else None
            if dossier is None:
                dossier = self._dossier(code)
            at = self.clock()
            change(dossier, province, at)
            try:
                self.save(dossier)
            except IntegrityError:
                continue
            return dossier_status(dossier, at)
        raise RuleViolation("concurrent-change", N_("{code} is being changed by others; try "
                                                    "again"),
                                                 code=code)

    # -- idempotency --------------------------------------------------------------------------

    def save(self, *objects: Any, **kwargs: Any) -> Any:
        """Save, recording the running command's idempotency key with its dossier's events.

        When the key was recorded meanwhile by another request, raises AlreadyDone instead of
        the store's IntegrityError, so the caller answers as the first request did."""
        claim = pending.get()
        dossier = next((o for o in objects if isinstance(o, Dossier)), None)
        if claim is None or dossier is None:
            return super().save(*objects, **kwargs)
        try:
            return super().save(*objects, claim.record(dossier.code, dossier.version), **kwargs)
        except IntegrityError:
            if self.idempotent_request(claim.key) is not None:
                raise AlreadyDone(claim) from None
            raise

    def idempotent_request(self, key: str) -> IdempotentRequest | None:
        try:
            return cast(IdempotentRequest, self.repository.get(request_id(key)))
        except AggregateNotFoundError:
            return None

    def status_at(self, code: str, version: int) -> dict[str, Any]:
        """The answer a command gave when it brought the dossier to ``version``."""
        dossier = cast(Dossier, self.repository.get(DossierCode.parse(code).dossier_id,
                                                    version=version))
        return dossier_status(dossier, dossier.modified_on)
