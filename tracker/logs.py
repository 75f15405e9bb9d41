"""One logging set-up for every long-running command: a JSON object per line on stderr.

Each line has ``time`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``, the
``request_id`` of the request being served when there is one, and the fields a caller passes as
``extra={"fields": {...}}`` (the request log's method, route, status …). Log lines name
dossiers by code and people by staff id, never by an applicant's name, ID number or phone. An
exception is logged by its type and the frames it passed through, not its message: a library's
message may quote the values it was given.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

from tracker.request_context import current_request_id

QUIET = {"kafka": logging.WARNING, "waitress.queue": logging.ERROR}
"""Libraries whose INFO lines say nothing an operator can act on."""


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id.get()
        if request_id is not None:
            line["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            kind, _, trace = record.exc_info
            line["error"] = kind.__name__
            line["traceback"] = "".join(traceback.format_tb(trace))
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(level: int = logging.INFO) -> None:
    """JSON lines on stderr for the whole process, replacing any handler set before."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(quiet)
