"""The provincial report: figures of a period, by office, level or field, summed from the views.

Flows count events whose local (Asia/Ho_Chi_Minh) date falls in the period, both dates included:
dossiers received (by channel, and those received regardless of the applicant's locality,
``received_outside_locality``, phi địa giới); resolved early, on time or overdue; rejected and
cancelled (each also by reason); pauses; supplement requests; dossiers digitised for the first
time; fees collected (VND); refusals at the counter (also by reason); satisfaction ratings given
as results were returned (``satisfaction_count`` and ``satisfaction_mean``, the SIPAS figure).

Stocks: ``carried_over`` were received before the first day and still open at its start;
``in_progress`` were received on or before the last day and not yet resolved, rejected or
cancelled by its end, split into ``in_progress_overdue`` (due before the last day, by the due
date the dossier has now) and ``in_progress_on_time``. ``received_total`` is ``received`` plus
``carried_over`` (the forms' "số hồ sơ nhận giải quyết"). ``paused_hanging`` are dossiers
received by the last day whose clock is stopped by a pause now, paused on or before the last
day; ``paused_hanging_days_max`` is the age of the oldest pause on the last day.

Digitised papers taken again from an earlier dossier of the same applicant (the seeds' "khai
thác, sử dụng lại thông tin, dữ liệu số hóa"): ``reused_components`` counts the components
taken again in the period, ``reused_dossiers`` the dossiers that took papers again for the
first time in it, and ``reuse_rate`` is ``reused_dossiers`` / ``received`` (null with nothing
received), as ``digitisation_rate`` is ``digitised`` / ``received``. A dossier whose first
digital papers are reused ones counts as digitised then.

Every figure belongs to the dossier's receiving office, and to that office's level
and the procedure's field; filters keep an office (or its subtree), a level and a field.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from tracker.domain.calendar import LOCAL_TZ
from tracker.domain.errors import N_, BadInput
from tracker.domain.province import Province
from tracker.projections.store import ViewStore

GROUPINGS = ("office", "level", "field")
COUNTS = ("received", "carried_over", "received_total", "resolved", "resolved_early",
          "resolved_on_time", "resolved_overdue", "in_progress", "in_progress_on_time",
          "in_progress_overdue", "rejected", "cancelled", "refused_at_counter", "paused",
          "paused_hanging", "paused_hanging_days_max", "supplements_requested", "digitised",
          "reused_components", "reused_dossiers", "fees_vnd", "ratings", "rating_points",
          "received_non_local")
"""The whole-number figures of every row and of the totals."""
RATES = ("digitisation_rate", "reuse_rate", "satisfaction_mean", "satisfaction_average")
CHANNELS = ("counter", "online", "post", "home")
BY_REASON = ("rejected_by_reason", "cancelled_by_reason", "refused_by_reason")
CLOSING = ("resolved_early", "resolved_on_time", "resolved_overdue", "rejected", "cancelled")
_COUNTED = {"received": "received", "resolved_early": "resolved_early",
            "resolved_on_time": "resolved_on_time", "resolved_overdue": "resolved_overdue",
            "rejected": "rejected", "cancelled": "cancelled", "paused": "paused",
            "supplement_requested": "supplements_requested", "digitised": "digitised",
            "refused_at_counter": "refused_at_counter", "rated": "ratings"}
_LOW = 2**32
_CLOSING_SQL = ", ".join(f"'{name}'" for name in CLOSING)


class Filter(NamedTuple):
    """Which dossiers count: received at ``office`` (with every office under it when
    ``subtree``), at an office of ``level``, of a procedure of ``field``; None keeps all."""

    office: str | None = None
    subtree: bool = False
    level: str | None = None
    field: str | None = None


def report(store: ViewStore, province: Province, start: date, end: date,
           office: str | None = None, by: str = "office", *, subtree: bool = False,
           level: str | None = None, field: str | None = None,
           days: bool = False) -> dict[str, Any]:
    """``{"totals": {...}, "rows": [...]}`` for the days ``start``..``end`` inclusive (none
    when ``end`` is before ``start``: such a period has no days, and its figures are zero);
    with ``days``, also ``"days"``: the flows of each day or, over more than 62 days, each
    month (``timeline``)."""
    if by not in GROUPINGS:
        raise BadInput(N_("--by must be one of {items}, not {by!r}"),
                       items=', '.join(GROUPINGS), by=by)
    where, params = conditions(province, Filter(office, subtree, level, field))
    if end < start or where is None:
        return {"totals": _finish(None, None, _empty()), "rows": [],
                **({"days": []} if days else {})}
    groups: dict[str, dict[str, Any]] = defaultdict(_empty)
    totals = _empty()

    def add(office_code: str, procedure: str, adding: Any) -> None:
        for target in (groups[_group_key(province, by, office_code, procedure)], totals):
            adding(target)

    # Amounts are signed 64-bit, and so is SQLite's SUM, which fails rather than overflow: sum
    # each amount's quotient and remainder by 2^32 apart (exact on both backends, small enough
    # never to overflow) and join the two sums in Python.
    # One pass over the covering index (office, procedure, figure, reason, day, amount) in its
    # own order, so no group is sorted: every row up to the end counts in the stocks, those
    # of the period in the flows too.
    since = "CASE WHEN day >= ? THEN {} ELSE 0 END"
    sql = ("SELECT office, procedure, figure, reason, COUNT(*) AS n, "
           f"SUM({since.format(1)}) AS n_in, SUM({since.format(f'amount / {_LOW}')}) AS high, "
           f"SUM({since.format(f'amount - amount / {_LOW} * {_LOW}')}) AS low "
           "FROM {figures} WHERE day <= ?"
           + where.format(office="office", procedure="procedure")
           + " GROUP BY office, procedure, figure, reason")
    first = start.isoformat()
    for row in store.query(sql, [first, first, first, end.isoformat(), *params]):
        add(row["office"], row["procedure"], lambda target, row=row: _add(target, row))
    for row in _overdue_at_end(store, where, params, end):
        add(row["office"], row["procedure"],
            lambda target, n=int(row["n"]): _count(target, "in_progress_overdue", n))
    for row in _paused_hanging(store, where, params, end):
        age = (end - date.fromisoformat(row["since"])).days
        add(row["office"], row["procedure"], lambda target, d=age: _hang(target, d))
    return {
        "totals": _finish(None, None, totals),
        "rows": [_finish(by, key, groups[key]) for key in sorted(groups)
                 if _has_figures(groups[key])],
        **({"days": timeline(store, where, params, start, end)} if days else {}),
    }


TIMELINE = ("resolved_early", "resolved_on_time", "resolved_overdue")


def timeline(store: ViewStore, where: str, params: list[str], start: date,
             end: date) -> list[dict[str, Any]]:
    """The ``TIMELINE`` flows of each day of the period (``day``: the ISO date), or of each
    month (``day``: ``YYYY-MM``) when it is longer than 62 days; every day or month is listed,
    with zeros when nothing happened."""
    monthly = (end - start).days >= 62
    names = ", ".join(f"'{name}'" for name in TIMELINE)
    # ``day || ''`` keeps SQLite off the day index, whose every hit is a read of the table,
    # and the groups follow the covering index's order, so nothing is sorted; the days are
    # summed here
    sql = (f"SELECT day, figure, COUNT(*) AS n FROM {{figures}} WHERE day || '' >= ? "
           f"AND day || '' <= ? AND figure IN ({names})"
           + where.format(office="office", procedure="procedure")
           + " GROUP BY office, procedure, figure, reason, day")
    buckets: dict[str, dict[str, Any]] = {}
    day = start
    while day <= end:
        key = day.isoformat()[:7] if monthly else day.isoformat()
        buckets.setdefault(key, {"day": key, **dict.fromkeys(TIMELINE, 0)})
        day += timedelta(days=1)
    for row in store.query(sql, [start.isoformat(), end.isoformat(), *params]):
        key = row["day"][:7] if monthly else row["day"]
        if key in buckets:
            buckets[key][row["figure"]] += int(row["n"])
    return list(buckets.values())


def conditions(province: Province, chosen: Filter) -> tuple[str | None, list[str]]:
    """SQL conditions (``" AND …"``, the columns named ``{office}`` and ``{procedure}``) and
    parameters keeping the figures ``chosen`` keeps; None when no office or procedure can
    match (a level or field the province does not have keeps nothing, as the API's schema
    lets any name through)."""
    if chosen.office is not None:
        province.office(chosen.office)  # UnknownReference for an unknown office
    offices: set[str] | None = None
    if chosen.office is not None:
        offices = (set(_subtree(province, chosen.office)) if chosen.subtree
                   else {chosen.office})
    if chosen.level is not None:
        at_level = {o.code for o in province.offices.values() if o.level == chosen.level}
        offices = at_level if offices is None else offices & at_level
    where, params = "", []
    if offices is not None:
        if not offices:
            return None, []
        where += f" AND {{office}} IN ({', '.join('?' * len(offices))})"
        params += sorted(offices)
    if chosen.field is not None:
        procedures = sorted(p.code for p in province.procedures.values()
                            if p.field == chosen.field)
        if not procedures:
            return None, []
        where += f" AND {{procedure}} IN ({', '.join('?' * len(procedures))})"
        params += procedures
    return where, params


def _subtree(province: Province, root: str) -> set[str]:
    found, todo = {root}, [root]
    while todo:
        parent = todo.pop()
        for office in province.offices.values():
            if office.parent == parent and office.code not in found:
                found.add(office.code)
                todo.append(office.code)
    return found


def _end_moment(end: date) -> str:
    """The first moment after the local day ``end``, as the views write moments (UTC)."""
    return datetime.combine(end + timedelta(days=1), time(), LOCAL_TZ).astimezone(
        UTC).isoformat()


def _overdue_at_end(store: ViewStore, where: str, params: list[str],
                    end: date) -> list[dict[str, Any]]:
    """Per office and procedure, the dossiers open at the end of ``end`` and due before it:
    those received by then that are still open now, and those closed after ``end``."""
    sql = (f"SELECT receiving_office AS office, procedure, COUNT(*) AS n FROM {{dossiers}} "
           "WHERE received_at < ? AND due < ? AND stage <> 'refused' AND (stage = "
           "'in_progress' OR dossier_id IN (SELECT dossier_id FROM {figures} WHERE day > ? "
           f"AND figure IN ({_CLOSING_SQL})))"
           + where.format(office="receiving_office", procedure="procedure")
           + " GROUP BY receiving_office, procedure")
    return store.query(sql, [_end_moment(end), end.isoformat(), end.isoformat(), *params])


def _paused_hanging(store: ViewStore, where: str, params: list[str],
                    end: date) -> list[dict[str, Any]]:
    """Per dossier paused now (and open), received by ``end`` and paused on or before it: its
    office, procedure and the local day of its latest pause (read by the figures' primary
    key, dossier by dossier: the paused are few beside the figures)."""
    sql = ("SELECT d.receiving_office AS office, d.procedure AS procedure, "
           "(SELECT MAX(f.day) FROM {figures} f WHERE f.dossier_id = d.dossier_id "
           "AND f.figure = 'paused') AS since FROM {dossiers} d "
           "WHERE d.stage = 'in_progress' AND d.clock_stopped = 'paused'"
           + where.format(office="d.receiving_office", procedure="d.procedure"))
    return [row for row in store.query(sql, params)
            if row["since"] is not None and row["since"] <= end.isoformat()]


def _empty() -> dict[str, Any]:
    figures: dict[str, Any] = dict.fromkeys(COUNTS, 0)
    for name in BY_REASON:
        figures[name] = defaultdict(int)
    figures["received_by_channel"] = dict.fromkeys(CHANNELS, 0)
    return figures


def _count(target: dict[str, Any], name: str, n: int) -> None:
    target[name] += n


def _hang(target: dict[str, Any], days: int) -> None:
    target["paused_hanging"] += 1
    target["paused_hanging_days_max"] = max(target["paused_hanging_days_max"], days)


def _add(target: dict[str, Any], row: dict[str, Any]) -> None:
    figure, every, count = row["figure"], int(row["n"]), int(row["n_in"] or 0)
    opening = 1 if figure == "received" else -1 if figure in CLOSING else 0
    target["in_progress"] += opening * every
    target["carried_over"] += opening * (every - count)
    if not count:
        return
    amount = int(row["high"] or 0) * _LOW + int(row["low"] or 0)
    if figure == "fee":
        target["fees_vnd"] += amount
        return
    if figure == "reused":
        target["reused_components"] += amount
        if row["reason"] in ("first", "digitised"):
            target["reused_dossiers"] += count
        if row["reason"] == "digitised":
            target["digitised"] += count
        return
    target[_COUNTED[figure]] += count
    if figure == "rated":
        target["rating_points"] += amount
    elif figure == "received":
        channel = row["reason"] if row["reason"] in CHANNELS else "counter"
        target["received_by_channel"][channel] += count
        target["received_non_local"] += amount
    elif figure == "refused_at_counter":
        target["refused_by_reason"][row["reason"]] += count
    elif figure in ("rejected", "cancelled"):
        target[f"{figure}_by_reason"][row["reason"]] += count


def _group_key(province: Province, by: str, office: str, procedure: str) -> str:
    if by == "office":
        return office
    if by == "level":
        known = province.offices.get(office)
        return known.level if known else "unknown"
    found = province.procedures.get(procedure)
    return found.field if found else "unknown"


def _has_figures(figures: dict[str, Any]) -> bool:
    return any(figures[name] for name in COUNTS)


def _finish(by: str | None, key: str | None, figures: dict[str, Any]) -> dict[str, Any]:
    received = figures["received"]
    done = {name: figures[name] for name in COUNTS}
    done["received_total"] = received + figures["carried_over"]
    done["resolved"] = sum(figures[f"resolved_{t}"] for t in ("early", "on_time", "overdue"))
    done["in_progress_on_time"] = figures["in_progress"] - figures["in_progress_overdue"]
    mean = _average(figures)
    return {
        **({by: key} if by is not None else {}),
        **done,
        "received_outside_locality": figures["received_non_local"],
        "satisfaction_count": figures["ratings"],
        "satisfaction_mean": mean,
        "satisfaction_average": mean,
        "digitisation_rate": round(figures["digitised"] / received, 4) if received else None,
        "reuse_rate": round(figures["reused_dossiers"] / received, 4) if received else None,
        **{name: dict(sorted(figures[name].items())) for name in BY_REASON},
        "received_by_channel": dict(figures["received_by_channel"]),
    }


def _average(figures: dict[str, Any]) -> float | None:
    """The mean satisfaction rating (1 to 5) of the results returned, None with no rating."""
    ratings = figures["ratings"]
    return round(figures["rating_points"] / ratings, 2) if ratings else None
