"""The commands on bags (túi chuyển), each a frozen model named for the intent.

``by`` is who acts: typed on the server's command line, taken from the signed-in identity
everywhere else. Page counts are keyed by dossier code and checked against each dossier's last
scan.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints

from tracker.commands.dossiers import Command
from tracker.commands.fields import DossierCode, OfficeCode, PageCount, StaffId
from tracker.domain import identifiers
from tracker.domain.bag import BAG_CODE, MAX_DOSSIERS

BagCode = Annotated[str, Strict(), StringConstraints(pattern=BAG_CODE)]
Codes = Annotated[list[DossierCode], Field(max_length=MAX_DOSSIERS)]
Counts = Annotated[dict[DossierCode, PageCount], Field(
    max_length=MAX_DOSSIERS,
    json_schema_extra={"propertyNames": {"pattern": identifiers.DOSSIER_CODE}})]


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


BAG_COMMANDS: tuple[type[BagCommand], ...] = (CreateBag, FillBag, HandOverBag, AcceptBag)


class BagItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    pages: int | None = Field(description="Pages of its last scan; null if never digitised.")


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
    version: int
