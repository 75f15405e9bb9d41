"""Commands on dossiers: receive, move between custodians, decide, return, and look up."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, TypeVar

import click

from tracker.cli.context import application
from tracker.cli.output import emit, json_option, status_lines
from tracker.cli.projections import views
from tracker.domain.calendar import LOCAL_TZ
from tracker.timeparse import parse_date, parse_moment

F = TypeVar("F", bound=Callable[..., Any])


def by_option(command: F) -> F:
    return click.option("--by", required=True, metavar="STAFF",
                        help="Staff id of the person acting.")(command)


def device_option(command: F) -> F:
    return click.option("--device", metavar="ID",
                        help="Scanner, phone or counter terminal used.")(command)


def show(status: dict[str, Any]) -> None:
    emit(status, lambda: status_lines(status))


@click.command()
@click.option("--office", required=True, help="Office code where the dossier is received.")
@click.option("--procedure", required=True, help="Procedure code.")
@click.option("--applicant-name", required=True)
@click.option("--applicant-id", required=True, help="Citizen ID (CCCD) or passport number.")
@click.option("--phone")
@click.option("--component", "components", multiple=True, metavar="C",
              help="A component handed in (repeat for each).")
@click.option("--accept-incomplete", is_flag=True,
              help="Receive even though required components are missing (recorded).")
@click.option("--actor", required=True, metavar="STAFF", help="The receiver at the counter.")
@device_option
@json_option
def receive(office: str, procedure: str, applicant_name: str, applicant_id: str,
            phone: str | None, components: tuple[str, ...], accept_incomplete: bool,
            actor: str, device: str | None) -> None:
    """Register a paper dossier; prints its code."""
    status = application().receive(
        office=office, procedure=procedure, applicant_name=applicant_name,
        applicant_id=applicant_id, actor=actor, components=components, phone=phone,
        accept_incomplete=accept_incomplete, device=device,
    )
    emit({"code": status["code"], "due": status["due"]}, lambda: [status["code"]])


@click.command()
@click.argument("code")
@by_option
@click.option("--courier", metavar="STAFF", help="The courier who carries it.")
@click.option("--to", "to_person", metavar="STAFF", help="A person who carries it instead.")
@click.option("--to-office", required=True, help="The destination office code.")
@click.option("--manifest", help="Bag manifest number, when handed over in a bag.")
@click.option("--pages", "pages_counted", type=int, metavar="N",
              help="Sheets counted at the handover; refused unless it matches the last scan.")
@device_option
@json_option
def handover(code: str, by: str, courier: str | None, to_person: str | None, to_office: str,
             manifest: str | None, pages_counted: int | None, device: str | None) -> None:
    """Release a dossier to a courier (or a person) bound for another office."""
    show(application().hand_over(code, by, to_office, courier=courier, to_person=to_person,
                                 manifest=manifest, device=device,
                                 pages_counted=pages_counted))


@click.command()
@click.argument("code")
@by_option
@click.option("--office", required=True, help="The office where it is accepted.")
@device_option
@json_option
def accept(code: str, by: str, office: str, device: str | None) -> None:
    """Accept a dossier in transit at its destination office."""
    show(application().accept(code, by, office, device=device))


def _reason_command(name: str, method: str, summary: str) -> click.Command:
    @click.command(name=name, help=summary)
    @click.argument("code")
    @by_option
    @click.option("--reason", required=True)
    @device_option
    @json_option
    def command(code: str, by: str, reason: str, device: str | None) -> None:
        show(getattr(application(), method)(code, by, reason, device=device))

    return command


def _plain_command(name: str, method: str, summary: str) -> click.Command:
    @click.command(name=name, help=summary)
    @click.argument("code")
    @by_option
    @device_option
    @json_option
    def command(code: str, by: str, device: str | None) -> None:
        show(getattr(application(), method)(code, by, device=device))

    return command


@click.command()
@click.argument("code")
@by_option
@click.option("--to", "to", required=True, metavar="DATE", help="The new due date, YYYY-MM-DD.")
@click.option("--reason", required=True, help="The apology given to the citizen.")
@device_option
@json_option
def reschedule(code: str, by: str, to: str, reason: str, device: str | None) -> None:
    """Move the due date later, recording the apology slip."""
    new_due: date = parse_date(to, "--to")
    show(application().reschedule(code, by, new_due, reason, device=device))


@click.command(name="return")
@click.argument("code")
@by_option
@click.option("--by-post", is_flag=True, help="Delivered by post rather than at the counter.")
@device_option
@json_option
def return_result(code: str, by: str, by_post: bool, device: str | None) -> None:
    """Return the result (or the rejected dossier) to the citizen."""
    show(application().return_result(code, by, by_post=by_post, device=device))


@click.command(name="collect-fee")
@click.argument("code")
@by_option
@click.option("--amount", required=True, type=int, metavar="VND")
@device_option
@json_option
def collect_fee(code: str, by: str, amount: int, device: str | None) -> None:
    """Record a fee or charge collected at the counter."""
    show(application().collect_fee(code, by, amount, device=device))


@click.command()
@click.argument("code")
@by_option
@click.option("--page", "pages", multiple=True, required=True, metavar="KEY",
              help="Object key of a page image, in page order (repeat for each).")
@click.option("--pdf", "pdf_key", metavar="KEY", help="Object key of the searchable PDF.")
@click.option("--ocr-text", "ocr_text_key", metavar="KEY", help="Object key of the OCR text.")
@click.option("--quality", default="ok", show_default=True)
@device_option
@json_option
def digitise(code: str, by: str, pages: tuple[str, ...], pdf_key: str | None,
             ocr_text_key: str | None, quality: str, device: str | None) -> None:
    """Record a scan whose objects are all stored (see 'hoso storage put')."""
    show(application().digitise(code, by, pages, ocr_text_key=ocr_text_key, pdf_key=pdf_key,
                                quality=quality, device=device))


@click.command()
@click.argument("code")
@json_option
def status(code: str) -> None:
    """Where the dossier is, who holds it, and how it stands against its due date."""
    show(views().status(code))  # the status view, caught up with the log first


@click.command()
@click.argument("code")
@click.option("--as-of", metavar="ISO-8601", help="Replay the log only up to this time.")
@json_option
def history(code: str, as_of: str | None) -> None:
    """The dossier's custody history, one event per line, oldest first."""
    moment = parse_moment(as_of, "--as-of") if as_of else None
    rows = application().history(code, as_of=moment)
    emit(rows, lambda: _history_lines(rows))


def _history_lines(rows: list[dict[str, Any]]) -> Iterable[str]:
    """One line per event, in Vietnamese local time (the JSON form keeps UTC)."""
    for row in rows:
        when = datetime.fromisoformat(row["time"]).astimezone(LOCAL_TZ)
        yield (f"{when:%Y-%m-%d %H:%M:%S}  {row['type']:<20} by {row['actor']} at "
               f"{row['office']} → custodian {row['custodian']}")


COMMANDS = [
    receive, handover, accept,
    _reason_command("request-supplement", "request_supplement",
                    "Ask the citizen for missing components; stops the clock."),
    _plain_command("supplement-received", "receive_supplement",
                   "The missing components arrived; restarts the clock."),
    _reason_command("pause", "pause", "Pause processing; stops the clock."),
    _plain_command("resume", "resume", "Resume a paused dossier; restarts the clock."),
    reschedule,
    _reason_command("reject", "reject", "Refuse the dossier, with the reason."),
    _plain_command("resolve", "resolve", "Record that the result is ready."),
    return_result,
    _reason_command("cancel", "cancel", "Cancel at the citizen's request, with the reason."),
    collect_fee, digitise, status, history,
]
