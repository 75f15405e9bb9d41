"""Commands over the projected views: office and courier queues, the provincial report, and
``hoso project`` (rebuild now, report how far the views are and which dossiers need attention,
verify them against a rebuild; keep them following the log from a process of their own, or as a
member of the Kafka consumer group)."""

from __future__ import annotations

import csv
import io
import logging
import sys
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import click

from tracker.cli.context import services
from tracker.cli.output import emit, json_option, table
from tracker.domain.calendar import LOCAL_TZ
from tracker.domain.errors import N_, BadInput
from tracker.projections.attention import listed
from tracker.projections.rebuild import events_to_rebuild, rebuild
from tracker.projections.report import GROUPINGS
from tracker.projections.store import VIEW_NAMES
from tracker.projections.verify import Verdict
from tracker.projections.views import Views
from tracker.report_files import csv_rows, xlsx_bytes
from tracker.timeparse import parse_date

log = logging.getLogger("hoso.cli")


def views() -> Views:
    """The views of this invocation's store; followed in-process unless Kafka feeds them."""
    return services().views()


@click.command()
@click.argument("who", metavar="OFFICE|ACTOR")
@json_option
def queue(who: str) -> None:
    """What an office or a person holds now, what is on its way, what is due and overdue."""
    document = views().queue(who)
    emit(document, lambda: _queue_lines(document))


def _queue_lines(document: dict[str, Any]) -> Iterable[str]:
    holder = document["holder"]
    yield f"{holder['id']}  {holder['name']}"
    columns = ["code", "stage", "due", "flags"]
    for title in ("holds", "incoming", "sent"):
        items = document[title]
        if not items:
            continue
        yield f"{title} ({len(items)}):"
        rows = [{**i, "flags": _flags(i)} for i in items]
        yield from ("  " + line for line in table(rows, columns))
    yield (f"due today: {len(document['due_today'])}  overdue: {len(document['overdue'])}  "
           f"late in transit: {len(document['late_in_transit'])}")


def _flags(item: dict[str, Any]) -> str:
    flags = []
    if item["overdue"]:
        flags.append("OVERDUE")
    if item["in_transit"]:
        since = datetime.fromisoformat(item["in_transit_since"]).astimezone(LOCAL_TZ)
        flags.append(f"in transit to {item['to_office']} since {since:%Y-%m-%d %H:%M}")
    if item["late_in_transit"]:
        flags.append("LATE IN TRANSIT")
    if item["clock_stopped"]:
        flags.append(item["clock_stopped"])
    return ", ".join(flags)


@click.command()
@click.option("--from", "start", required=True, metavar="DATE", help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, metavar="DATE", help="Last day (included).")
@click.option("--office", help="Only dossiers received at this office.")
@click.option("--subtree", is_flag=True, help="With --office: and at every office under it.")
@click.option("--level", help="Only dossiers received at offices of this level.")
@click.option("--field", "field", help="Only dossiers of procedures of this field.")
@click.option("--by", "by", default="office", show_default=True,
              help=f"Group rows by {', '.join(GROUPINGS)}.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV: one row per group, then totals.")
@click.option("--xlsx", "xlsx", type=click.Path(dir_okay=False, writable=True),
              help="Also write the table as an XLSX workbook to this file.")
@json_option
def report(start: str, end: str, office: str | None, subtree: bool, level: str | None,
           field: str | None, by: str, as_csv: bool, xlsx: str | None) -> None:
    """The provincial report for the days --from..--to (Asia/Ho_Chi_Minh, both included).

    reuse_rate is reused_dossiers / received: the share of the dossiers received in the
    period that took digitised papers again from an earlier dossier of the same applicant
    (reused_components counts the papers); digitisation_rate is digitised / received."""
    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    if by not in GROUPINGS:
        raise BadInput(N_("--by must be one of {items}, not {by!r}"),
                       items=', '.join(GROUPINGS), by=by)
    if subtree and office is None:
        raise BadInput(N_("--subtree needs --office"))
    document = views().report(first, last, office, by, subtree=subtree, level=level,
                              field=field)
    if xlsx is not None:
        with open(xlsx, "wb") as out:
            out.write(xlsx_bytes(document, by, f"{first.isoformat()}..{last.isoformat()}"))
    if as_csv:
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(csv_rows(document, by))
        click.echo(text.getvalue(), nl=False)
        return
    emit(document, lambda: _report_lines(document, by))


def _report_lines(document: dict[str, Any], by: str) -> Iterable[str]:
    short = ["received", "carried_over", "resolved_early", "resolved_on_time",
             "resolved_overdue", "in_progress", "rejected", "cancelled", "digitised", "fees_vnd"]
    rows = [*document["rows"], {by: "TOTAL", **document["totals"]}]
    yield from table(rows, [by, *short])
    for row in document["rows"]:
        for kind in ("rejected", "cancelled"):
            for reason, n in row[f"{kind}_by_reason"].items():
                yield f"{row[by]}: {kind} {n} × {reason}"


@click.group(invoke_without_command=True)
@click.option("--follow-log", is_flag=True,
              help="Keep the views following the log from this process until SIGTERM (a store "
                   "without Kafka, served by `hoso serve --no-follow`).")
@click.option("--from-kafka", is_flag=True,
              help="Keep the views as a member of the Kafka consumer group until SIGTERM.")
@click.option("--group", help="The consumer group (default HOSO_KAFKA_GROUP).")
@click.option("--max-records", type=click.IntRange(1, 10_000), default=500, show_default=True,
              help="With --from-kafka: records applied per view transaction, at most.")
