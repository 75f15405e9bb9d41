"""Office and courier queues: a reading of the dossier view by who holds what, and what is late.

For an office: the open dossiers it holds, those on their way to it, those it sent that nobody
has accepted yet, and, among them, what is due today, overdue, or in transit longer than the
destination office's ``transit_hours``. For a person (a courier above all): what they hold,
including what they carry, with the same flags. A release that nobody accepts stays in the
sender's and the carrier's queue, flagged, until someone accepts it.

``queue`` answers every list whole (the API and ``hoso queue``); ``queue_page`` answers the
counts and one page of each list, most pressing first, for the office's page: an agency can
hold thousands of dossiers, so the database counts, flags, orders and pages them. Both read
the flags from one SQL definition (``overdue``, ``late``), so they always agree.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from tracker.domain.calendar import local_date
from tracker.domain.custody import DECIDED_STAGES, TERMINAL_STAGES
from tracker.domain.errors import N_, UnknownReference
from tracker.domain.province import Province
from tracker.projections.fold import Row
from tracker.projections.status import is_open
from tracker.projections.store import ViewStore

DEFAULT_TRANSIT_HOURS = 24
LISTS = ("holds", "incoming", "sent")
OPEN_ROWS = "stage NOT IN ({})".format(", ".join(f"'{s}'" for s in sorted(TERMINAL_STAGES)))
"""Rows a queue lists: nothing more can happen to a returned, cancelled or refused dossier."""
UNDECIDED = "stage NOT IN ({})".format(
    ", ".join(f"'{stage}'" for stage in sorted(DECIDED_STAGES | TERMINAL_STAGES)))
"""Open in the sense of status.is_open: neither decided nor terminal (so it can be overdue)."""
COLUMNS = ("code, procedure, stage, custodian, office, due, clock_stopped, transit_carrier, "
           "transit_from, transit_to, transit_since")
PRESSING = "CASE WHEN overdue + late > 0 THEN 0 ELSE 1 END, due, code"
"""The page's order: overdue or late in transit first, then by due date."""


class Clause(NamedTuple):
    """A piece of SQL and the values of its ``?`` marks, in order."""

    sql: str
    params: tuple[Any, ...] = ()


def joined(*parts: str | Clause) -> Clause:
    """The parts one after the other, their parameters in the same order."""
    clauses = [Clause(p) if isinstance(p, str) else p for p in parts]
    return Clause("".join(c.sql for c in clauses),
                  tuple(value for c in clauses for value in c.params))


class Holder(NamedTuple):
    """Whose queue: the answer's ``holder`` document and, per list, which rows it holds (a
    person has only ``holds``)."""

    document: dict[str, Any]
    lists: dict[str, Clause]


class Flags(NamedTuple):
    """SQL expressions worth 1 or 0 for each row, as of one moment."""

    today: str
    overdue: Clause
    late: Clause


def queue(store: ViewStore, province: Province, who: str, now: datetime) -> dict[str, Any]:
    """The queue of office code or staff id ``who``, every list whole, each ordered by code;
    UnknownReference when ``who`` is neither."""
    holder = holder_of(province, who)
    flags = flags_at(province, now)
    items = {name: [_item(row) for row in _rows(store, holder.lists[name], flags, "code")]
             if name in holder.lists else [] for name in LISTS}
    held_open = [i for i in items["holds"] if i["open"] and not i["in_transit"]]
    moving = [i for group in items.values() for i in group if i["late_in_transit"]]
    return {
        "holder": holder.document,
        "as_of": now.isoformat(),
        **items,
        "due_today": [i["code"] for i in held_open if i["due"] == flags.today],
        "overdue": [i["code"] for i in held_open if i["overdue"]],
        "late_in_transit": sorted({i["code"] for i in moving}),
    }


