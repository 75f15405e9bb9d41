"""The station's TrackerPort over the tracker's HTTP API, with the standard library only.

A station on another machine has no event store: it asks ``/api/v1/station/…`` whether a code
names a dossier and asks it to record each scan, sending its token as ``Authorization: Bearer``,
and asking for English answers (``Accept-Language: en``), the language of the station's CLI
and of the in-process tracker's refusals. Its objects go to the shared object store (S3,
through the station's spool) beforehand; the tracker reads every one back before it records
anything.

A code goes into the URL path, so one that is not shaped like a dossier code (empty, with a
``/``, ``..``) would reach another route and come back a refusal. Such a code names no dossier:
``known_dossier`` answers False without asking. The shape is the cover reader's
(``scanning.split.DOSSIER_CODE``), looser than the tracker's own check, since ``scanning`` may
not import the tracker: every code the tracker could know passes, and the tracker answers for
the rest.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from scanning.errors import ScanningError
from scanning.split import DOSSIER_CODE
from scanning.station import RecordRefused, ScanRecord


class TrackerUnavailable(ScanningError):
    """The tracker could not be reached or failed (5xx, or its object store is unreachable):
    the scan may be recorded later. Both TrackerPort adapters raise it."""


class HttpTracker:
    def __init__(self, base_url: str, token: str, timeout: float = 60.0) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"the tracker URL must be http(s)://…, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def known_dossier(self, code: str) -> bool:
        if not DOSSIER_CODE.match(code.strip()):
            return False
        answer = self._call("GET", f"/api/v1/station/dossiers/{urllib.parse.quote(code)}")
        return bool(answer.get("known"))

    def record_digitised(self, record: ScanRecord) -> dict[str, Any]:
        """Record the scan once, however often it is sent (see ScanRecord.idempotency_key).
        The operator is not sent: the tracker records the one its station token is bound to."""
        path = f"/api/v1/station/dossiers/{urllib.parse.quote(record.code)}/digitised"
        body = {k: v for k, v in record.as_json().items() if k != "by"}
        return self._call("POST", path, body,
                          {"Idempotency-Key": record.idempotency_key()})

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
              headers: dict[str, str] | None = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.base_url + path, data=data, method=method,
            headers={"Authorization": f"Bearer {self.token}",
                     "Content-Type": "application/json", "Accept": "application/json",
                     "Accept-Language": "en", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer: dict[str, Any] = json.loads(response.read())
                return answer
        except urllib.error.HTTPError as error:
            message = _message(error)
            if 400 <= error.code < 500:
                raise RecordRefused(f"the tracker refused ({error.code}): {message}") from None
            raise TrackerUnavailable(f"the tracker failed ({error.code}): {message}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            raise TrackerUnavailable(f"the tracker at {self.base_url} is unreachable: "
                                     f"{reason}") from None


def _message(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(error.read()).get("message", error.reason))
    except (ValueError, AttributeError):
        return str(error.reason)
