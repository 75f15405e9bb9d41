"""The commands on dossiers, each a frozen model named for the intent.

``action`` is the command's name in the API's path and on the command line; a field's ``x-cli``
names its command-line option where that differs from the field (``--component`` for
``components``), and ``x-cli: false`` keeps a field the station sends off the command line.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tracker.commands.fields import (
    MAX_COMPONENTS,
    MAX_PAGES,
    Channel,
    ComponentCode,
    Day,
    DeviceId,
    DossierCode,
    Dpi,
    Flag,
    IdCardText,
    IdNumber,
    Label,
    LocalityCode,
    Name,
    Note,
    ObjectKey,
    OfficeCode,
    PageCount,
    PageNumber,
    Phone,
    PositiveMoney,
    ProcedureCode,
    Rating,
    Reason,
    StaffId,
    StationId,
)
from tracker.domain.cccd import MAX_CARD_TEXT, read_card
from tracker.domain.errors import N_, RuleViolation


def cli(option: str | bool) -> dict[str, Any]:
    """The ``json_schema_extra`` naming a field's command-line option (False: none)."""
    return {"x-cli": option}


class Command(BaseModel):
    """What every command carries: the device it was made on, when one is named."""

    model_config = ConfigDict(extra="forbid", frozen=True, regex_engine="python-re")
    action: ClassVar[str]
    actor_field: ClassVar[str]
    """The field naming who acts: typed on the server's command line, taken from the
    signed-in identity everywhere else."""

    device: DeviceId | None = Field(None, description="Scanner, phone or counter terminal used.")


class ReuseFrom(BaseModel):
    """A component digitised for an earlier dossier of the same applicant, taken again."""

    model_config = ConfigDict(extra="forbid", frozen=True, regex_engine="python-re")

    source: DossierCode = Field(description="The earlier dossier whose scan maps it.")
    component: ComponentCode


class Receive(Command):
    """Register a paper dossier; prints its code."""

    model_config = ConfigDict(json_schema_extra=lambda schema: _card_or_name(schema))
    action: ClassVar[str] = "receive"
    actor_field: ClassVar[str] = "actor"

    office: OfficeCode = Field(description="Office code where the dossier is received.")
    procedure: ProcedureCode = Field(description="Procedure code.")
    applicant_name: Name = Field(
        None, description="The applicant's full name (given by id_card when that is sent).")
    applicant_id: IdNumber = Field(
        None, description="Citizen ID (CCCD) or passport number (given by id_card when that "
                          "is sent).")
    id_card: IdCardText = Field(
        None, description="The text of the QR code on the applicant's chip ID card (CCCD), as "
                          "a scanner reads it: gives applicant_name and applicant_id (which, "
                          "if also sent, must agree with it). Nothing else of it is kept; on "
                          "the command line '-' reads it from standard input.",
        json_schema_extra=cli("--card-qr"))
    locality: LocalityCode | None = Field(
        None, description="Where the applicant lives: a locality code of the province file. "
                          "A procedure decided by locality needs it, and goes to the office "
                          "serving it.")
    phone: Phone | None = None
    components: Annotated[list[ComponentCode], Field(max_length=MAX_COMPONENTS)] = Field(
        default=[], description="A component handed in (repeat for each).",
        json_schema_extra=cli("--component"))
    accept_incomplete: Flag = Field(
        False, description="Receive even though required components are missing (recorded).")
    incomplete_reason: Reason | None = Field(
        None, description="Why an incomplete dossier is received (kept with the receipt).")
    channel: Channel = Field(
        "counter", description="How it came: counter, online (the portal, with the counter's "
                               "help), post, or home (a home appointment).")
    reuse: Annotated[list[ReuseFrom], Field(max_length=MAX_COMPONENTS)] = Field(
        default=[], description="Components digitised for earlier dossiers of the same "
        "applicant that the citizen confirms are still valid: taken again instead of a new "
        "scan, and counted as handed in.", json_schema_extra=cli(False))
    actor: StaffId = Field(description="The receiver at the counter.")

    @model_validator(mode="before")
    @classmethod
    def _from_card(cls, data: Any) -> Any:
        """The applicant's name and ID number read from ``id_card``, which is then dropped;
        a card text the field's pattern refuses is left for the field to refuse."""
        if not isinstance(data, dict) or not isinstance(data.get("id_card"), str) or len(
                data["id_card"]) > MAX_CARD_TEXT:
            return data
        card = read_card(data["id_card"])
        filled = {name: value for name, value in data.items() if name != "id_card"}
        for field, read in (("applicant_name", card.name), ("applicant_id", card.id_number)):
            given = data.get(field)
            if isinstance(given, str) and _compared(given) != _compared(read):
                raise RuleViolation("card-agrees", N_(
                    "the {field} sent differs from the ID card's"), field=field)
            if field not in data or isinstance(given, str):
                filled[field] = read
        return filled

    @model_validator(mode="after")
    def _named(self) -> Receive:
        if self.applicant_name is None or self.applicant_id is None:
            raise ValueError(N_("the applicant's name and ID number are required, unless "
                                "id_card gives them"))
        return self


