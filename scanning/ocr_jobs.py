"""OCR jobs and their results as CloudEvents, and one job's work: for scale-out over Kafka.

With Kafka configured a station does not clean and OCR its pages itself: it stores each file in
the object store and publishes one job per page (``hoso.ocr-jobs``); any number of
``hoso worker ocr`` processes in one consumer group take the jobs, store a page bundle
(scanning/page_bundle.py) and publish its key (``hoso.ocr-results``, keyed by batch). The
station collects the results of its batch by job index, so pages stay in order and a result
delivered twice counts once; it records each dossier once, as without Kafka. Both kinds are
CloudEvents 1.0 in structured mode, like the dossier events, so one Kafka binding serves all.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scanning.ocr import OcrSettings
from scanning.page_bundle import to_bundle
from scanning.stages import prepare_pages
from storage.objects import ObjectStore

JOBS_TOPIC = "hoso.ocr-jobs"
RESULTS_TOPIC = "hoso.ocr-results"
JOB_TYPE = "vn.hoso.ocr.job.v1"
RESULT_TYPE = "vn.hoso.ocr.result.v1"
BUNDLE_TYPE = "application/x-hoso-page-bundle"


@dataclass(frozen=True)
class OcrJob:
    batch: str
    index: int
    key: str  # the file, as stored
    name: str  # its name, for labels the operator recognises
    pages: tuple[int, ...]  # 1-based page numbers in the file
    timeout: float
    languages: str


@dataclass(frozen=True)
class OcrResult:
    batch: str
    index: int
    bundle_key: str | None
    error: str | None
    worker: str


def cloudevent(kind: str, source: str, data: dict[str, Any]) -> bytes:
    return json.dumps({
        "specversion": "1.0", "id": str(uuid.uuid4()), "source": source, "type": kind,
        "time": datetime.now(UTC).isoformat(), "datacontenttype": "application/json",
        "data": data}, ensure_ascii=False).encode("utf-8")


def job_event(job: OcrJob, station: str) -> bytes:
    return cloudevent(JOB_TYPE, f"/hoso/station/{station}", {
        "batch": job.batch, "index": job.index, "key": job.key, "name": job.name,
        "pages": list(job.pages), "timeout": job.timeout, "languages": job.languages})


def parse_job(value: bytes) -> OcrJob:
    data = _data(value, JOB_TYPE)
    return OcrJob(batch=str(data["batch"]), index=int(data["index"]), key=str(data["key"]),
                  name=str(data["name"]), pages=tuple(int(p) for p in data["pages"]),
                  timeout=float(data["timeout"]), languages=str(data["languages"]))


def result_event(result: OcrResult) -> bytes:
    return cloudevent(RESULT_TYPE, f"/hoso/ocr-worker/{result.worker}", {
        "batch": result.batch, "index": result.index, "bundle_key": result.bundle_key,
        "error": result.error, "worker": result.worker})


def parse_result(value: bytes) -> OcrResult:
    data = _data(value, RESULT_TYPE)
    return OcrResult(batch=str(data["batch"]), index=int(data["index"]),
                     bundle_key=data.get("bundle_key"), error=data.get("error"),
                     worker=str(data.get("worker", "")))


def _data(value: bytes, kind: str) -> dict[str, Any]:
    event = json.loads(value)
    if not isinstance(event, dict) or event.get("type") != kind:
        raise ValueError(f"not a {kind} CloudEvent")
    data = event.get("data")
    if not isinstance(data, dict):
        raise ValueError(f"{kind} without data")
    return data


def run_job(job: OcrJob, store: ObjectStore, worker: str, base: OcrSettings) -> OcrResult:
    """Fetch the job's file, clean and OCR its pages, store the bundle. A file that cannot be
    read as pages comes back as an error result (the station reports it), never a crash."""
    settings = OcrSettings(languages=job.languages, timeout=job.timeout,
                           tesseract_cmd=base.tesseract_cmd)
    with tempfile.TemporaryDirectory(prefix="hoso-ocr-job-") as folder:
        path = Path(folder) / Path(job.name).name
        path.write_bytes(b"".join(store.get(job.key)))
        try:
            prepared = prepare_pages(path, job.pages, settings)
        except Exception as error:  # reported to the station with the file it concerns
            return OcrResult(job.batch, job.index, None, f"{job.name}: {error}", worker)
    bundle = store.put(to_bundle(prepared), BUNDLE_TYPE)
    return OcrResult(job.batch, job.index, bundle.key, None, worker)
