"""The answers reads and commands give: a dossier's status (in full, or the public part), its
history, a queue, the report, the access log.

The OpenAPI document's response schemas come from these models, and the tests hold every
answer to them. Answers are documents the service writes, so their models allow fields they do
not list only where a document carries the fields of events (a history entry).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _no_default(schema: dict[str, Any]) -> None:
    """A field an answer may leave out, rather than one that has a default value."""
    schema.pop("default", None)


class Transit(Answer):
    carrier: str | None
    from_office: str | None
    to_office: str | None
    since: str | None


class Status(Answer):
    """Where a dossier is, who holds it, and how it stands against its due date."""

    code: str
    procedure: str
    stage: str
    custodian: str
    office: str | None
    in_transit: bool
    transit: Transit | None
    due: str
    clock_stopped: str | None
    timeliness: str | None
    overdue: bool
    receiving_office: str
    resolving_office: str
    channel: str = Field(description="How it came: counter, online, post or home.")
    locality: str | None = Field(description="Where the applicant lives, when named: a "
                                             "locality code of the province file.")
    non_local: bool = Field(description=(
        "Received by an office that does not serve the applicant's locality, for a procedure "
        "decided by locality (phi địa giới)."))
    in_field: bool = Field(description=(
        "Received at a home appointment and not yet handed over: the custodian holds it away "
        "from their office."))
    applicant_name: str = Field("", json_schema_extra=_no_default, description=(
        "Left out of the answers to those who may not see applicants' data (couriers)."))
    missing_components: list[str]
    outcome_reason: str | None
    fee_paid: int
    pages: int
    supplements_requested: int
    received_at: str
    updated_at: str
    version: int


class PublicStatus(Answer):
    """What a citizen is told without an account: nothing about any person, only how the
    dossier stands and the name of the office where it is (or is bound for, in transit)."""

    code: str
    stage: str
    due: str
    office: str


class HistoryEntry(BaseModel):
    """One event of a dossier's history, with the custodian after it and the event's fields."""

    model_config = ConfigDict(extra="allow")

    type: str
    time: str
    actor: str
    office: str | None
    custodian: str
    in_transit: bool
    version: int


class QueueItem(Answer):
    code: str
    procedure: str
    stage: str
    open: bool
    custodian: str
    office: str | None
    due: str
    overdue: bool
    clock_stopped: str | None
    in_transit: bool
    from_office: str | None
    to_office: str | None
    in_transit_since: str | None
    late_in_transit: bool


class Holder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str
    id: str
    name: str
    office: str
    role: str | None = None


class Queue(Answer):
    """What an office or a person holds, what is coming, and what is due or late."""

    holder: Holder
    as_of: str
    holds: list[QueueItem]
    incoming: list[QueueItem]
    sent: list[QueueItem]
    due_today: list[str]
    overdue: list[str]
    late_in_transit: list[str]


class Figures(Answer):
    """A period's figures (flows counted by the local date of their events; ``carried_over``,
    ``in_progress`` and ``paused_hanging`` are stocks, see the report's documentation)."""

    received: int = Field(description="Dossiers received in the period, by every channel.")
    carried_over: int = Field(description=(
        "Received before the period and still open at its start."))
    received_total: int = Field(description="received + carried_over.")
    resolved: int
    resolved_early: int
    resolved_on_time: int
    resolved_overdue: int
    in_progress: int = Field(description="Open at the end of the period's last day.")
    in_progress_on_time: int
    in_progress_overdue: int = Field(description="Open at the end, due before the last day.")
    rejected: int
    cancelled: int
    refused_at_counter: int
    paused: int
    paused_hanging: int = Field(description=(
        "Paused now, paused on or before the last day and not resumed."))
    paused_hanging_days_max: int = Field(description=(
        "Days from the oldest such pause to the last day."))
    supplements_requested: int
    digitised: int
    reused_components: int = Field(description=(
        "Components (digitised papers) taken again in the period from an earlier dossier of "
        "the same applicant instead of a new scan."))
    reused_dossiers: int = Field(description=(
        "Dossiers that took digitised papers again for the first time in the period."))
    fees_vnd: int
    ratings: int
    rating_points: int
    received_non_local: int = Field(description="The same as received_outside_locality.")
    received_outside_locality: int = Field(description=(
        "Receipts of procedures decided by locality at an office that does not serve the "
        "applicant's locality (phi địa giới)."))
    satisfaction_count: int
    satisfaction_mean: float | None
    satisfaction_average: float | None = Field(description="The same as satisfaction_mean.")
    digitisation_rate: float | None
    reuse_rate: float | None = Field(description=(
        "reused_dossiers / received: the share of the dossiers received that reused digitised "
        "papers (khai thác, sử dụng lại thông tin, dữ liệu số hóa); null with none received."))
    rejected_by_reason: dict[str, int]
    cancelled_by_reason: dict[str, int]
    refused_by_reason: dict[str, int]
    received_by_channel: dict[str, int]


class ReportRow(Figures):
    """One group's figures; the group's name is under the grouping's key (office, level or
    field)."""

    model_config = ConfigDict(extra="allow")


class Report(Answer):
    totals: Figures
    rows: list[ReportRow]


class AccessLogEntry(Answer):
    """One read of an applicant's data: who (and with which role, office and credential), what
    (a status, a history, an object), through which route, of which dossier."""

    at: str
    staff: str
    role: str
    office: str
    credential: str
    what: str
    route: str
    dossier: str | None
    object_key: str | None
    position: int


class Error(Answer):
    """Every refusal: a stable code for programs, a message for people in the language the
    request asked for (``Accept-Language``, Vietnamese by default), and the custody rule that
    refused it when one did."""

    error: str
    message: str
    rule: str | None = None
    incident: str | None = None


def schema_of(model: type[BaseModel], definitions: dict[str, Any]) -> dict[str, Any]:
    """``model``'s JSON Schema, its nested models moved into ``definitions``."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions.update(schema.pop("$defs", {}))
    return schema
