"""``hoso audit timeline``: a dossier's custody steps, each proven against the latest checkpoint."""

from __future__ import annotations

from collections.abc import Iterable

import click

from tracker.cli.context import services
from tracker.cli.output import emit, json_option
from tracker.timeline import Timeline, timeline
from tracker.timeparse import parse_moment


@click.command("timeline")
@click.argument("code")
@click.option("--as-of", metavar="ISO-8601", help="Only the steps recorded up to this time.")
@json_option
def timeline_command(code: str, as_of: str | None) -> None:
    """CODE's events with who, where, when, device and bag, each verified by an inclusion
    proof against the newest signed checkpoint (or said why not); exit 1 when any is not."""
    moment = parse_moment(as_of, "--as-of") if as_of else None
    found = timeline(services(), code, moment)
    emit(found.to_dict(), lambda: _lines(found))
    if not found.verified:
        raise click.exceptions.Exit(1)


def _lines(found: Timeline) -> Iterable[str]:
    cp = found.checkpoint
    yield (f"{found.code}: checkpoint {cp.size} leaves, signed {cp.time} by {cp.key}" if cp
           else f"{found.code}: {found.problem}")
    for e in found.events:
        where = f" at {e.office}" if e.office else ""
        extra = "".join([f" device {e.device}" if e.device else "",
                         f" bag {e.bag}" if e.bag else "",
                         f" device time {e.device_time}" if e.device_time else "",
                         " (late)" if e.late else ""])
        result = "verified" if e.verified else f"NOT VERIFIED: {e.reason}"
        yield f"  {e.version:>3} {e.time} {e.type} by {e.actor}{where}{extra}: {result}"