def _card_or_name(schema: dict[str, Any]) -> None:
    """A receipt names the applicant, or sends the ID card to read them from: the fields left
    out are absent, never null."""
    schema["anyOf"] = [{"required": ["applicant_name", "applicant_id"]},
                       {"required": ["id_card"]}]
    for name in ("applicant_name", "applicant_id", "id_card"):
        schema["properties"][name].pop("default", None)


def _compared(text: str) -> str:
    """``text`` as two spellings of one name compare: composed, case and spacing aside."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


class RefuseAtCounter(Command):
    """Turn a dossier away at the counter (Mẫu 03), with the reason; prints its code."""

    action: ClassVar[str] = "refuse"
    actor_field: ClassVar[str] = "actor"

    office: OfficeCode = Field(description="Office code where the dossier was brought.")
    procedure: ProcedureCode = Field(description="Procedure code.")
    applicant_name: Name
    applicant_id: IdNumber = Field(description="Citizen ID (CCCD) or passport number.")
    phone: Phone | None = None
    components: Annotated[list[ComponentCode], Field(max_length=MAX_COMPONENTS)] = Field(
        default=[], description="A component handed in (repeat for each).",
        json_schema_extra=cli("--component"))
    reason: Reason = Field(description="Why it is refused (printed on the refusal slip).")
    channel: Channel = Field("counter", description="How it came: counter, online, post, "
                                                    "or home.")
    actor: StaffId = Field(description="The receiver at the counter.")


class DossierCommand(Command):
    """A command on one dossier, named by its code, by the staff member acting."""

    actor_field: ClassVar[str] = "by"

    code: DossierCode = Field(description="<office code>-<yymmdd>-<NNNN>",
                              json_schema_extra=cli(False))
    by: StaffId = Field(description="Staff id of the person acting.")


class HandOver(DossierCommand):
    """Release a dossier to a courier (or a person) bound for another office."""

    action: ClassVar[str] = "handover"

    courier: StaffId | None = Field(None, description="The courier who carries it.")
    to: StaffId | None = Field(None, description="A person who carries it instead.")
    to_office: OfficeCode = Field(description="The destination office code.")
    manifest: Label | None = Field(None, description="Bag manifest number, when in a bag.")
    pages: PageCount | None = Field(
        None, description="Sheets counted at the handover; refused unless it matches the "
                          "last scan.")


class Accept(DossierCommand):
    """Accept a dossier in transit at its destination office."""

    action: ClassVar[str] = "accept"

    office: OfficeCode = Field(description="The office where it is accepted.")


class RequestSupplement(DossierCommand):
    """Ask the citizen for missing components; stops the clock."""

    action: ClassVar[str] = "request-supplement"

    reason: Reason


class ReceiveSupplement(DossierCommand):
    """The missing components arrived; restarts the clock."""

    action: ClassVar[str] = "supplement-received"


class Pause(DossierCommand):
    """Pause processing; stops the clock."""

    action: ClassVar[str] = "pause"

    reason: Reason


class Resume(DossierCommand):
    """Resume a paused dossier; restarts the clock."""

    action: ClassVar[str] = "resume"


class Reschedule(DossierCommand):
    """Move the due date later, recording the apology slip."""

    action: ClassVar[str] = "reschedule"

    to: Day = Field(description="The new due date, YYYY-MM-DD.")
    reason: Reason = Field(description="The apology given to the citizen.")


class Reject(DossierCommand):
    """Refuse the dossier, with the reason."""

    action: ClassVar[str] = "reject"

    reason: Reason = Field(description="The reason, as given to the citizen.")
    reason_code: ComponentCode | None = Field(
        None, description="A rejection reason code of the province file (reasons.rejection), "
                          "by which the report counts it; needed when the file lists any.",
        json_schema_extra=cli("--reason-code"))


class Resolve(DossierCommand):
    """Record that the result is ready."""

    action: ClassVar[str] = "resolve"


class ReturnResult(DossierCommand):
    """Return the result (or the rejected dossier) to the citizen."""

    action: ClassVar[str] = "return"

    by_post: Flag = Field(False, description="Delivered by post rather than at the counter.")
    satisfaction: Rating | None = Field(
        None, description="The citizen's satisfaction, 1 (poor) to 5 (very good).")
    comment: Note | None = Field(None, description="The citizen's comment on the rating.")


class Cancel(DossierCommand):
    """Cancel at the citizen's request, with the reason."""

    action: ClassVar[str] = "cancel"

    reason: Reason = Field(description="The reason, in words.")
    reason_code: ComponentCode | None = Field(
        None, description="A cancellation reason code of the province file "
                          "(reasons.cancellation), by which the report counts it; needed when "
                          "the file lists any.",
        json_schema_extra=cli("--reason-code"))


