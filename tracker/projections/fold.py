"""How one dossier fact changes the dossier's view row and which report figures it adds.

Pure functions over plain values, so the live follower, the Kafka consumer and the rebuild fold
exactly the same way, and so the rebuilt views can equal the live ones. A view row is a dict with
the keys of ``DOSSIER_COLUMNS``; a report figure is a ``Figure`` keyed by the event it came from
(dossier id and version), which is what makes writing it twice harmless.

Every figure is attributed to the dossier's *receiving* office (the one-stop shop accountable to
the citizen) and dated by the local (Asia/Ho_Chi_Minh) date of the event it counts.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any, NamedTuple

from tracker.cloudevents import Fact
from tracker.domain.calendar import local_date

Row = dict[str, Any]

DOSSIER_COLUMNS: tuple[str, ...] = (
    "dossier_id", "code", "version", "procedure", "receiving_office", "resolving_office",
    "applicant_name", "missing_components", "stage", "decision", "custodian", "office",
    "transit_carrier", "transit_from", "transit_to", "transit_since", "due", "clock_stopped",
    "timeliness", "outcome_reason", "fee_paid", "pages", "supplements_requested",
    "received_at", "updated_at", "channel", "locality", "non_local", "in_field",
    "applicant_ref", "papers", "reused",
)
"""``applicant_ref``: the applicant's keyed reference (tracker.domain.reuse.applicant_ref, None
for receipts read before the store had its key);
``papers``: the index of the dossier's digitised components, JSON ``{component: {"day",
"office"}}`` from the latest scan mapping each (the local day and the office that scanned it);
``reused``: JSON list of the components it took again from an earlier dossier."""
FIGURE_COLUMNS: tuple[str, ...] = (
    "dossier_id", "version", "day", "office", "procedure", "figure", "reason", "amount")
FIGURE_NAMES = frozenset({
    "received", "resolved_early", "resolved_on_time", "resolved_overdue", "rejected",
    "cancelled", "paused", "supplement_requested", "digitised", "fee", "refused_at_counter",
    "rated", "reused"})
REASONED = frozenset({"rejected", "cancelled", "refused_at_counter"})
"""The figures whose ``reason`` is the province's reason code a decision gave, else the reason
a clerk typed (required text)."""
CREATING = frozenset({"Received", "RefusedAtCounter"})
"""The events that start a dossier (and carry its code)."""


class Figure(NamedTuple):
    """One event that counts in the report. ``figure`` is received (``reason``: its channel;
    ``amount``: 1 when received regardless of the applicant's locality, else 0),
    resolved_early, resolved_on_time, resolved_overdue, rejected, cancelled,
    refused_at_counter (these three with their ``reason``), paused, supplement_requested,
    digitised (first scan only), fee (``amount`` in VND), rated (``amount``: the citizen's
    satisfaction, 1 to 5, given as the result was returned) or reused (``amount``: the
    components taken again from an earlier dossier; ``reason``: ``digitised`` when this
    reuse is the dossier's first digital paper, which then counts as digitised, ``first`` when
    it is its first reuse after a scan, else None)."""

    dossier_id: str
    version: int
    day: str
    office: str
    procedure: str
    figure: str
    reason: str | None
    amount: int


class UnexpectedEvent(Exception):
    """A fact that cannot follow the row it is applied to (a Received for a known dossier,
    or a later event for an unknown one): the caller must supply the missing events."""


def fold(row: Row | None, fact: Fact, figures: list[Figure]) -> tuple[Row, Collection[str]]:
    """The row after ``fact`` (``row`` is not changed) and the columns ``fact`` set (which is
    all a fitting step needs to look at); report figures go to ``figures``."""
    data = fact.data
    kind = fact.kind
    when = fact.time.isoformat()
    if kind in CREATING:
        if row is not None:
            raise UnexpectedEvent(f"{kind} for known dossier {fact.code}")
        refused = kind == "RefusedAtCounter"
        channel = data.get("channel") or "counter"  # receipts stored before channels: counter
        new: Row = {
            "dossier_id": str(fact.dossier_id), "code": fact.code, "version": fact.version,
            "procedure": data["procedure"], "receiving_office": data["office"],
            "resolving_office": data["resolving_office"],
            "applicant_name": data["applicant_name"],
            "missing_components": json.dumps(data["missing_components"])
            if data["missing_components"] else "[]",
            "stage": "refused" if refused else "in_progress", "decision": None,
            "custodian": data["actor"], "office": data["office"], "transit_carrier": None,
            "transit_from": None, "transit_to": None, "transit_since": None,
            "due": local_date(fact.time).isoformat() if refused else data["due"],
            "clock_stopped": None, "timeliness": None,
            "outcome_reason": data["reason"] if refused else None, "fee_paid": 0,
            "pages": 0, "supplements_requested": 0, "received_at": when, "updated_at": when,
            "channel": channel, "locality": data.get("locality"),
            "non_local": 1 if data.get("non_local") else 0,  # older receipts: neither
            "in_field": 1 if data.get("in_field") else 0,
            "applicant_ref": data.get("applicant_ref"), "papers": "{}", "reused": "[]",
        }
        if refused:
            figures.append(_figure(new, fact, "refused_at_counter", data["reason"]))
        else:
            figures.append(_figure(new, fact, "received", channel, new["non_local"]))
        return new, DOSSIER_COLUMNS
    if row is None:
        raise UnexpectedEvent(f"{kind} v{fact.version} for unknown dossier {fact.dossier_id}")
    change = _CHANGES.get(kind)
    if change is None:
        raise UnexpectedEvent(f"{kind} is not a dossier event the views know")
    changes: Row = {"version": fact.version, "updated_at": when}
    figure = change(row, changes, data, when)
    new = {**row, **changes}
    if figure is not None:
        reason = (data.get("reason_code") or data.get("reason")) if figure in REASONED else None
        amount = (int(data["amount"]) if figure == "fee"
                  else int(data["satisfaction"]) if figure == "rated" else 0)
        before = _has_papers(row)
        if figure == "reused":
            amount = len(data["components"])
            reason = ("first" if (row.get("reused") or "[]") == "[]" else None) if before \
                else "digitised"
        if figure != "digitised" or not before:
            figures.append(_figure(new, fact, figure, reason, amount))
    return new, changes.keys()


def _figure(row: Row, fact: Fact, figure: str, reason: str | None = None,
            amount: int = 0) -> Figure:
    return Figure(row["dossier_id"], fact.version, local_date(fact.time).isoformat(),
                  row["receiving_office"], row["procedure"], figure, reason, amount)


def _fee(row: Row, new: Row, data: Any, when: str) -> str | None:
    new["fee_paid"] = row["fee_paid"] + int(data["amount"])
    return "fee"


def _has_papers(row: Row) -> bool:
    """Whether the dossier already holds digital papers: scanned, or taken again."""
    return bool(row["pages"]) or (row.get("reused") or "[]") != "[]"


def _digitised(row: Row, new: Row, data: Any, when: str) -> str | None:
    new["pages"] = int(data["pages"])
    mapped = data.get("components") or {}  # scans recorded before QC map none
    if mapped:
        papers = json.loads(row.get("papers") or "{}")
        excluded = {int(e["page"]) for e in data.get("excluded_pages") or []}
        day = local_date(datetime.fromisoformat(when)).isoformat()
        for kind, pages in mapped.items():
            if any(1 <= int(p) <= int(data["pages"]) and int(p) not in excluded
                   for p in pages):
                papers[str(kind)] = {"day": day, "office": data["office"]}
        new["papers"] = json.dumps(papers, sort_keys=True, ensure_ascii=False)
    return "digitised"  # counted once per dossier: fold() skips it when it held papers


def _reused(row: Row, new: Row, data: Any, when: str) -> str | None:
    kinds = set(data["components"])
    missing = [c for c in json.loads(row["missing_components"] or "[]") if c not in kinds]
    new["missing_components"] = json.dumps(missing) if missing else "[]"
    new["reused"] = json.dumps(sorted(kinds | set(json.loads(row.get("reused") or "[]"))))
    return "reused"


def _handed_over(row: Row, new: Row, data: Any, when: str) -> str | None:
    new.update(transit_carrier=data["carrier"], transit_from=data["office"],
               transit_to=data["to_office"], transit_since=when, custodian=data["carrier"],
               office=None, in_field=0)
    return None


def _accepted(row: Row, new: Row, data: Any, when: str) -> str | None:
    new.update(transit_carrier=None, transit_from=None, transit_to=None, transit_since=None,
               custodian=data["actor"], office=data["office"])
    return None


def _supplement_requested(row: Row, new: Row, data: Any, when: str) -> str | None:
    new["clock_stopped"] = "awaiting_supplement"
    new["supplements_requested"] = row["supplements_requested"] + 1
    return "supplement_requested"


def _restarted(row: Row, new: Row, data: Any, when: str) -> str | None:
    new["clock_stopped"] = None
    new["due"] = data["due"]
    return None


def _paused(row: Row, new: Row, data: Any, when: str) -> str | None:
    new["clock_stopped"] = "paused"
    return "paused"


def _rescheduled(row: Row, new: Row, data: Any, when: str) -> str | None:
    new["due"] = data["due"]
    return None


def _rejected(row: Row, new: Row, data: Any, when: str) -> str | None:
    new.update(stage="rejected", decision="rejected", outcome_reason=data["reason"])
    return "rejected"


def _resolved(row: Row, new: Row, data: Any, when: str) -> str | None:
    new.update(stage="resolved", decision="resolved", timeliness=data["timeliness"])
    return f"resolved_{data['timeliness']}"


def _returned(row: Row, new: Row, data: Any, when: str) -> str | None:
    new["stage"] = "returned"
    return "rated" if data.get("satisfaction") is not None else None


def _cancelled(row: Row, new: Row, data: Any, when: str) -> str | None:
    new.update(stage="cancelled", decision="cancelled", outcome_reason=data["reason"])
    return "cancelled"


_CHANGES = {  # each reads the row, sets what its event changes in ``new``, names its figure
    "FeeCollected": _fee, "Digitised": _digitised, "HandedOver": _handed_over,
    "Accepted": _accepted, "SupplementRequested": _supplement_requested,
    "SupplementReceived": _restarted, "Paused": _paused, "Resumed": _restarted,
    "Rescheduled": _rescheduled, "Rejected": _rejected, "Resolved": _resolved,
    "ResultReturned": _returned, "Cancelled": _cancelled, "ComponentsReused": _reused,
}
