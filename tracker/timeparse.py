"""Parsing the dates and times people type: local Vietnamese time unless an offset is given."""

from __future__ import annotations

from datetime import date, datetime

from tracker.domain.calendar import LOCAL_TZ
from tracker.domain.errors import N_, BadInput


def parse_moment(text: str, what: str) -> datetime:
    """ISO-8601 date or date-time; without an offset it is read as Asia/Ho_Chi_Minh time."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(N_("{what}: {text!r} is not an ISO-8601 date or time"),
                       what=what, text=text) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TZ)


def parse_date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(N_("{what}: {text!r} is not a date (YYYY-MM-DD)"), what=what,
                       text=text) from None