@click.pass_context
def project(ctx: click.Context, follow_log: bool, from_kafka: bool, group: str | None,
            max_records: int) -> None:
    """Projected views: rebuild them from the log, or keep them following it (--follow-log)
    or Kafka (--from-kafka)."""
    if follow_log and from_kafka:
        raise click.UsageError("--follow-log and --from-kafka: choose one")
    if follow_log:
        _follow_log()
    elif from_kafka:
        from tracker.cli.relay import project_from_kafka  # kafka is loaded only for this

        project_from_kafka(group, max_records)
    elif ctx.invoked_subcommand is None:
        raise click.UsageError("hoso project needs a command (rebuild, status, verify), "
                               "--follow-log or --from-kafka")


def _follow_log() -> None:
    """``hoso project --follow-log``: the views follow the log from this process until
    SIGTERM/SIGINT, so the web processes (``hoso serve --no-follow``) spend none of their
    interpreter on them. Several followers may run at once (see Follower)."""
    from tracker.cli.relay import log_to_stderr, stop_on_signals

    settings = services().settings
    if settings.kafka_bootstrap is not None:
        raise BadInput(N_("the views follow Kafka on this store (HOSO_KAFKA_BOOTSTRAP): run "
                          "'hoso project --from-kafka' instead"))
    the_views = views()
    the_views.ready()
    stop = stop_on_signals()
    log_to_stderr()
    log.info("views following the log of %s", settings.describe_store())
    the_views.follower.run(stop)
    log.info("views stopped following the log")


@project.command(name="rebuild")
@click.argument("view", required=False, type=click.Choice(VIEW_NAMES))
@click.option("--batch-size", type=click.IntRange(100, 100_000), default=20_000,
              show_default=True, help="Stored events per transaction.")
@json_option
def rebuild_command(view: str | None, batch_size: int) -> None:
    """Clear VIEW (default: all) and fold the whole log into it again."""
    the_views = views()
    the_views.ready()
    names = _tables_of(view)
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import Progress

        with Progress(console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("rebuilding views", total=events_to_rebuild(the_views))
            done = rebuild(the_views, names, batch_size,
                           lambda n: bar.advance(task, n))
    else:
        done = rebuild(the_views, names, batch_size)
    document = {"views": list(done.views), "events": done.events, "applied": done.applied,
                "refused": done.refused}
    emit(document, lambda: [f"rebuilt {', '.join(done.views)}: {done.applied} dossier events "
                            f"from {done.events} stored events"
                            + (f"; {done.refused} could not be applied (hoso project status)"
                               if done.refused else "")])


@project.command(name="status")
@click.option("--catch-up", is_flag=True,
              help="First apply what the views have not seen yet, as reads do.")
@json_option
def status_command(catch_up: bool) -> None:
    """How far each view has followed the log, and the dossiers needing attention (an event
    of theirs could not be applied). A report: exits 0 either way."""
    the_views = views()
    if catch_up:
        the_views.catch_up()
    document = {**the_views.progress(), "needs_attention": listed(the_views.store)}
    emit(document, lambda: _status_lines(document))


def _status_lines(document: dict[str, Any]) -> Iterable[str]:
    for view in document["views"]:
        lag = "not recorded (Kafka)" if view["lag"] is None else view["lag"]
        yield (f"{view['view']}: position {view['position']} of {document['log_end']}, "
               f"lag {lag}")
    marked = document["needs_attention"]
    yield f"needs attention: {len(marked)}"
    for item in marked:
        position = "" if item["position"] is None else f" at position {item['position']}"
        yield (f"{item['code']}  v{item['version']} {item['event']}{position}: "
               f"{item['reason']}")


@project.command(name="verify")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True,
              help="Differences listed, at most (all are counted).")
@click.option("--batch-size", type=click.IntRange(100, 100_000), default=20_000,
              show_default=True, help="Stored events per transaction of the rebuild.")
@json_option
def verify_command(limit: int, batch_size: int) -> None:
    """Rebuild every view from the log in a scratch store and compare it with the live one,
    as of one log position. Exit 0 when identical, 1 naming each difference (values only of
    columns that hold no personal data)."""
    verdict = services().view_verifier().verify(limit, batch_size)
    emit(verdict.document(), lambda: _verify_lines(verdict))
    if not verdict.identical:
        raise click.exceptions.Exit(1)


def _verify_lines(verdict: Verdict) -> Iterable[str]:
    document = verdict.document()
    compared = ", ".join(f"{v['view']} {v['compared']}" for v in document["views"]
                         if v["compared"] is not None)
    if verdict.identical:
        yield (f"views identical to a rebuild of the log at position {verdict.position} "
               f"(rows compared: {compared})")
    else:
        yield (f"VIEWS DIFFER from a rebuild of the log at position {verdict.position}: "
               f"{verdict.total} difference(s) (rows compared: {compared})")
        yield from (f"  {d.line()}" for d in verdict.differences)
        if verdict.total > len(verdict.differences):
            yield f"  … and {verdict.total - len(verdict.differences)} more (--limit)"
        yield "'hoso project rebuild' makes the views equal to the log again"
    for view in document["views"]:
        if view["compared"] is None:
            yield f"{view['view']}: {view['note']}"
    if verdict.moved_on:
        yield (f"{verdict.moved_on} dossier(s) changed after position {verdict.position} "
               "while verifying: left out this time")


def _tables_of(view: str | None) -> tuple[str, ...]:
    """``status`` and ``queues`` read one table: rebuilding either rebuilds both."""
    if view is None:
        return VIEW_NAMES
    if view in ("status", "queues"):
        return ("status", "queues")
    return ("report",)


COMMANDS = [queue, report, project]
