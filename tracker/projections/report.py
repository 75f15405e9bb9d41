"""The provincial report: figures of a period, by office, level or field, summed from the view.

Each figure counts events whose local (Asia/Ho_Chi_Minh) date falls in the period, both dates
included: dossiers received; resolved early, on time or overdue; rejected and cancelled (each
also by reason); pauses; supplement requests; dossiers digitised for the first time; fees
collected (VND); dossiers refused at the counter (also by reason); satisfaction ratings given as
results were returned (``ratings``, and per row their ``satisfaction_average``, the SIPAS
figure); the receipts by channel, and those received regardless of the applicant's locality
(``received_non_local``, phi địa giới). ``in_progress`` is a stock, not a flow: dossiers
received on or before the last day and not yet resolved, rejected or cancelled by its end.
Every figure belongs to the dossier's receiving office, and to that office's level and the
procedure's field.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from tracker.domain.errors import N_, BadInput
from tracker.domain.province import Province
from tracker.projections.store import ViewStore

GROUPINGS = ("office", "level", "field")
TOTALS = ("received", "resolved_early", "resolved_on_time", "resolved_overdue", "in_progress",
          "rejected", "cancelled", "paused", "supplements_requested", "digitised", "fees_vnd",
          "refused_at_counter", "ratings", "rating_points", "received_non_local")
CHANNELS = ("counter", "online", "post", "home")
CLOSING = frozenset({"resolved_early", "resolved_on_time", "resolved_overdue", "rejected",
                     "cancelled"})
_COUNTED = {"received": "received", "resolved_early": "resolved_early",
            "resolved_on_time": "resolved_on_time", "resolved_overdue": "resolved_overdue",
            "rejected": "rejected", "cancelled": "cancelled", "paused": "paused",
            "supplement_requested": "supplements_requested", "digitised": "digitised",
            "refused_at_counter": "refused_at_counter", "rated": "ratings"}
_LOW = 2**32


def report(store: ViewStore, province: Province, start: date, end: date,
           office: str | None = None, by: str = "office") -> dict[str, Any]:
    """``{"totals": {...}, "rows": [...]}`` for the days ``start``..``end`` inclusive (none
    when ``end`` is before ``start``: such a period has no days, and its figures are zero)."""
    if by not in GROUPINGS:
        raise BadInput(N_("--by must be one of {items}, not {by!r}"),
                       items=', '.join(GROUPINGS), by=by)
    if office is not None:
        province.office(office)  # UnknownReference for an unknown office
    if end < start:
        return {"totals": dict.fromkeys(TOTALS, 0), "rows": []}
    # Amounts are signed 64-bit, and so is SQLite's SUM, which fails rather than overflow: sum
    # each amount's quotient and remainder by 2^32 apart (exact on both backends, small enough
    # never to overflow) and join the two sums in Python.
    sql = ("SELECT office, procedure, figure, reason, CASE WHEN day >= ? THEN 1 ELSE 0 END "
           f"AS in_period, COUNT(*) AS n, SUM(amount / {_LOW}) AS high, "
           f"SUM(amount - amount / {_LOW} * {_LOW}) AS low FROM {{figures}} WHERE day <= ?"
           + (" AND office = ?" if office else "")
           + " GROUP BY office, procedure, figure, reason, in_period")
    params = [start.isoformat(), end.isoformat(), *([office] if office else [])]
    sums = store.query(sql, params)
    groups: dict[str, dict[str, Any]] = defaultdict(_empty)
    totals = _empty()
    for row in sums:
        key = _group_key(province, by, row["office"], row["procedure"])
        for target in (groups[key], totals):
            _add(target, row)
    return {
        "totals": {name: totals[name] for name in TOTALS},
        "rows": [_finish(by, key, groups[key]) for key in sorted(groups)
                 if _has_figures(groups[key])],
    }


def _empty() -> dict[str, Any]:
    figures: dict[str, Any] = dict.fromkeys(TOTALS, 0)
    figures["rejected_by_reason"] = defaultdict(int)
    figures["cancelled_by_reason"] = defaultdict(int)
    figures["refused_by_reason"] = defaultdict(int)
    figures["received_by_channel"] = dict.fromkeys(CHANNELS, 0)
    return figures


def _add(target: dict[str, Any], row: dict[str, Any]) -> None:
    figure, count = row["figure"], int(row["n"])
    if figure == "received":
        target["in_progress"] += count
    elif figure in CLOSING:
        target["in_progress"] -= count
    if not row["in_period"]:
        return
    if figure == "fee":
        target["fees_vnd"] += int(row["high"]) * _LOW + int(row["low"])
        return
    target[_COUNTED[figure]] += count
    if figure == "rated":
        target["rating_points"] += int(row["high"]) * _LOW + int(row["low"])
    elif figure == "received":
        channel = row["reason"] if row["reason"] in CHANNELS else "counter"
        target["received_by_channel"][channel] += count
        target["received_non_local"] += int(row["high"]) * _LOW + int(row["low"])
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
    return any(figures[name] for name in TOTALS)


def _finish(by: str, key: str, figures: dict[str, Any]) -> dict[str, Any]:
    received = figures["received"]
    return {
        by: key,
        **{name: figures[name] for name in TOTALS},
        "digitisation_rate": round(figures["digitised"] / received, 4) if received else None,
        "rejected_by_reason": dict(sorted(figures["rejected_by_reason"].items())),
        "cancelled_by_reason": dict(sorted(figures["cancelled_by_reason"].items())),
        "refused_by_reason": dict(sorted(figures["refused_by_reason"].items())),
        "received_by_channel": figures["received_by_channel"],
        "satisfaction_average": _average(figures),
    }


def _average(figures: dict[str, Any]) -> float | None:
    """The mean satisfaction rating (1 to 5) of the results returned, None with no rating."""
    ratings = figures["ratings"]
    return round(figures["rating_points"] / ratings, 2) if ratings else None


def csv_rows(document: dict[str, Any], by: str) -> Iterable[list[Any]]:
    """The report as CSV rows: a header, one row per group, then the totals."""
    yield [by, *TOTALS, "digitisation_rate", "rejected_by_reason", "cancelled_by_reason",
           "refused_by_reason", *(f"received_{channel}" for channel in CHANNELS),
           "satisfaction_average"]
    for row in document["rows"]:
        yield [row[by], *(row[name] for name in TOTALS), row["digitisation_rate"],
               _reasons(row["rejected_by_reason"]), _reasons(row["cancelled_by_reason"]),
               _reasons(row["refused_by_reason"]),
               *(row["received_by_channel"][channel] for channel in CHANNELS),
               row["satisfaction_average"]]
    totals = document["totals"]
    received = totals["received"]
    yield ["total", *(totals[name] for name in TOTALS),
           round(totals["digitised"] / received, 4) if received else None, "", "", "",
           *("" for _ in CHANNELS), _average(totals)]


def _reasons(counts: dict[str, int]) -> str:
    return "; ".join(f"{reason}: {n}" for reason, n in counts.items())
