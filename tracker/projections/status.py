"""Reading the dossier status view: the same document ``hoso status`` always printed.

``overdue`` is the one live figure: it depends on today's date, so it is computed on reading
from the stored due date, never stored.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from tracker.domain.calendar import local_date
from tracker.domain.codes import DossierCode
from tracker.domain.custody import DECIDED_STAGES, TERMINAL_STAGES
from tracker.domain.errors import N_, UnknownReference
from tracker.projections.fold import Row
from tracker.projections.store import ViewStore


def is_open(row: Row) -> bool:
    return row["stage"] not in DECIDED_STAGES | TERMINAL_STAGES


def is_overdue(row: Row, today: date) -> bool:
    """Past its due date and not yet decided, as the aggregate says (Dossier.is_overdue)."""
    return is_open(row) and today > date.fromisoformat(row["due"])


def status_document(row: Row, now: datetime) -> dict[str, Any]:
    in_transit = row["transit_carrier"] is not None
    return {
        "code": row["code"],
        "procedure": row["procedure"],
        "stage": row["stage"],
        "custodian": row["custodian"],
        "office": row["office"],
        "in_transit": in_transit,
        "transit": {"carrier": row["transit_carrier"], "from_office": row["transit_from"],
                    "to_office": row["transit_to"], "since": row["transit_since"]}
        if in_transit else None,
        "due": row["due"],
        "clock_stopped": row["clock_stopped"],
        "timeliness": row["timeliness"],
        "overdue": is_overdue(row, local_date(now)),
        "receiving_office": row["receiving_office"],
        "resolving_office": row["resolving_office"],
        "channel": row["channel"] or "counter",
        "locality": row["locality"],
        "non_local": bool(row["non_local"]),
        "in_field": bool(row["in_field"]),
        "applicant_name": row["applicant_name"],
        "missing_components": json.loads(row["missing_components"]),
        "outcome_reason": row["outcome_reason"],
        "fee_paid": row["fee_paid"],
        "pages": row["pages"],
        "supplements_requested": row["supplements_requested"],
        "received_at": row["received_at"],
        "updated_at": row["updated_at"],
        "version": row["version"],
    }


def dossier_status(store: ViewStore, code: str, now: datetime) -> dict[str, Any]:
    """The status view of the dossier ``code``; UnknownReference when the view has none."""
    parsed = DossierCode.parse(code)
    rows = store.query("SELECT * FROM {dossiers} WHERE dossier_id = ?",
                       [str(parsed.dossier_id)])
    if not rows:
        raise UnknownReference(N_("unknown dossier {code}"), code=code)
    return status_document(rows[0], now)
