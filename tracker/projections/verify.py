"""Verifying the views against the log: rebuild them in a scratch store and compare.

The live views can be wrong in ways no event explains (a row edited in the database, a write
lost, a fold since fixed), and people act on what they show. ``verify`` catches the live views up
and takes their tracking position P; folds the log up to exactly P into the empty tables of a
scratch store (tracker.projections.rebuild, and the search index as ``reindex_search`` builds
it); and compares the two (tracker.projections.compare): status and queues (the dossier rows
they share), the attention marks, the report's figures and the OCR search index. Tracking
positions are bookkeeping and are not compared. The access log has no view: it is read from the
log itself, so there is nothing to verify.

The live views keep moving while this runs (a ``hoso serve`` follower, Kafka consumers, new
scans), so a dossier with events stored after P is left out on both sides and counted; every
other dossier is compared as of P. A scan's text is indexed just after its event is stored, so
a search row missing from the live index is looked for once more after a moment before it is
called missing. A ``hoso project rebuild`` running meanwhile empties the live views: verify
then reports their rows as missing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tracker.projections.attention import readable_fact
from tracker.projections.compare import Difference, Row, differences, twice
from tracker.projections.rebuild import rebuild
from tracker.projections.store import VIEW_NAMES, ScratchFactory, ViewStore
from tracker.projections.views import Views, open_views
from tracker.search.index import SearchIndex

log = logging.getLogger(__name__)

VERIFIED = ("status", "attention", "report", "search")
NOT_VIEWS = {
    "queues": "read from the status rows: verified with them",
    "access-log": "read straight from the event log: it has no view to verify",
}
RECHECK_AFTER = 1.0
"""Seconds before a search row missing from the live index is looked for again."""


@dataclass
class _Side:
    """One side's view contents, keyed as the tables are."""

    status: dict[str, Row] = field(default_factory=dict)
    attention: dict[str, Row] = field(default_factory=dict)
    report: dict[tuple[Any, Any], Row] = field(default_factory=dict)
    search: dict[tuple[str, str], Row] = field(default_factory=dict)
    search_twice: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def read(cls, store: ViewStore, index: SearchIndex) -> _Side:
        side = cls({r["dossier_id"]: r for r in store.dossier_rows()},
                   {r["dossier_id"]: r for r in store.query("SELECT * FROM {attention}")},
                   {(r["dossier_id"], r["version"]): r for r in store.figure_rows()})
        side.add_scans(index.rows())
        return side

    def add_scans(self, scans: Iterable[Any]) -> None:
        for scan in scans:
            key = (scan.code, scan.scan)
            if key in self.search:
                self.search_twice.append(key)
            self.search[key] = scan._asdict()

    def leave_out(self, dossier_ids: set[str], codes: set[str]) -> None:
        """Forget the dossiers that moved on past the position being compared."""
        for table in (self.status, self.attention):
            for key in dossier_ids & table.keys():
                del table[key]
        self.report = {k: r for k, r in self.report.items() if k[0] not in dossier_ids}
        self.search = {k: r for k, r in self.search.items() if k[0] not in codes}
        self.search_twice = [k for k in self.search_twice if k[0] not in codes]


@dataclass(frozen=True)
class Verdict:
    """What one verification found, as of log position ``position``."""

    position: int
    finished: datetime
    seconds: float
    caught_up: int
    """Events the live views had not applied yet, applied before comparing."""
    compared: dict[str, int]
    """Rows compared per view (those on either side)."""
    found: dict[str, int]
    """Differences per view."""
    moved_on: int
    """Dossiers left out: they have events stored after ``position``."""
    differences: tuple[Difference, ...]
    """The first ones, up to the limit asked for."""

    @property
    def total(self) -> int:
        return sum(self.found.values())

    @property
    def identical(self) -> bool:
        return self.total == 0

    def document(self) -> dict[str, Any]:
        views: list[dict[str, Any]] = [
            {"view": v, "compared": self.compared[v], "differences": self.found[v]}
            for v in VERIFIED]
        views += [{"view": v, "compared": None, "differences": None, "note": note}
                  for v, note in NOT_VIEWS.items()]
        return {"identical": self.identical, "position": self.position,
                "finished": self.finished.isoformat(), "seconds": round(self.seconds, 3),
                "caught_up": self.caught_up, "moved_on": self.moved_on, "views": views,
                "differences_total": self.total,
                "differences": [d.document() for d in self.differences]}


