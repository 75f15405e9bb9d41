"""The commands on bags (túi chuyển), each a frozen model named for the intent.

``by`` is who acts: typed on the server's command line, taken from the signed-in identity
everywhere else. Page counts are keyed by dossier code and checked against each dossier's last
scan. A scan a device queued while its link was down carries ``device_time``, the device's own
time of the scan with its offset: the events keep it apart from their record time.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    WithJsonSchema,
)

from tracker.commands.dossiers import Command
from tracker.commands.fields import DossierCode, OfficeCode, PageCount, StaffId
from tracker.domain import identifiers
from tracker.domain.bag import BAG_CODE, MAX_DOSSIERS

BagCode = Annotated[str, Strict(), StringConstraints(pattern=BAG_CODE)]
Codes = Annotated[list[DossierCode], Field(max_length=MAX_DOSSIERS)]
Counts = Annotated[dict[DossierCode, PageCount], Field(
    max_length=MAX_DOSSIERS,
    json_schema_extra={"propertyNames": {"pattern": identifiers.DOSSIER_CODE}})]
DEVICE_TIME = (identifiers.ISO_DATE[:-1] + r"T([01][0-9]|2[0-3]):[0-5][0-9]"
               r"(:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$")
"""A date and time this century with its UTC offset, as a browser writes it."""


def _moment(value: Any) -> Any:
    """Only ISO-8601 text with an offset (or an aware datetime) is a device time."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    if not isinstance(value, str) or not re.match(DEVICE_TIME, value):
        raise ValueError("must be a date and time with its offset, "
                         "such as 2026-03-10T08:50:00+07:00")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a day and time the calendar has") from None


DeviceTime = Annotated[datetime, BeforeValidator(_moment),
                       WithJsonSchema({"type": "string", "format": "date-time",
                                       "pattern": DEVICE_TIME})]


def device_time_field() -> Any:
    return Field(None, description=(
        "When the device made the scan, by its own clock, for a scan sent later (queued while "
        "offline): kept apart from the record time; refused more than 5 minutes ahead of the "
        "server or more than 7 days old; marked as synced late when more than 2 minutes old."))


class BagCommand(Command):
    """A command on bags, by the staff member acting."""

    actor_field: ClassVar[str] = "by"

    by: StaffId = Field(description="Staff id of the person acting.")


class CreateBag(BagCommand):
    """Make a bag at the actor's office bound for another office, with dossiers in it."""

    action: ClassVar[str] = "bag-create"

    to_office: OfficeCode = Field(description="The destination office code.")
    codes: Codes = Field(default=[], description="Dossiers held at the actor's office.")
    bag: BagCode | None = Field(
        None, description="The bag's code, when the caller chose it (a form sent twice makes "
                          "one bag); otherwise one is made.")


class FillBag(BagCommand):
    """Put dossiers in an open bag (a scan each)."""

    action: ClassVar[str] = "bag-fill"

    bag: BagCode
    codes: Annotated[list[DossierCode], Field(min_length=1, max_length=MAX_DOSSIERS)]
    device_time: DeviceTime | None = device_time_field()


class HandOverBag(BagCommand):
    """Give the whole bag to a courier: each dossier in it is handed over naming the bag."""

    action: ClassVar[str] = "bag-handover"

    bag: BagCode
    courier: StaffId = Field(description="The courier who carries it.")
    pages: Counts = Field(default={}, description="Sheets counted, by dossier code.")


class AcceptBag(BagCommand):
    """Accept the bag at its destination in one scan; listed dossiers not in it are named as
    missing, flagged and left in transit."""

    action: ClassVar[str] = "bag-accept"

    bag: BagCode
    office: OfficeCode = Field(description="The office where it is accepted.")
    missing: Codes = Field(default=[], description="Listed dossiers not in the bag.")
    pages: Counts = Field(default={}, description="Sheets counted, by dossier code.")
    device_time: DeviceTime | None = device_time_field()


BAG_COMMANDS: tuple[type[BagCommand], ...] = (CreateBag, FillBag, HandOverBag, AcceptBag)


class BagItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    pages: int | None = Field(description="Pages of its last scan; null if never digitised.")


class BagStep(BaseModel):
    """One step of the bag after it was made: filled, handed over or accepted."""

    model_config = ConfigDict(extra="forbid")

    step: Literal["filled", "handed_over", "accepted"]
    actor: str
    office: str
    recorded_at: str = Field(description="When the server recorded it (UTC).")
    device: str | None
    device_time: str | None = Field(description="When the device made the scan, by its own "
                                                "clock and offset; null when it named none.")
    synced_late: bool = Field(description="The scan reached the server more than 2 minutes "
                                          "after the device made it.")
    codes: list[str] = Field(description="The dossiers the step moved.")


class BagAnswer(BaseModel):
    """A bag as every step answers it: nothing about any applicant."""

    model_config = ConfigDict(extra="forbid")

    bag: str
    office: str
    to_office: str
    state: Literal["open", "handed_over", "accepted"]
    created_by: str
    created_at: str
    courier: str | None
    dossiers: list[BagItem]
    accepted: list[str]
    missing: list[str] = Field(description="Listed dossiers not in the bag on arrival: flagged, "
                                           "left in transit.")
    steps: list[BagStep]
    version: int
