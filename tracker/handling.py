"""The one way a command is carried out, whoever sends it: the CLI, the API or a page.

``execute`` hands a command object to the application and, when the caller gave an
idempotency key, makes a repeat of the same request answer as the first did and record nothing
(see tracker/idempotency.py for how races between processes are settled).
"""

from __future__ import annotations

from typing import Any

from tracker.application import CustodyApplication
from tracker.commands.dossiers import (
    Accept,
    Cancel,
    CollectFee,
    Command,
    Digitise,
    HandOver,
    Pause,
    Receive,
    ReceiveSupplement,
    RecordStationScan,
    RefuseAtCounter,
    Reject,
    RequestSupplement,
    Reschedule,
    Resolve,
    Resume,
    ReturnResult,
    ReuseComponents,
)
from tracker.domain.scan_details import ScanDetails
from tracker.idempotency import Claim, at_most_once, claiming, fingerprint

ATTEMPTS = 5


def execute(app: CustodyApplication, command: Command, key: str | None = None
            ) -> dict[str, Any]:
    """Carry out ``command``; with ``key``, at most once for that key."""
    if key is None:
        return run(app, command)
    claim = Claim(key, fingerprint(command.action, command.model_dump(mode="json")),
                  command.action)

    def attempt() -> dict[str, Any]:
        with claiming(claim):
            return run(app, command)

    return at_most_once(app, claim, ATTEMPTS, attempt,
                        lambda earlier: app.status_at(earlier.code, earlier.version))


def run(app: CustodyApplication, command: Command) -> dict[str, Any]:
    """The application method that carries out ``command``."""
    device = command.device
    match command:
        case Receive():
            return app.receive(
                office=command.office, procedure=command.procedure,
                applicant_name=command.applicant_name, applicant_id=command.applicant_id,
                actor=command.actor, components=command.components, phone=command.phone,
                accept_incomplete=command.accept_incomplete, device=device,
                incomplete_reason=command.incomplete_reason, channel=command.channel,
                locality=command.locality,
                reuse=[(item.source, item.component) for item in command.reuse])
        case RefuseAtCounter():
            return app.refuse_at_counter(
                office=command.office, procedure=command.procedure,
                applicant_name=command.applicant_name, applicant_id=command.applicant_id,
                actor=command.actor, reason=command.reason, components=command.components,
                phone=command.phone, device=device, channel=command.channel)
        case HandOver():
            return app.hand_over(command.code, command.by, command.to_office,
                                 courier=command.courier, to_person=command.to,
                                 manifest=command.manifest, device=device,
                                 pages_counted=command.pages)
        case Accept():
            return app.accept(command.code, command.by, command.office, device=device)
        case RequestSupplement():
            return app.request_supplement(command.code, command.by, command.reason, device)
        case ReceiveSupplement():
            return app.receive_supplement(command.code, command.by, device)
        case Pause():
            return app.pause(command.code, command.by, command.reason, device)
        case Resume():
            return app.resume(command.code, command.by, device)
        case Reschedule():
            return app.reschedule(command.code, command.by, command.to, command.reason, device)
        case Reject():
            return app.reject(command.code, command.by, command.reason, device,
                              command.reason_code)
        case Resolve():
            return app.resolve(command.code, command.by, device)
        case ReturnResult():
            return app.return_result(command.code, command.by, command.by_post, device,
                                     command.satisfaction, command.comment)
        case Cancel():
            return app.cancel(command.code, command.by, command.reason, device,
                              command.reason_code)
        case CollectFee():
            return app.collect_fee(command.code, command.by, command.amount, device)
        case Digitise():
            components: dict[str, list[int]] = {}
            for item in command.components:
                components.setdefault(item.component, []).extend(item.pages)
            details = ScanDetails(
                dpi=command.dpi, blank_pages=list(command.blank_pages),
                quality_notes=[n.model_dump(exclude_none=True) for n in command.quality_notes],
                station=command.station if isinstance(command, RecordStationScan) else None,
                components=components,
                excluded_pages=[e.model_dump() for e in command.excluded_pages])
            return app.digitise(command.code, command.by, command.pages,
                                ocr_text_key=command.ocr_text_key, pdf_key=command.pdf_key,
                                quality=command.quality, device=device,
                                cleaned=command.cleaned, details=details)
        case ReuseComponents():
            objects: dict[str, list[dict[str, str]]] = {}
            for reused in command.objects:
                objects.setdefault(reused.component, []).append(
                    {"key": reused.key, "sha256": reused.sha256})
            return app.reuse_components(command.code, command.by, command.source,
                                        command.components, objects or None, device)
    raise TypeError(f"no handler for {type(command).__name__}")
