"""Bags of dossiers on the custody application: make, fill, hand over and accept in one step.

Each step reads the bag and its dossiers, lets the Bag and Dossier aggregates apply their rules,
and saves the bag's event with every dossier's own event in one transaction: a bag handed over
gives each dossier a ``HandedOver`` naming the bag (its ``manifest``), a bag accepted gives each
dossier that arrived an ``Accepted`` naming it; all or nothing. When another writer changed a
dossier meanwhile, the step runs again on fresh copies.

A scan sent late (a device queued it while offline) names the device's time of the scan: the
bag's event and each dossier's ``Accepted`` keep it apart from their record time. A step sent
with an idempotency key is recorded with the bag's event, so the same step sent again (a queue
replayed after a lost answer) records nothing and answers as the first did.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from tracker.application import UPDATE_ATTEMPTS, CustodyApplication
from tracker.commands.bags import AcceptBag, BagCommand, CreateBag, FillBag, HandOverBag
from tracker.domain import custody
from tracker.domain.bag import Bag, bag_id, new_bag_code, parse_bag_code
from tracker.domain.codes import DossierCode
from tracker.domain.device_clock import scanned
from tracker.domain.dossier import Dossier
from tracker.domain.errors import N_, RuleViolation, UnknownReference
from tracker.domain.province import Province, Staff
from tracker.idempotency import AlreadyDone, Claim, at_most_once, fingerprint

Change = Callable[[Bag, Province, datetime], list[Dossier]]


def bag_document(bag: Bag) -> dict[str, Any]:
    """What the CLI, the API and the pages show of a bag: nothing about any applicant."""
    return {
        "bag": bag.code, "office": bag.office, "to_office": bag.to_office,
        "state": bag.state, "created_by": bag.created_by,
        "created_at": bag.created_on.isoformat(), "courier": bag.courier,
        "dossiers": [dict(item) for item in bag.dossiers],
        "accepted": list(bag.accepted), "missing": list(bag.missing),
        "steps": [dict(step) for step in bag.steps],
        "version": bag.version,
    }


def find_bag(app: CustodyApplication, code: str) -> Bag:
    try:
        return cast(Bag, app.repository.get(bag_id(code)))
    except AggregateNotFoundError:
        raise UnknownReference(N_("unknown bag {value}"), value=parse_bag_code(code)) from None


def bag(app: CustodyApplication, code: str) -> dict[str, Any]:
    app.province()  # refuses clearly when the store was never initialised
    return bag_document(find_bag(app, code))


def _dossier(app: CustodyApplication, code: str) -> Dossier:
    try:
        return cast(Dossier, app.repository.get(DossierCode.parse(code).dossier_id))
    except AggregateNotFoundError:
        raise UnknownReference(N_("unknown dossier {code}"), code=code) from None


def _loadable(app: CustodyApplication, actor: Staff, codes: Sequence[str]
              ) -> list[tuple[str, int | None]]:
    """Each code with the page count of its last scan, refused unless the dossier is held at
    the actor's office, open and not in transit."""
    found: list[tuple[str, int | None]] = []
    for code in codes:
        dossier = _dossier(app, code)
        custody.not_terminal(dossier)
        custody.not_in_transit(dossier)
        if dossier.office != actor.office:
            raise RuleViolation("bag-at-origin", N_("{code} is held at {office}, not at "
                                                    "{office2} where the bag is made"),
                                                 code=dossier.code, office=dossier.office,
                                                 office2=actor.office)
        found.append((dossier.code, dossier.pages or None))
    return found


def create(app: CustodyApplication, by: str, to_office: str, codes: Sequence[str] = (),
           device: str | None = None, code: str | None = None, claim: Claim | None = None
           ) -> dict[str, Any]:
    """A new bag at ``by``'s office bound for ``to_office``, filled with ``codes``. ``code``
    names the bag (a form's key): when that bag exists already, made by ``by``, it is
    answered again and nothing is recorded."""
    province = app.province()
    actor = province.person(by)
    if code is not None:
        try:
            existing = find_bag(app, code)
        except UnknownReference:
            pass
        else:
            if existing.created_by != by:
                raise RuleViolation("bag-code-unique", N_("{code} is another's bag"),
                                                       code=existing.code)
            return bag_document(existing)
    at = app.clock()
    new = Bag.create(code or new_bag_code(), actor, province.office(to_office), at, device)
    if codes:
        new.fill(actor, _loadable(app, actor, codes), at, device)
    _save(app, new, [], claim)
    return bag_document(new)


def fill(app: CustodyApplication, code: str, by: str, dossiers: Sequence[str],
         device: str | None = None, device_time: datetime | None = None,
         claim: Claim | None = None) -> dict[str, Any]:
    """Put ``dossiers`` in the open bag ``code``; ``device_time``: when the device scanned
    them, when it sent the scan later."""
    def put(the_bag: Bag, province: Province, at: datetime) -> list[Dossier]:
        stamp = scanned(device_time, at)
        actor = province.person(by)
        the_bag.fill(actor, _loadable(app, actor, dossiers), at, device, stamp)
        return []

    return _update(app, code, put, claim)


