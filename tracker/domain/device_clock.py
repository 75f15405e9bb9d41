"""When a handheld says a scan was made, kept apart from when the server recorded it.

A courier's page queues scans while the link is down and sends them when it returns, each with
the time the device's own clock gave when the code was scanned. The event keeps that time
beside its record time (the server's): custody moved when the code was scanned, and the log
says when it learnt of it. A device time is refused when it is ahead of the server by more
than a clock may drift, or older than a queue is kept; a scan that reached the server more
than ``LATE`` after it was made is marked as synced late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker.domain.errors import N_, BadInput, RuleViolation

SKEW = timedelta(minutes=5)
"""How far ahead of the server a device's clock may run: phones and office PCs set theirs
from the network, and are seldom more than seconds apart."""
KEPT = timedelta(days=7)
"""The oldest scan a device may still send: a week without a link is an outage to report,
not a queue to replay."""
LATE = timedelta(minutes=2)
"""A scan sent more than this after it was made is marked as synced late: a scan sent at once
takes seconds, even over a slow link."""


@dataclass(frozen=True)
class Scanned:
    """The device time an event keeps (ISO-8601 with the device's offset, or None when the
    scan named none) and whether it reached the server late."""

    device_time: str | None = None
    synced_late: bool = False


NOT_STATED = Scanned()


def scanned(device_time: datetime | None, recorded: datetime) -> Scanned:
    """What an event recorded at ``recorded`` keeps of a scan the device made at
    ``device_time``; refused when that time cannot be the scan's."""
    if device_time is None:
        return NOT_STATED
    if device_time.tzinfo is None:
        raise BadInput(N_("a device time needs its UTC offset, such as +07:00"))
    shown = device_time.isoformat(timespec="seconds")
    if device_time > recorded + SKEW:
        raise RuleViolation("device-time", N_(
            "the device's clock says {time}, more than {minutes} minutes ahead of the "
            "server's; set the device's clock and scan again"),
            time=shown, minutes=int(SKEW.total_seconds() // 60))
    if device_time < recorded - KEPT:
        raise RuleViolation("device-time", N_(
            "the scan of {time} is more than {days} days old; record it again by hand"),
            time=shown, days=KEPT.days)
    return Scanned(device_time.isoformat(), recorded - device_time > LATE)
