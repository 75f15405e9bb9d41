"""What an inspector reads: search, a dossier's verified timeline, the dossier as it stood at a
moment, its pages and the read log, each checked against the permission table and logged.

Every read goes through ``Acting`` (tracker.acting) for the dossier's visibility and the access
log, after the ``inspect`` rule of the permission table let the identity in at all. Search hits
carry OCR text, so each dossier listed is logged as read, as a register's rows are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker.acting import Acting
from tracker.bootstrap import Services
from tracker.domain.codes import DossierCode
from tracker.domain.errors import BadInput, HosoError, UnknownReference
from tracker.identity import access_log
from tracker.identity.permissions import allowed, offices_in
from tracker.search.index import Hit
from tracker.timeline import Timeline, timeline


@dataclass(frozen=True)
class Found:
    """What a search turned up: a dossier named by its code, and OCR hits in scope."""

    code: str | None
    hits: list[Hit]


@dataclass(frozen=True)
class Replay:
    """The dossier as it stood at ``as_of``: its status then and the steps up to then."""

    as_of: datetime
    status: dict[str, Any] | None  # None: it had not been received yet
    steps: list[dict[str, Any]]


class Inspecting:
    """``acting``'s identity reading as an inspector does."""

    def __init__(self, wired: Services, acting: Acting) -> None:
        self.wired = wired
        self.acting = acting
        allowed(acting.identity, "inspect")

    def search(self, query: str, limit: int = 20) -> Found:
        """A dossier whose code is ``query``, if it is visible; and dossiers whose scans hold
        every word of it (accents and case ignored) at offices in the identity's scope."""
        query = query.strip()
        code = self._code(query)
        province = self.acting.app.province()
        scope = offices_in(allowed(self.acting.identity, "inspect"), self.acting.identity,
                           province)
        hits = [] if code else [hit for hit in self.acting.app.search(query, None, limit * 4)
                                if scope is None or hit.office in scope][:limit]
        access_log.record_all(self.acting.app, self.acting.identity, "search",
                              self.acting.route, (hit.code for hit in hits))
        return Found(code, hits)

    def _code(self, query: str) -> str | None:
        try:
            code = str(DossierCode.parse(query))
        except (BadInput, UnknownReference):
            return None
        if not self.acting.app.known_dossier(code):
            return None
        try:
            self.acting.status(code)
        except HosoError:
            return None
        return code

    def timeline(self, code: str) -> tuple[dict[str, Any], Timeline]:
        """The dossier's status (a logged read) and its timeline, each step verified."""
        status = self.acting.status(code)
        return status, timeline(self.wired, code)

    def replay(self, code: str, as_of: datetime) -> Replay:
        """The dossier as it stood at ``as_of``, from the log's events up to then."""
        self.acting.status(code)  # visible now: the same rule as every read of it
        steps = self.acting.history(code, as_of)
        if not steps:
            return Replay(as_of, None, [])
        then = self.acting.app.status_at(code, steps[-1]["version"])
        return Replay(as_of, then, steps)

    def pages(self, code: str) -> list[dict[str, str]]:
        """The page images of the dossier's scans (object key, scan version, page number),
        for those who may download them; the listing itself names no content."""
        steps = self.acting.history(code)
        allowed(self.acting.identity, "download")
        return [{"key": item["key"], "version": str(step["version"]), "page": str(n)}
                for step in steps if step["type"] == "Digitised"
                for n, item in enumerate(step.get("objects") or [], start=1)]

    def log_export(self, code: str) -> None:
        """Record that the dossier's export (its records, with the applicant's data) is read."""
        access_log.record(self.acting.app, self.acting.identity, "export", self.acting.route,
                          code)

    def reads(self, dossier: str | None, staff: str | None) -> list[dict[str, Any]]:
        return self.acting.access_log(dossier or None, staff or None, limit=500)