def queue_page(store: ViewStore, province: Province, who: str, now: datetime, page: int,
               per_page: int) -> dict[str, Any]:
    """Page ``page`` (from 1; past the last, the last) of ``who``'s queue: ``counts`` of
    every list and flag over the whole queue, and ``per_page`` items of each list, overdue or
    late in transit first, then by due date and code (``per_page`` at least 1). ``pages`` is
    how many pages the longest list fills (at least 1)."""
    holder = holder_of(province, who)
    flags = flags_at(province, now)
    counts = _counts(store, holder, flags)
    pages = max(1, -(-max(counts[name] for name in LISTS) // per_page))
    page = min(max(page, 1), pages)
    tail = Clause(f"{PRESSING} LIMIT ? OFFSET ?", (per_page, (page - 1) * per_page))
    lists = {name: [_item(row) for row in _rows(store, holder.lists[name], flags, tail)]
             if counts[name] > (page - 1) * per_page else [] for name in LISTS}
    return {"holder": holder.document, "as_of": now.isoformat(), "counts": counts,
            "page": page, "pages": pages, "per_page": per_page, **lists}


def holder_of(province: Province, who: str) -> Holder:
    if who in province.offices:
        office = province.offices[who]
        return Holder({"kind": "office", "id": office.code, "name": office.name,
                       "office": office.code},
                      {"holds": Clause("office = ?", (who,)),
                       "incoming": Clause("transit_to = ?", (who,)),
                       "sent": Clause("transit_from = ? AND transit_to <> ?", (who, who))})
    if who in province.staff:
        person = province.staff[who]
        return Holder({"kind": "staff", "id": person.id, "name": person.name,
                       "office": person.office, "role": person.role},
                      {"holds": Clause("custodian = ?", (who,))})
    raise UnknownReference(N_("{who!r} is neither an office code nor a staff id"), who=who)


def flags_at(province: Province, now: datetime) -> Flags:
    """``overdue``: undecided and due before today (status.is_overdue). ``late``: in transit
    since before ``now`` less the destination's transit limit. Times in the view are UTC
    ISO-8601 strings of one shape, so they compare as the moments they name."""
    today = local_date(now).isoformat()
    by_hours: dict[int, list[str]] = {}
    for office in province.offices.values():
        if office.transit_hours != DEFAULT_TRANSIT_HOURS:
            by_hours.setdefault(office.transit_hours, []).append(office.code)
    cases = [Clause(f"WHEN transit_to IN ({', '.join('?' * len(codes))}) THEN ? ",
                    (*codes, _cutoff(now, hours))) for hours, codes in sorted(by_hours.items())]
    default = Clause("?", (_cutoff(now, DEFAULT_TRANSIT_HOURS),))
    limit = joined("CASE ", *cases, "ELSE ", default, " END") if cases else default
    return Flags(
        today,
        Clause(f"CASE WHEN {UNDECIDED} AND due < ? THEN 1 ELSE 0 END", (today,)),
        joined("CASE WHEN transit_carrier IS NOT NULL AND transit_since < ", limit,
               " THEN 1 ELSE 0 END"))


def _cutoff(now: datetime, hours: int) -> str:
    """The moment a handover made before is late, as the view writes moments; a limit
    beyond the calendar is never reached (the empty string precedes every moment)."""
    try:
        return (now - timedelta(hours=hours)).astimezone(UTC).isoformat()
    except OverflowError:
        return ""


def _rows(store: ViewStore, which: Clause, flags: Flags, order: str | Clause) -> list[Row]:
    """The open rows ``which`` selects, with their ``overdue`` and ``late`` flags."""
    return store.query(*joined(
        f"SELECT * FROM (SELECT {COLUMNS}, ", flags.overdue, " AS overdue, ", flags.late,
        f" AS late FROM {{dossiers}} WHERE {OPEN_ROWS} AND ", which, ") AS q ORDER BY ",
        order))


def _counts(store: ViewStore, holder: Holder, flags: Flags) -> dict[str, int]:
    """How many rows each list holds, and, over the whole queue, how many are due today or
    overdue (held, open and not moving) and late in transit (each dossier once)."""
    lists = holder.lists
    held = joined("(", lists["holds"], ") AND transit_carrier IS NULL AND ")
    anywhere = [joined("(", clause, ")") for clause in lists.values()]
    parts = [joined("COUNT(CASE WHEN ", clause, f" THEN 1 END) AS {name}, ")
             for name, clause in lists.items()]
    found = store.query(*joined(
        "SELECT ", *parts,
        "COUNT(CASE WHEN ", held,
        Clause(f"{UNDECIDED} AND due = ? THEN 1 END) AS due_today, ", (flags.today,)),
        "COUNT(CASE WHEN ", held, flags.overdue, " = 1 THEN 1 END) AS overdue, ",
        "COUNT(CASE WHEN ", flags.late, " = 1 THEN 1 END) AS late_in_transit ",
        f"FROM {{dossiers}} WHERE {OPEN_ROWS} AND (",
        *[joined(" OR " if i else "", c) for i, c in enumerate(anywhere)], ")"))[0]
    return {name: int(found.get(name) or 0)
            for name in (*LISTS, "due_today", "overdue", "late_in_transit")}


def _item(row: Row) -> dict[str, Any]:
    return {
        "code": row["code"],
        "procedure": row["procedure"],
        "stage": row["stage"],
        "open": is_open(row),
        "custodian": row["custodian"],
        "office": row["office"],
        "due": row["due"],
        "overdue": bool(row["overdue"]),
        "clock_stopped": row["clock_stopped"],
        "in_transit": row["transit_carrier"] is not None,
        "from_office": row["transit_from"],
        "to_office": row["transit_to"],
        "in_transit_since": row["transit_since"],
        "late_in_transit": bool(row["late"]),
    }
