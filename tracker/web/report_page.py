"""``/report``: the provincial report for people — filters, the figures in tables, charts drawn
on the server, and the same table as CSV and XLSX.

The page is a form over the report's query (``ReportQuery``, the API's and the CLI's): what the
person picks is parsed by that model and answered through ``Acting.report``, which keeps the
report within the offices the permission table gives them (a supervisor's subtree by default,
the province for an inspector). A refusal of the filters is said on the page, the filters kept.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, g, render_template, request
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from tracker.commands.parse import parse
from tracker.commands.queries import ReportQuery
from tracker.domain.calendar import local_date
from tracker.domain.errors import Forbidden, HosoError
from tracker.domain.province import Province
from tracker.identity.permissions import allowed, offices_in
from tracker.report_files import csv_rows, xlsx_bytes
from tracker.web import charts, labels
from tracker.web.auth import acting, services
from tracker.web.i18n import explain
from tracker.web.sessions import signed_in

blueprint = Blueprint("report", __name__)
blueprint.before_request(signed_in(lambda: None))

LEVELS = {"province": _l("Province"), "district": _l("District"), "commune": _l("Commune")}
FIELDS = {"land": _l("Land"), "construction": _l("Construction"),
          "civil_status": _l("Civil status"),
          "business_registration": _l("Business registration"),
          "social_insurance": _l("Social insurance")}
GROUPS = {"office": _l("Office"), "level": _l("Level"), "field": _l("Field")}
FILTERS = ("from", "to", "office", "subtree", "level", "field", "by")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blueprint.get("/report")
def page() -> Any:
    """The report of the chosen period and offices (this month so far unless chosen)."""
    chosen = _chosen()
    try:
        query = parse(ReportQuery, chosen)
        document = _report(query, days=True)
        fields = (document if query.by == "field"
                  else _report(query, by="field")) if document["rows"] else document
    except HosoError as error:
        if isinstance(error, Forbidden):
            raise
        return _render(chosen, None, None, explain(error)), error.http_status
    return _render(chosen, query, {**document, "fields": fields["rows"]}, None)


@blueprint.get("/report.csv")
def csv_file() -> Response:
    query = parse(ReportQuery, _chosen())
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(csv_rows(_report(query), query.by))
    return _download(("\ufeff" + text.getvalue()).encode(), "text/csv; charset=utf-8",
                     query, "csv")


@blueprint.get("/report.xlsx")
def xlsx_file() -> Response:
    query = parse(ReportQuery, _chosen())
    period = f"{query.start.isoformat()}..{query.end.isoformat()}"
    return _download(xlsx_bytes(_report(query), query.by, period), XLSX, query, "xlsx")


def _chosen() -> dict[str, str]:
    """The filters asked for (empty ones left out), this month so far by default; refused
    first to those who may read no report."""
    allowed(g.identity, "report")
    today = local_date(services().application().clock())
    chosen = {k: v.strip() for k, v in request.args.items() if k in FILTERS and v.strip()}
    chosen.setdefault("from", today.replace(day=1).isoformat())
    chosen.setdefault("to", today.isoformat())
    return chosen


def _report(query: ReportQuery, by: str | None = None, days: bool = False) -> dict[str, Any]:
    return acting().report(query.start, query.end, query.office, by or query.by,
                           subtree=query.subtree, level=query.level, field=query.field,
                           days=days)


def _download(body: bytes, kind: str, query: ReportQuery, extension: str) -> Response:
    name = f"bao-cao-{query.start.isoformat()}-{query.end.isoformat()}.{extension}"
    return Response(body, content_type=kind, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def _render(chosen: dict[str, str], query: ReportQuery | None,
            document: dict[str, Any] | None, error: str | None) -> str:
    province = services().application().province()
    scope = offices_in(allowed(g.identity, "report"), g.identity, province)
    offices = sorted((o for o in province.offices.values()
                      if scope is None or o.code in scope), key=lambda o: o.name)
    fields = sorted({p.field for p in province.procedures.values()})
    links = urlencode(chosen)
    return render_template(
        "report/page.html", chosen=chosen, query=query, report=document, error=error,
        offices=offices, province_wide=scope is None, levels=province.levels, fields=fields,
        level_names=LEVELS, field_names=FIELDS, groups=GROUPS, channels=labels.CHANNELS,
        group_name=lambda by, key: _group_name(province, by, key), number=_number,
        rate=_rate, charts=_charts(province, query, document) if document else {},
        downloads=links, reason_names=province.reasons)


def _group_name(province: Province, by: str, key: str) -> str:
    if by == "office":
        office = province.offices.get(key)
        return office.name if office else key
    return str((LEVELS if by == "level" else FIELDS).get(key, key))


def _number(value: int | float | None) -> str:
    return "–" if value is None else format_decimal(value)


def _rate(value: float | None) -> str:
    return "–" if value is None else format_percent(value, "#,##0.0 %")


def _charts(province: Province, query: ReportQuery | None,
            document: dict[str, Any]) -> dict[str, Markup]:
    days = document.get("days", [])
    monthly = bool(days) and len(days[0]["day"]) == 7
    shown = [(d["day"] if monthly else date.fromisoformat(d["day"]).strftime("%d/%m"))
             for d in days]
    timeliness = charts.stacked_columns(
        _("Timeliness over time"),
        _("Dossiers resolved early, on time and overdue, each month of the period")
        if monthly else _("Dossiers resolved early, on time and overdue, each day of the period"),
        shown, [[d["resolved_early"], d["resolved_on_time"], d["resolved_overdue"]]
                for d in days],
        [charts.Series("fill-early", _("Early")), charts.Series("fill-on-time", _("On time")),
         charts.Series("fill-overdue", _("Overdue"))],
        shown[0] if shown else "", shown[-1] if shown else "")
    fields = document["fields"]
    rejections = charts.bars(
        _("Rejections by field"),
        _("Dossiers rejected, cancelled and refused at the counter in each field"),
        [_group_name(province, "field", row["field"]) for row in fields],
        [[row["rejected"], row["cancelled"], row["refused_at_counter"]] for row in fields],
        [charts.Series("fill-rejected", _("Rejected")),
         charts.Series("fill-cancelled", _("Cancelled")),
         charts.Series("fill-refused", _("Refused at the counter"))], _number)
    by = query.by if query else "office"
    rows = [*document["rows"], {by: None, **document["totals"]}]
    digitisation = charts.bars(
        _("Digitisation and reuse"),
        _("Dossiers digitised and digitised papers reused, for every dossier received"),
        [_("Total") if row[by] is None else _group_name(province, by, row[by]) for row in rows],
        [[row["digitisation_rate"] or 0.0, row["reuse_rate"] or 0.0] for row in rows],
        [charts.Series("fill-digitised", _("Digitisation rate")),
         charts.Series("fill-reused", _("Reuse rate"))], _rate, percent=True)
    return {"timeliness": timeliness, "rejections": rejections, "digitisation": digitisation}
