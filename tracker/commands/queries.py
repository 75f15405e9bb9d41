"""The parameters of reads: a history as of a moment, a queue's holder, the report's period,
a citizen's status lookup."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from tracker.commands.fields import Day, DossierCode, OfficeCode, StaffId, identifier, text
from tracker.domain import identifiers
from tracker.domain.calendar import LOCAL_TZ
from tracker.domain.errors import N_, phrase


def _moment(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not re.match(identifiers.ISO_MOMENT, value):
        raise ValueError(N_("must be an ISO-8601 date or date and time, this century"))
    try:
        moment = datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        raise ValueError(phrase(N_("{value} is not a moment of the calendar"),
                                value=value)) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TZ)


Moment = Annotated[datetime, BeforeValidator(_moment),
                   WithJsonSchema({"type": "string", "pattern": identifiers.ISO_MOMENT})]
HOLDER = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class Query(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class HistoryQuery(Query):
    as_of: Moment | None = Field(
        None, description="Replay up to this moment (local Vietnamese time if no offset).")


class QueueQuery(Query):
    who: identifier(HOLDER) = Field(  # type: ignore[valid-type]
        description="An office code or a staff id.")


class PublicStatusQuery(Query):
    """A citizen's lookup: the code on the receipt and four digits only the applicant should
    know. The code is any visible text up to 100 characters rather than a dossier code's shape:
    a code that names no dossier, malformed or not, is answered like wrong digits."""

    code: text(100) = Field(  # type: ignore[valid-type]
        description="The dossier code printed on the receipt.")
    digits: identifier(identifiers.FOUR_DIGITS) = Field(  # type: ignore[valid-type]
        description="The last four digits of the applicant's phone or ID number.")


class ReportQuery(Query):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    start: Day = Field(alias="from", description="First day of the period (local date).")
    end: Day = Field(alias="to", description="Last day of the period, included.")
    office: OfficeCode | None = Field(None, description="Only this office's figures.")
    subtree: bool = Field(False, description="With office: and every office under it.")
    level: identifier(r"^[a-z_]{1,32}$") | None = Field(  # type: ignore[valid-type]
        None, description="Only offices of this level.")
    field: identifier(r"^[a-z_]{1,64}$") | None = Field(  # type: ignore[valid-type]
        None, description="Only procedures of this field.")
    by: Literal["office", "level", "field"] = "office"


class AccessLogQuery(Query):
    dossier: DossierCode | None = Field(None, description="Only reads of this dossier.")
    staff: StaffId | None = Field(None, description="Only reads by this staff member.")
    limit: Annotated[int, Field(ge=1, le=10_000)] = Field(
        1000, description="The newest this many reads.")
