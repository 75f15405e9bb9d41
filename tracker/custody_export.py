"""A dossier's custody export made by the server (the CLI's and the inspector page's), checked
with the log's public key as an inspector would, and written as JSON, CSV or the PDF slip."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from events.evidence.notes import NoteError, Verifier
from events.export.build import ExportError, build_export, to_csv, to_json
from events.export.offline import OfflineReport, verify_export
from tracker.bootstrap import Services
from tracker.domain.codes import DossierCode
from tracker.domain.errors import N_, BadInput, HosoError

FORMATS = ("pdf", "csv", "json")
MEDIA_TYPES = {"pdf": "application/pdf", "csv": "text/csv", "json": "application/json"}


class ExportFailure(Exception):
    """The store cannot back an export: the message says why."""


@dataclass(frozen=True)
class Made:
    document: dict[str, Any]
    report: OfflineReport
    warnings: list[str]


def make_export(wired: Services, code: str, verifier: Verifier) -> Made:
    """``code``'s export against the checkpoint exports use (witness_check.export_checkpoint),
    verified with ``verifier``; BadInput before the first checkpoint, ExportFailure when the
    store cannot back one."""
    from tracker.cli.witness_check import export_checkpoint

    aggregate_id = DossierCode.parse(code).dossier_id
    warnings: list[str] = []
    try:
        history = wired.application().history(code)
    except HosoError:
        raise
    except Exception as error:  # the stored events no longer replay: export them as stored
        history = []
        warnings.append(f"warning: {code}'s events do not replay ({type(error).__name__}: "
                        f"{error}); exported as stored, custodians unknown")
    log = wired.tamper_evident_log()
    try:
        latest = export_checkpoint(wired, log.recorder.select_checkpoints())
        if latest is None:
            raise BadInput(N_("the log has no checkpoint yet: run 'hoso audit checkpoint' first"))
        checkpoint, note = latest
        document = build_export(log, aggregate_id, code, history, note, checkpoint,
                                wired.checkpoint_directory().rotations())
    except (NoteError, ExportError) as error:
        raise ExportFailure(f"cannot export {code}: {error}") from None
    report = verify_export(document, verifier, witnesses=[
        e.verifier for e in wired.witness_endpoints()], quorum=wired.settings.witness_quorum)
    return Made(document, report, warnings)


def render(form: str, document: Mapping[str, Any], report: OfflineReport) -> bytes:
    """The export as ``form``; the PDF is the process control slip with the JSON attached."""
    if form == "json":
        return to_json(document)
    if form == "csv":
        return to_csv(document)
    from tracker.slips.control_pdf import render_slip  # reportlab only when a PDF is asked for

    return render_slip(document, report)
