"""A signed-in identity acting on the tracker: every command and read checked against the
permission table (tracker.identity.permissions), and every read of personal data logged.

Pages and the API go through ``Acting``; nothing they serve reaches the application another
way. The CLI on the server calls the application directly: whoever runs it already holds the
database and the keys (README: "Who is acting").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from tracker import bags
from tracker.application import CustodyApplication
from tracker.commands.bags import AcceptBag, BagCommand, CreateBag, FillBag, HandOverBag
from tracker.commands.dossiers import Command, DossierCommand
from tracker.domain.errors import N_, Forbidden
from tracker.handling import execute
from tracker.idempotency import fingerprint
from tracker.identity import access_log
from tracker.identity.permissions import (
    PERSONAL_FIELDS,
    PROVINCE,
    SUBTREE,
    allowed,
    held_at,
    offices_in,
    require,
    sees_personal,
    visible_at,
    without_personal,
)
from tracker.identity.permissions import subtree as subtree_of
from tracker.identity.principal import Identity
from tracker.projections.views import Views
from tracker.slips.documents import Slip, slip_of
from tracker.slips.register import Register, build_register


class Acting:
    """``identity`` acting through ``route`` (named in the access log, e.g. ``GET /api/v1/…``).

    Role and credential are checked before a dossier is looked up, so a caller who may never do
    an action learns nothing of the dossier it names, not even whether it exists."""

    def __init__(self, app: CustodyApplication, views: Views, identity: Identity,
                 route: str) -> None:
        self.app = app
        self.views = views
        self.identity = identity
        self.route = route

    # -- commands ---------------------------------------------------------------------------

    def execute(self, command: Command, key: str | None = None) -> dict[str, Any]:
        """Carry out ``command`` if the identity may, where the dossier is."""
        if getattr(command, command.actor_field) != self.identity.staff:
            raise Forbidden(N_("{staff} may act only in their own name"),
                            staff=self.identity.staff)
        allowed(self.identity, command.action)  # before the dossier is looked up
        province = self.app.province()
        with self._acted_at(command, key) as where:
            require(self.identity, command.action, province, where)
            answer = execute(self.app, command, key)
        return answer if sees_personal(self.identity) else without_personal(answer)

    def bag_command(self, command: BagCommand, key: str | None = None) -> dict[str, Any]:
        """Carry out a command on a bag if the identity may, where the bag is: its office
        while open, its destination to accept it; with ``key``, at most once for that key."""
        if command.by != self.identity.staff:
            raise Forbidden(N_("{staff} may act only in their own name"),
                            staff=self.identity.staff)
        allowed(self.identity, command.action)  # before the bag is looked up
        if isinstance(command, CreateBag):
            where = (self.identity.office,)
        elif isinstance(command, FillBag | HandOverBag | AcceptBag):
            found = bags.find_bag(self.app, command.bag)
            where = (found.to_office,) if isinstance(command, AcceptBag) else (found.office,)
        require(self.identity, command.action, self.app.province(), where)
        return bags.carry_out(self.app, command, key)

    # -- reads ------------------------------------------------------------------------------

    def bag(self, code: str) -> dict[str, Any]:
        """A bag (codes, page counts, offices), for readers at its offices and its courier."""
        allowed(self.identity, "bag")
        document = bags.bag(self.app, code)
        if self.identity.staff != document["courier"]:
            require(self.identity, "bag", self.app.province(),
                    (document["office"], document["to_office"]))
        return document

    def status(self, code: str) -> dict[str, Any]:
        allowed(self.identity, "status")
        status = self.views.status(code)
        return self._personal(status, "status", code)

    def history(self, code: str, as_of: datetime | None = None) -> list[dict[str, Any]]:
        self._visible("history", code)
        rows = self.app.history(code, as_of)
        if not sees_personal(self.identity):
            return [without_personal(row) for row in rows]
        self._log("history", code)
        return rows

    def may_download(self, code: str, key: str) -> None:
        """Refuse unless ``key`` is one of the dossier's objects and the identity may see it;
        the read is logged before the caller sends a byte."""
        self._visible("download", code)
        self.app.check_object_of(code, key)
        self._log("object", code, key)

    def queue(self, who: str) -> dict[str, Any]:
        self._may_read_queue(who)
        return self.views.queue(who)

    def queue_page(self, who: str, page: int, per_page: int) -> dict[str, Any]:
        """The counts of ``who``'s queue and one page of each list (Views.queue_page)."""
        self._may_read_queue(who)
        return self.views.queue_page(who, page, per_page)

    def _may_read_queue(self, who: str) -> None:
        province = self.app.province()
        if who != self.identity.staff:
            office = province.staff[who].office if who in province.staff else who
            require(self.identity, "queue", province, (office,))
        else:
            allowed(self.identity, "queue")

    def report(self, start: date, end: date, office: str | None, by: str, *,
               subtree: bool = False, level: str | None = None,
               field: str | None = None, days: bool = False) -> dict[str, Any]:
        """The report over the identity's offices: their own office (a supervisor's with its
        subtree) unless they name another within their scope; province-wide only for those
        whose scope is the province."""
        scope = allowed(self.identity, "report")
        province = self.app.province()
        if office is None and scope is not PROVINCE:
            office, subtree = self.identity.office, subtree or scope is SUBTREE
        if office is not None:
            require(self.identity, "report", province, (office,))
            mine = offices_in(scope, self.identity, province)
            if subtree and mine is not None and not subtree_of(province, office) <= mine:
                raise Forbidden(N_("{action} here is outside the offices of {staff}"),
                                action="report", staff=self.identity.staff)
        return self.views.report(start, end, office, by, subtree=subtree, level=level,
                                 field=field, days=days)

    def earlier_papers(self, applicant_id: str, procedure: str) -> list[dict[str, Any]]:
        """The applicant's earlier digitised papers of the kinds ``procedure`` needs, for those
        who may reuse them at their counter: each paper's kind, day, office and source dossier,
        never its pages. Each source dossier named is logged as read."""
        allowed(self.identity, "reuse")
        kinds = [c.code for c in self.app.province().procedure(procedure).components]
        found = self.views.earlier_papers(applicant_id, kinds)
        access_log.record_all(self.app, self.identity, "papers", self.route,
                              dict.fromkeys(item["source"] for item in found))
        return found

    def slip(self, code: str, kind: str) -> Slip:
        """The dossier's ``kind`` slip (receipt, supplement, refusal, apology) for a reader
        who may see its applicant; the read is logged as an export once the slip can be made,
        before the caller sends a byte."""
        self._visible("slip", code)
        slip = slip_of(kind, self.app.history(code), self.app.province())
        self._log("export", code)
        return slip

    def register(self, office: str, start: date, end: date) -> Register:
        """``office``'s dossier register for the period, within the identity's offices; each
        dossier it lists is logged as exported."""
        allowed(self.identity, "register")
        require(self.identity, "register", self.app.province(), (office,))
        register = build_register(self.app, office, start, end)
        access_log.record_all(self.app, self.identity, "export", self.route,
                              (row.code for row in register.rows))
        return register

    def may_record_scan(self, code: str) -> None:
        """Refuse, before any page is stored, a scan the identity may not record for ``code``."""
        allowed(self.identity, "digitised")
        require(self.identity, "digitised", self.app.province(),
                held_at(self.app.status(code)))

    def station(self) -> None:
        """Refuse unless the identity is a scanning station's."""
        allowed(self.identity, "station")

    def administer(self) -> None:
        """Refuse unless the identity may manage accounts and tokens."""
        allowed(self.identity, "accounts")

    def reference(self) -> None:
        allowed(self.identity, "reference")

    def access_log(self, dossier: str | None = None, staff: str | None = None,
                   limit: int = 1000) -> list[dict[str, Any]]:
        allowed(self.identity, "access-log")
        return access_log.entries(self.app, dossier, staff, limit)

    # -- helpers ----------------------------------------------------------------------------

    @contextmanager
    def _acted_at(self, command: Command, key: str | None) -> Iterator[tuple[str | None, ...]]:
        """The offices where ``command`` acts: where its dossier is held now or, when ``key``
        names this very request carried out already, where it was just before (a repeat
        answers as the first did, though the first may have moved the dossier out of the
        identity's offices); a command on no dossier acts at the office it names."""
        if not isinstance(command, DossierCommand):
            yield (getattr(command, "office", None),)
            return
        earlier = self.app.idempotent_request(key) if key is not None else None
        if earlier is None or earlier.code != command.code or earlier.fingerprint != fingerprint(
                command.action, command.model_dump(mode="json")):
            with self.app.acting_on(command.code) as status:
                yield held_at(status)
            return
        yield held_at(self.app.status_at(command.code, earlier.version - 1))

    def _visible(self, action: str, code: str) -> dict[str, Any]:
        allowed(self.identity, action)
        status = self.views.status(code)
        self._may_see(action, status)
        return status

    def _may_see(self, action: str, status: dict[str, Any]) -> None:
        """Refuse unless the dossier is visible at one of the identity's offices, or the
        identity holds or carries it (a courier between two other offices)."""
        carrier = (status.get("transit") or {}).get("carrier")
        if self.identity.staff in (status["custodian"], carrier):
            allowed(self.identity, action)
        else:
            require(self.identity, action, self.app.province(), visible_at(status))

    def _personal(self, document: dict[str, Any], what: str, code: str) -> dict[str, Any]:
        self._may_see(what, document)
        if not sees_personal(self.identity):
            return without_personal(document)
        if PERSONAL_FIELDS.intersection(document):
            self._log(what, code)
        return document

    def _log(self, what: str, code: str, key: str | None = None) -> None:
        access_log.record(self.app, self.identity, what, self.route, code, key)

