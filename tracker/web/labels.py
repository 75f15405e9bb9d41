"""Names people read for the codes the tracker keeps: roles, stages, the kinds of step,
channels, satisfaction ratings and the notes a scanning station leaves on a page."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from tracker.domain.calendar import LOCAL_TZ

ROLES = {"receiver": _l("Receiver"), "operator": _l("Digitisation operator"),
         "courier": _l("Courier"), "official": _l("Official"), "inspector": _l("Inspector"),
         "supervisor": _l("Supervisor"), "admin": _l("Administrator")}
STAGES = {"in_progress": _l("In progress"), "resolved": _l("Resolved"),
          "rejected": _l("Rejected"), "returned": _l("Result returned"),
          "cancelled": _l("Cancelled"), "refused": _l("Refused at the counter")}
CHANNELS = {"counter": _l("At the counter"), "online": _l("Online, through the portal"),
            "post": _l("By post"), "home": _l("At a home appointment")}
RATINGS = {5: _l("5 – very satisfied"), 4: _l("4 – satisfied"), 3: _l("3 – acceptable"),
           2: _l("2 – dissatisfied"), 1: _l("1 – very dissatisfied")}
STEPS = {"Received": _l("Received"), "RefusedAtCounter": _l("Refused at the counter"),
         "FeeCollected": _l("Fee collected"),
         "Digitised": _l("Digitised"), "ComponentsReused": _l("Digitised papers reused"),
         "HandedOver": _l("Sent on"),
         "Accepted": _l("Arrived"), "SupplementRequested": _l("Supplement requested"),
         "SupplementReceived": _l("Supplement received"), "Paused": _l("Paused"),
         "Resumed": _l("Resumed"), "Rescheduled": _l("New appointment date"),
         "Rejected": _l("Rejected"), "Resolved": _l("Result ready"),
         "ResultReturned": _l("Result returned"), "Cancelled": _l("Cancelled")}

# What the operator is told about a page, by the note's code. The station's own message (in
# English, with its figures) is shown for a code not listed here.
PAGE_NOTES = {
    "blank": _l("Looks blank"), "separator": _l("Separator sheet"),
    "ocr_failed": _l("OCR failed"),
    "unknown-resolution": _l("The file does not say its resolution: check the scanner is set "
                             "to 200 dpi or more"),
    "implausible-resolution": _l("The resolution the file gives would make the page larger "
                                 "than any paper: read as an A4 sheet"),
    "low-resolution": _l("Scanned below 200 dpi: rescan at 200 dpi or more"),
    "too-dark": _l("The paper scans too dark: rescan lighter or on clean glass"),
    "too-light": _l("The print is faint: rescan darker"),
    "blurred": _l("The print is blurred: rescan with the page flat on the glass"),
    "orientation-unsure": _l("Too little text to tell which way up the page is: kept as "
                             "scanned; turn it if it is not upright"),
}


def local_time(moment: str) -> str:
    """``dd/mm/yyyy HH:MM`` in Vietnam's time, as the slips and the counter write it."""
    return datetime.fromisoformat(moment).astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")


def local_day(day: str) -> str:
    return datetime.fromisoformat(day).strftime("%d/%m/%Y")
