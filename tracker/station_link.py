"""The scanning station's TrackerPort on the tracker's side of the line: in-process calls.

``scanning`` never imports the tracker; this adapter lets a station on the tracker's own machine
record scans without HTTP. A station elsewhere uses ``scanning.tracker_http`` against the API,
which ends in the same ``CustodyApplication.digitise``; both answer alike. An error the API
answers with a 5xx (the object store unreachable, a storage failure) is ``TrackerUnavailable``:
the scan may be recorded later. Any other refusal (a 4xx) is ``RecordRefused``.
"""

from __future__ import annotations

from typing import Any

from scanning.station import RecordRefused, ScanRecord
from scanning.tracker_http import TrackerUnavailable
from storage.objects import StorageError
from tracker.application import CustodyApplication
from tracker.domain.errors import HosoError
from tracker.domain.scan_details import ScanDetails


def scan_details(record: ScanRecord) -> ScanDetails:
    return ScanDetails(dpi=record.dpi, blank_pages=list(record.blank_pages),
                       quality_notes=list(record.quality_notes), station=record.station)


class InProcessTracker:
    def __init__(self, custody: CustodyApplication) -> None:
        self.custody = custody

    def known_dossier(self, code: str) -> bool:
        return self.custody.known_dossier(code)

    def record_digitised(self, record: ScanRecord) -> dict[str, Any]:
        try:
            return self.custody.digitise(
                record.code, record.operator, record.pages, ocr_text_key=record.ocr_key,
                pdf_key=record.pdf_key, quality=record.quality, device=record.device,
                cleaned=record.cleaned, details=scan_details(record))
        except (HosoError, StorageError) as error:  # callers name the dossier
            if error.http_status >= 500:
                raise TrackerUnavailable(str(error)) from error
            raise RecordRefused(str(error)) from error