def hand_over(app: CustodyApplication, code: str, by: str, courier: str,
              pages: Mapping[str, int] | None = None, device: str | None = None,
              claim: Claim | None = None) -> dict[str, Any]:
    """Give the bag to ``courier``: each dossier released by ``by`` (its custodian, or a
    supervisor) bound for the bag's destination, its ``pages`` counted where given."""
    counted = dict(pages or {})

    def release(the_bag: Bag, province: Province, at: datetime) -> list[Dossier]:
        actor = province.person(by)
        carrier = province.person_in_role(courier, "courier")
        _counted_listed(the_bag, counted)
        to_office = province.office(the_bag.to_office)
        the_bag.hand_over(actor, carrier, at, device)
        dossiers = [_dossier(app, c) for c in the_bag.codes]
        for dossier in dossiers:
            dossier.hand_over(actor, carrier, to_office, at, manifest=the_bag.code,
                              device=device, pages_counted=counted.get(dossier.code))
        return dossiers

    return _update(app, code, release, claim)


def accept(app: CustodyApplication, code: str, by: str, office: str,
           missing: Sequence[str] = (), pages: Mapping[str, int] | None = None,
           device: str | None = None, device_time: datetime | None = None,
           claim: Claim | None = None) -> dict[str, Any]:
    """Accept the bag at ``office`` in one scan: each listed dossier but the ``missing`` ones
    accepted naming the bag; a page count given for a dossier must match its last scan.
    ``device_time``: when the device scanned the bag, when it sent the scan later."""
    counted = dict(pages or {})

    def take(the_bag: Bag, province: Province, at: datetime) -> list[Dossier]:
        stamp = scanned(device_time, at)
        actor = province.person(by)
        province.office(office)
        if actor.office != office:
            raise RuleViolation("accept-at-destination",
                                N_("{by} works at {office}, not at {office2}"),
                                by=by, office=actor.office, office2=office)
        _counted_listed(the_bag, counted)
        missing_set = set(missing)
        for dossier_code, number in counted.items():
            recorded = the_bag.pages_of(dossier_code)
            if dossier_code not in missing_set and recorded and number != recorded:
                raise RuleViolation(
                    "page-count",
                    N_("{code} was digitised with {recorded} pages; {number} counted"),
                    code=dossier_code, recorded=recorded, number=number)
        accepted = the_bag.accept(actor, list(missing), at, device, stamp)
        dossiers = [_dossier(app, c) for c in accepted]
        for dossier in dossiers:
            dossier.accept(actor, at, device, bag=the_bag.code, scanned=stamp)
        return dossiers

    return _update(app, code, take, claim)


def _counted_listed(the_bag: Bag, counted: Mapping[str, int]) -> None:
    unlisted = sorted(set(counted) - set(the_bag.codes))
    if unlisted:
        raise RuleViolation("missing-listed", N_("{items} not listed in {code}"),
                                              items=', '.join(unlisted), code=the_bag.code)


def _update(app: CustodyApplication, code: str, change: Change, claim: Claim | None = None
            ) -> dict[str, Any]:
    province = app.province()
    for _ in range(UPDATE_ATTEMPTS):
        the_bag = find_bag(app, code)
        at = app.clock()
        dossiers = change(the_bag, province, at)
        try:
            _save(app, the_bag, dossiers, claim)
        except IntegrityError:
            continue
        return bag_document(the_bag)
    raise RuleViolation("concurrent-change", N_("{code} is being changed by others; try "
                                                "again"),
                                             code=code)


def _save(app: CustodyApplication, the_bag: Bag, dossiers: Sequence[Dossier],
          claim: Claim | None) -> None:
    """Save the bag with its dossiers, and the claim naming the bag's new version; raises
    AlreadyDone when another request with the claim's key committed first."""
    records = [claim.record(the_bag.code, the_bag.version)] if claim is not None else []
    try:
        app.save(the_bag, *dossiers, *records)
    except IntegrityError:
        if claim is not None and app.idempotent_request(claim.key) is not None:
            raise AlreadyDone(claim) from None
        raise


def carry_out(app: CustodyApplication, command: BagCommand, key: str | None = None
              ) -> dict[str, Any]:
    """The step that carries out ``command``; with ``key`` (an idempotency key) at most once:
    the same step sent again with the key answers with the bag as the first one left it."""
    if key is None:
        return _step(app, command, None)
    claim = Claim(key, fingerprint(command.action, command.model_dump(mode="json")),
                  command.action)
    return at_most_once(
        app, claim, UPDATE_ATTEMPTS, lambda: _step(app, command, claim),
        lambda earlier: bag_document(cast(Bag, app.repository.get(bag_id(earlier.code),
                                                                  version=earlier.version))))


def _step(app: CustodyApplication, command: BagCommand, claim: Claim | None
          ) -> dict[str, Any]:
    device = command.device
    match command:
        case CreateBag():
            return create(app, command.by, command.to_office, command.codes, device,
                          command.bag, claim)
        case FillBag():
            return fill(app, command.bag, command.by, command.codes, device,
                        command.device_time, claim)
        case HandOverBag():
            return hand_over(app, command.bag, command.by, command.courier, command.pages,
                             device, claim)
        case AcceptBag():
            return accept(app, command.bag, command.by, command.office, command.missing,
                          command.pages, device, command.device_time, claim)
    raise TypeError(f"no handler for {type(command).__name__}")