def verify(views: Views, scratch: ScratchFactory, limit: int = 50,
           batch_size: int = 20_000) -> Verdict:
    """Compare the live views with a rebuild from the log in ``scratch``, as of the live
    views' position once caught up; the first ``limit`` differences are kept, all counted."""
    started = time.monotonic()
    views.ready()
    caught_up = views.catch_up()
    position = views.projector.position()
    app = views.app
    live = _Side.read(views.store, app.search_index())
    moved_ids, moved_codes = _moved_on(views, position)
    with scratch() as fresh:
        rebuild(open_views(app, fresh.views, follow=False), VIEW_NAMES, batch_size,
                upto=position)
        app.reindex_search(fresh.search, upto=position)
        rebuilt = _Side.read(fresh.views, fresh.search)
    for side in (live, rebuilt):
        side.leave_out(moved_ids, moved_codes)
    missing = rebuilt.search.keys() - live.search.keys()
    if missing:  # perhaps indexed a moment after its event: look once more
        time.sleep(RECHECK_AFTER)
        live.add_scans(s for s in app.search_index().rows(sorted({k[0] for k in missing}))
                       if (s.code, s.scan) in missing)
    kept: list[Difference] = []
    found = dict.fromkeys(VERIFIED, 0)
    for difference in _all(live, rebuilt):
        found[difference.view] += 1
        if len(kept) < limit:
            kept.append(difference)
    compared = {v: len(getattr(live, v).keys() | getattr(rebuilt, v).keys()) for v in VERIFIED}
    return Verdict(position, datetime.now(UTC), time.monotonic() - started, caught_up,
                   compared, found, len(moved_ids), tuple(kept))


def _all(live: _Side, rebuilt: _Side) -> Iterable[Difference]:
    codes = {k: r.get("code") for k, r in live.status.items()}
    codes.update((k, r["code"]) for k, r in rebuilt.status.items())

    def dossier(key: Any) -> str:
        code = codes.get(key) or key
        return code if isinstance(code, str) else repr(code)

    def figure(key: tuple[Any, Any]) -> str:
        return f"{dossier(key[0])} v{key[1]}"

    def scan(key: tuple[Any, Any]) -> str:
        return f"{key[0]} scan {key[1]}"

    yield from differences("status", live.status, rebuilt.status, dossier)
    yield from differences("attention", live.attention, rebuilt.attention, dossier)
    yield from differences("report", live.report, rebuilt.report, figure)
    yield from differences("search", live.search, rebuilt.search, scan)
    yield from twice("search", list(live.search_twice), scan)


def _moved_on(views: Views, position: int) -> tuple[set[str], set[str]]:
    """The ids and codes of the dossiers with events stored after ``position``."""
    ids: set[str] = set()
    codes: set[str] = set()
    start = position
    while notifications := views.app.recorder.select_notifications(
            start, 1000, inclusive_of_start=False):
        for notification in notifications:
            fact = readable_fact(views.facts, notification, notification.id)
            if fact is not None:
                ids.add(str(fact.dossier_id))
                codes.add(fact.code)
        start = notifications[-1].id
    return ids, codes


class ViewVerifier:
    """Verifies one process's views on demand, or every ``every`` seconds in a thread of
    ``hoso serve``; keeps the last verdict (or the last failure) for /readyz."""

    def __init__(self, views: Views, scratch: ScratchFactory, every: float = 0) -> None:
        self.views = views
        self.scratch = scratch
        self.every = every
        self.last: Verdict | None = None
        self.failed: tuple[datetime, str] | None = None
        """When the last run that could not finish stopped, and its error's class."""
        self._lock = threading.Lock()

    def verify(self, limit: int = 50, batch_size: int = 20_000) -> Verdict:
        with self._lock:
            try:
                verdict = verify(self.views, self.scratch, limit, batch_size)
            except Exception as error:
                self.failed = (datetime.now(UTC), type(error).__name__)
                raise
            self.last, self.failed = verdict, None
            return verdict

    def summary(self) -> dict[str, Any]:
        """For /readyz: the schedule, when the last run finished, at which position, and how
        many differences it found in which views (no row is named)."""
        last = self.last
        return {"every_seconds": self.every,
                "last_run": last.finished.isoformat() if last else None,
                "position": last.position if last else None,
                "differences": last.total if last else None,
                "views_differing": [v for v, n in last.found.items() if n] if last else [],
                "failed": ({"at": self.failed[0].isoformat(), "error": self.failed[1]}
                           if self.failed else None)}

    def problems(self) -> list[str]:
        """What /readyz must refuse readiness for: the last run found differences."""
        last = self.last
        if last is None or last.identical:
            return []
        differing = ", ".join(v for v, n in last.found.items() if n)
        return [f"the views differ from a rebuild of the log at position {last.position} in "
                f"{last.total} place(s) ({differing}), found at {last.finished.isoformat()}: "
                "'hoso project verify' names them, 'hoso project rebuild' restores the views"]

    def run(self, stop: threading.Event) -> None:
        """Verify now and then every ``every`` seconds until ``stop``; differences and
        failures are logged (naming no personal data)."""
        while not stop.is_set():
            try:
                verdict = self.verify()
            except Exception as error:  # e.g. the database restarting: try again next time
                log.error("view verification failed (%s)", type(error).__name__,
                          exc_info=error)
            else:
                _log(verdict)
            stop.wait(self.every)

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name="view-verifier",
                                  daemon=True)
        thread.start()
        return thread


def _log(verdict: Verdict) -> None:
    if verdict.identical:
        log.info("views verified at position %d in %.1f s: identical to a rebuild",
                 verdict.position, verdict.seconds)
        return
    log.warning("views verified at position %d: %d difference(s) from a rebuild; "
                "'hoso project verify' names them, 'hoso project rebuild' restores the views",
                verdict.position, verdict.total)
    for difference in verdict.differences:
        log.warning("view difference: %s", difference.line())

