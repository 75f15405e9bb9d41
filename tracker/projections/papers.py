"""The index of digitised papers: an applicant's earlier dossiers' components, by applicant.

Read from the dossiers view, whose ``applicant_ref`` column (the applicant's keyed reference,
never their ID number: tracker.domain.reuse.applicant_ref) is indexed and whose ``papers``
column holds each dossier's digitised components (tracker.projections.fold): the view is fed by
``Received`` and ``Digitised`` like the rest, so a rebuild from the log makes it again. The
answer names each component's kind, day and office and the dossier it was scanned for, never
its pages: those are read from the log only when the citizen confirms a reuse.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from tracker.projections.store import ViewStore


def earlier_papers(store: ViewStore, applicant: str, components: Iterable[str]
                   ) -> list[dict[str, Any]]:
    """For each of ``components`` (in that order) that an earlier dossier of the applicant
    with reference ``applicant`` has digitised: ``component``, ``source`` (the dossier whose
    scan maps it, the latest scan when several do), ``day`` (local ISO date) and ``office``
    (where it was scanned)."""
    wanted = list(dict.fromkeys(components))
    if not applicant or not wanted:
        return []
    latest: dict[str, dict[str, Any]] = {}
    rows = store.query("SELECT code, papers FROM {dossiers} WHERE applicant_ref = ? "
                       "AND papers <> '{{}}'", [applicant])
    for row in rows:
        for kind, found in json.loads(row["papers"] or "{}").items():
            if kind not in wanted:
                continue
            entry = {"component": kind, "source": row["code"], "day": found["day"],
                     "office": found["office"]}
            known = latest.get(kind)
            if known is None or (entry["day"], entry["source"]) > (known["day"],
                                                                   known["source"]):
                latest[kind] = entry
    return [latest[kind] for kind in wanted if kind in latest]