class CollectFee(DossierCommand):
    """Record a fee or charge collected at the counter."""

    action: ClassVar[str] = "collect-fee"

    amount: PositiveMoney = Field(description="Whole đồng.")


class QualityNote(BaseModel):
    """What the station told its operator about one page."""

    model_config = ConfigDict(extra="forbid", frozen=True, regex_engine="python-re")

    page: PageNumber
    code: Label | None = None
    message: Note


class ExcludedPage(BaseModel):
    """A page the operator excluded at QC: kept among the scan's objects, with the reason."""

    model_config = ConfigDict(extra="forbid", frozen=True, regex_engine="python-re")

    page: PageNumber
    reason: Reason


class ComponentPages(BaseModel):
    """Which pages of a scan (1-based) are one of the procedure's components."""

    model_config = ConfigDict(extra="forbid", frozen=True, regex_engine="python-re")

    component: ComponentCode
    pages: Annotated[list[PageNumber], Field(min_length=1, max_length=MAX_PAGES)]


class Digitise(DossierCommand):
    """Record a scan whose objects are all stored (see 'hoso storage put')."""

    action: ClassVar[str] = "digitise"

    pages: Annotated[list[ObjectKey], Field(min_length=1, max_length=MAX_PAGES)] = Field(
        description="Object key of a page image, in page order (repeat for each).",
        json_schema_extra=cli("--page"))
    pdf_key: ObjectKey | None = Field(None, description="Object key of the searchable PDF.",
                                      json_schema_extra=cli("--pdf"))
    ocr_text_key: ObjectKey | None = Field(None, description="Object key of the OCR text.",
                                           json_schema_extra=cli("--ocr-text"))
    quality: Label = "ok"
    cleaned: Annotated[list[ObjectKey], Field(max_length=MAX_PAGES)] = Field(
        default=[], description="Object keys of the straightened pages, in page order.",
        json_schema_extra=cli(False))
    dpi: Dpi | None = Field(None, json_schema_extra=cli(False))
    blank_pages: Annotated[list[PageNumber], Field(max_length=MAX_PAGES)] = Field(
        default=[], description="Blank pages by 1-based number: kept, only flagged.",
        json_schema_extra=cli(False))
    quality_notes: Annotated[list[QualityNote], Field(max_length=MAX_PAGES)] = Field(
        default=[], json_schema_extra=cli(False))
    components: Annotated[list[ComponentPages], Field(max_length=MAX_COMPONENTS)] = Field(
        default=[], description="Which pages are which of the procedure's components (a "
        "component named twice has the pages of both).",
        json_schema_extra=cli(False))
    excluded_pages: Annotated[list[ExcludedPage], Field(max_length=MAX_PAGES)] = Field(
        default=[], description="Pages excluded at QC, each with its reason: kept, only named.",
        json_schema_extra=cli(False))


class RecordStationScan(Digitise):
    """A scanning station's scan: the station named must be the one its token belongs to."""

    action: ClassVar[str] = "digitised"

    station: StationId


class ReusedObject(BaseModel):
    """One page object of an earlier dossier's scan, taken again for one component."""

    model_config = ConfigDict(extra="forbid", frozen=True, regex_engine="python-re")

    component: ComponentCode
    key: ObjectKey
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class ReuseComponents(DossierCommand):
    """Take papers digitised for an earlier dossier of the same applicant instead of scanning
    them again; the citizen confirms at the counter that they are still valid."""

    action: ClassVar[str] = "reuse"

    source: DossierCode = Field(description="The earlier dossier whose scan maps the papers.",
                                json_schema_extra=cli("--from"))
    components: Annotated[list[ComponentCode], Field(min_length=1,
                                                     max_length=MAX_COMPONENTS)] = Field(
        description="A component to take again (repeat for each).",
        json_schema_extra=cli("--component"))
    objects: Annotated[list[ReusedObject], Field(max_length=MAX_PAGES)] = Field(
        default=[], description="The objects taken for each component, in page order: those "
        "the earlier dossier's scan names for it (read from that scan when left out).",
        json_schema_extra=cli(False))


DOSSIER_COMMANDS: tuple[type[DossierCommand], ...] = (
    HandOver, Accept, RequestSupplement, ReceiveSupplement, Pause, Resume, Reschedule, Reject,
    Resolve, ReturnResult, Cancel, CollectFee, Digitise, ReuseComponents)
"""The commands posted to ``/dossiers/<code>/<action>``, in the order the CLI lists them."""
