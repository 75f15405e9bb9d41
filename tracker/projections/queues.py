"""Office and courier queues: a reading of the dossier view by who holds what, and what is late.

For an office: the open dossiers it holds, those on their way to it, those it sent that nobody
has accepted yet, and, among them, what is due today, overdue, or in transit longer than the
destination office's ``transit_hours``. For a person (a courier above all): what they hold,
including what they carry, with the same flags. A release that nobody accepts stays in the
sender's and the carrier's queue, flagged, until someone accepts it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from tracker.domain.calendar import local_date
from tracker.domain.errors import UnknownReference
from tracker.domain.province import Province
from tracker.projections.fold import Row
from tracker.projections.status import is_open, is_overdue
from tracker.projections.store import ViewStore

DEFAULT_TRANSIT_HOURS = 24
OPEN_ROWS = "stage NOT IN ('returned', 'cancelled')"


def queue(store: ViewStore, province: Province, who: str, now: datetime) -> dict[str, Any]:
    """The queue of office code or staff id ``who``; UnknownReference when it is neither."""
    if who in province.offices:
        office = province.offices[who]
        holder = {"kind": "office", "id": office.code, "name": office.name,
                  "office": office.code}
        rows = store.query(
            f"SELECT * FROM {{dossiers}} WHERE {OPEN_ROWS} AND "
            "(office = ? OR transit_to = ? OR transit_from = ?) ORDER BY code", [who] * 3)
        holds = [r for r in rows if r["office"] == who]
        incoming = [r for r in rows if r["transit_to"] == who]
        sent = [r for r in rows if r["transit_from"] == who and r["transit_to"] != who]
    elif who in province.staff:
        person = province.staff[who]
        holder = {"kind": "staff", "id": person.id, "name": person.name,
                  "office": person.office, "role": person.role}
        holds = store.query(f"SELECT * FROM {{dossiers}} WHERE {OPEN_ROWS} AND custodian = ? "
                            "ORDER BY code", [who])
        incoming, sent = [], []
    else:
        raise UnknownReference(f"{who!r} is neither an office code nor a staff id")
    today = local_date(now)
    items = {
        "holds": [_item(r, province, now, today) for r in holds],
        "incoming": [_item(r, province, now, today) for r in incoming],
        "sent": [_item(r, province, now, today) for r in sent],
    }
    held_open = [i for i in items["holds"] if i["open"] and not i["in_transit"]]
    moving = [i for group in items.values() for i in group if i["late_in_transit"]]
    return {
        "holder": holder,
        "as_of": now.isoformat(),
        **items,
        "due_today": [i["code"] for i in held_open if i["due"] == today.isoformat()],
        "overdue": [i["code"] for i in held_open if i["overdue"]],
        "late_in_transit": sorted({i["code"] for i in moving}),
    }


def transit_limit(province: Province, office: str | None) -> timedelta:
    known = province.offices.get(office or "")
    return timedelta(hours=known.transit_hours if known else DEFAULT_TRANSIT_HOURS)


def _item(row: Row, province: Province, now: datetime, today: date) -> dict[str, Any]:
    in_transit = row["transit_carrier"] is not None
    since = datetime.fromisoformat(row["transit_since"]) if in_transit else None
    return {
        "code": row["code"],
        "procedure": row["procedure"],
        "stage": row["stage"],
        "open": is_open(row),
        "custodian": row["custodian"],
        "office": row["office"],
        "due": row["due"],
        "overdue": is_overdue(row, today),
        "clock_stopped": row["clock_stopped"],
        "in_transit": in_transit,
        "from_office": row["transit_from"],
        "to_office": row["transit_to"],
        "in_transit_since": row["transit_since"],
        "late_in_transit": since is not None
        and now - since > transit_limit(province, row["transit_to"]),
    }
