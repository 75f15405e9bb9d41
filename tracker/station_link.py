"""The scanning station's TrackerPort on the tracker's side of the line: in-process calls.

``scanning`` never imports the tracker; this adapter lets a station on the tracker's own machine
record scans without HTTP. A station elsewhere uses ``scanning.tracker_http`` against the API,
which ends in the same ``CustodyApplication.digitise``; both answer alike. An error the API
answers with a 5xx (the object store unreachable, a storage failure) is ``TrackerUnavailable``:
the scan may be recorded later. Any other refusal (a 4xx) is ``RecordRefused``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scanning.station import RecordRefused, ScanRecord
from scanning.tracker_http import TrackerUnavailable
from storage.objects import StorageError
from tracker.application import CustodyApplication
from tracker.commands.dossiers import Command, RecordStationScan
from tracker.commands.parse import parse
from tracker.domain.errors import HosoError
from tracker.handling import execute

Executor = Callable[[Command, str | None], dict[str, Any]]
"""Carries out a command with an idempotency key: ``handling.execute`` on the application, or
a signed-in identity's ``Acting.execute``, which checks the permissions first."""


class InProcessTracker:
    def __init__(self, custody: CustodyApplication, carry_out: Executor | None = None) -> None:
        self.custody = custody
        self.carry_out: Executor = carry_out or (
            lambda command, key: execute(custody, command, key))

    def known_dossier(self, code: str) -> bool:
        return self.custody.known_dossier(code)

    def record_digitised(self, record: ScanRecord) -> dict[str, Any]:
        """The scan as the station route records it: the same command, checked by the same
        model, once however often it is sent (``ScanRecord.idempotency_key``)."""
        try:
            command = parse(RecordStationScan, {**record.as_json(), "code": record.code})
            return self.carry_out(command, record.idempotency_key())
        except (HosoError, StorageError) as error:  # callers name the dossier
            if error.http_status >= 500:
                raise TrackerUnavailable(str(error)) from error
            raise RecordRefused(str(error)) from error
