"""Commands on dossiers: receive, move between custodians, decide, return, and look up.

The commands that change a dossier are built from their models (tracker/cli/generated.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, cast

import click

from tracker.cli.context import application
from tracker.cli.generated import command_for, show_status
from tracker.cli.output import emit, json_option
from tracker.cli.projections import views
from tracker.commands.dossiers import DOSSIER_COMMANDS, Receive, RefuseAtCounter
from tracker.domain.calendar import LOCAL_TZ
from tracker.timeparse import parse_moment


def _receipt(status: dict[str, Any]) -> None:
    emit({"code": status["code"], "due": status["due"]}, lambda: [status["code"]])


def _card_from_stdin(command: click.Command) -> click.Command:
    """``--card-qr -`` reads the ID card's QR text from standard input (a scanner piped in),
    so a citizen's identity need not stand in the command line that others can list."""
    inner = cast(Callable[..., Any], command.callback)  # command_for always gives one

    def callback(**values: Any) -> Any:
        if values.get("id_card") == "-":
            values["id_card"] = sys.stdin.read()
        return inner(**values)

    command.callback = callback
    return command


def _refusal(status: dict[str, Any]) -> None:
    emit({"code": status["code"], "stage": status["stage"]}, lambda: [status["code"]])


@click.command()
@click.argument("code")
@json_option
def status(code: str) -> None:
    """Where the dossier is, who holds it, and how it stands against its due date."""
    show_status(views().status(code))  # the status view, caught up with the log first


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
    _card_from_stdin(command_for(Receive, _receipt)),
    command_for(RefuseAtCounter, _refusal),
    *(command_for(command) for command in DOSSIER_COMMANDS),
    status, history,
]
