"""How commands print: one JSON document with --json, short human lines otherwise."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

from storage.durable import fsync_directory
from tracker.domain.errors import N_, BadInput

F = TypeVar("F", bound=Callable[..., Any])


def json_option(command: F) -> F:
    """Give a command its own ``--json`` flag (``hoso --json CMD`` works as well)."""

    def remember(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        if value:
            ctx.ensure_object(dict)["json"] = True
        return value

    return click.option("--json", "as_json", is_flag=True, expose_value=False,
                        callback=remember, is_eager=True,
                        help="Print exactly one JSON document.")(command)


def wants_json() -> bool:
    ctx = click.get_current_context()
    return bool(ctx.find_root().ensure_object(dict).get("json"))


def emit(document: Any, human: Callable[[], Iterable[str]]) -> None:
    """Print ``document`` as JSON, or the lines ``human`` yields."""
    if wants_json():
        click.echo(to_json(document))
    else:
        for line in human():
            click.echo(line)


def to_json(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, default=str)


def table(rows: list[dict[str, Any]], columns: list[str]) -> Iterable[str]:
    widths = {c: max([len(c), *(len(str(r[c])) for r in rows)]) for c in columns}
    yield "  ".join(c.upper().ljust(widths[c]) for c in columns)
    for row in rows:
        yield "  ".join(str(row[c]).ljust(widths[c]) for c in columns).rstrip()


def status_lines(status: dict[str, Any]) -> Iterable[str]:
    where = (f"in transit with {status['custodian']} to {status['transit']['to_office']}"
             if status["in_transit"] else f"held by {status['custodian']} at {status['office']}")
    yield f"{status['code']}  {status['stage']}  {where}"
    late = " (OVERDUE)" if status["overdue"] else ""
    yield f"due {status['due']}{late}" + (
        f"  clock stopped: {status['clock_stopped']}" if status["clock_stopped"] else "")
    if status["timeliness"]:
        yield f"resolved {status['timeliness'].replace('_', ' ')}"


def write_whole(path: Path, data: bytes) -> None:
    """Temp file beside ``path``, fsync, rename over it: readers see the old file or the new.

    The file keeps mkstemp's mode 0600: exports and slips hold personal data (applicants' names,
    ID numbers and phones)."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        handle, temp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".partial")
    except OSError as error:
        raise BadInput(N_("cannot write in {directory}: {strerror}"),
                       directory=directory, strerror=error.strerror) from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
    fsync_directory(directory)
