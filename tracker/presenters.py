"""Plain JSON-ready documents of a dossier's state and events, shared by the CLI and the API.

Times are ISO-8601 in UTC as stored; dates (due dates) are local Vietnamese calendar dates.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from tracker.domain.dossier import Dossier
from tracker.domain.province import Province

_BOOKKEEPING = {"originator_id", "originator_version", "originator_topic", "timestamp",
                "metadata"}


def dossier_status(dossier: Dossier, now: datetime) -> dict[str, Any]:
    """Where the dossier is, who holds it, and how it stands against its due date."""
    return {
        "code": dossier.code,
        "procedure": dossier.procedure,
        "stage": dossier.stage,
        "custodian": dossier.custodian,
        "office": dossier.office,
        "in_transit": dossier.transit is not None,
        "transit": asdict(dossier.transit) if dossier.transit else None,
        "due": dossier.due,
        "clock_stopped": dossier.clock_stopped,
        "timeliness": dossier.timeliness,
        "overdue": dossier.is_overdue(now),
        "receiving_office": dossier.receiving_office,
        "resolving_office": dossier.resolving_office,
        "channel": dossier.channel,
        "locality": dossier.locality,
        "non_local": dossier.non_local,
        "in_field": dossier.in_field,
        "applicant_name": dossier.applicant_name,
        "missing_components": dossier.missing_components,
        "outcome_reason": dossier.outcome_reason,
        "fee_paid": dossier.fee_paid,
        "pages": dossier.pages,
        "supplements_requested": dossier.supplements_requested,
        "received_at": dossier.created_on.isoformat(),
        "updated_at": dossier.modified_on.isoformat(),
        "version": dossier.version,
    }


def describe_event(event: Any, after: Dossier) -> dict[str, Any]:
    """One history row: the catalogue name, when, who, where, and the custodian after it."""
    details = {k: v for k, v in event.__dict__.items() if k not in _BOOKKEEPING}
    return {
        "type": type(event).__name__,
        "time": event.timestamp.isoformat(),
        "actor": details.pop("actor"),
        "office": details.pop("office"),
        "custodian": after.custodian,
        "in_transit": after.transit is not None,
        "version": event.originator_version,
        **details,
    }


def office_rows(province: Province) -> list[dict[str, Any]]:
    return [{"code": o.code, "name": o.name, "level": o.level, "parent": o.parent,
             "kind": o.kind} for o in province.offices.values()]


def staff_rows(province: Province) -> list[dict[str, Any]]:
    return [{"id": s.id, "name": s.name, "role": s.role, "office": s.office}
            for s in province.staff.values()]


def procedure_rows(province: Province) -> list[dict[str, Any]]:
    return [{"code": p.code, "name": p.name, "field": p.field,
             "resolving_office": p.resolving_office, "days": p.days, "fee": p.fee,
             "components": [{"code": c.code, "name": c.name, "required": c.required}
                            for c in p.components]}
            for p in province.procedures.values()]
