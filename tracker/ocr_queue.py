"""OCR scale-out over Kafka: the station's side (publish jobs, collect results) and the worker loop.

The message formats and one job's work are in scanning/ocr_jobs.py; this module only moves them
through Kafka with the relay's producer and consumer (events/relay/kafka.py, the one Kafka import).
Workers form one consumer group on ``hoso.ocr-jobs`` and commit a job's offset only after its
result is acknowledged, so a worker killed mid-job leaves the job to another (at least once).
Results are keyed by batch, so a station reads only its batch's partition of
``hoso.ocr-results``, from the end offset it had before the jobs went out, keeping its batch's
results by job index: a duplicate counts once and order is the job order. (It used to read the
whole topic in a consumer group per batch: the topic's whole retention every time.) Results
are small, the pages and bundles themselves are in the object store.
"""

from __future__ import annotations

import logging
import mimetypes
import threading
import time
import uuid
from pathlib import Path

from events.relay.kafka import (
    PARTITIONS,
    KafkaKeyReader,
    KafkaPublisher,
    KafkaSubscription,
    ensure_topic,
)
from events.relay.publisher import Interrupted, Message
from scanning.clean import CleanPage
from scanning.errors import ScanningError
from scanning.ocr import OcrSettings, PageText
from scanning.ocr_jobs import (
    JOBS_TOPIC,
    RESULTS_TOPIC,
    OcrJob,
    OcrResult,
    job_event,
    parse_job,
    parse_result,
    result_event,
    run_job,
)
from scanning.page_bundle import from_bundle
from storage.objects import ObjectStore
from tracker.metrics import Stopwatch, count_pages

log = logging.getLogger(__name__)
WORKER_GROUP = "hoso-ocr-workers"


class OcrWorkersSilent(ScanningError):
    """No result came back for some jobs in time: are any ``hoso worker ocr`` running?"""


def ensure_topics(bootstrap: str) -> None:
    for topic in (JOBS_TOPIC, RESULTS_TOPIC):
        ensure_topic(bootstrap, topic, PARTITIONS)


class KafkaPreparer:
    """The station's PagePreparer when Kafka is configured."""

    def __init__(self, bootstrap: str, store: ObjectStore, station: str,
                 settings: OcrSettings, wait: float = 900.0) -> None:
        self.bootstrap = bootstrap
        self.store = store
        self.station = station
        self.settings = settings
        self.wait = wait

    def prepare(self, runs: list[tuple[Path, list[int]]]
                ) -> list[tuple[CleanPage, PageText]]:
        batch = uuid.uuid4().hex
        keys = {path: self._store(path) for path in dict.fromkeys(path for path, _ in runs)}
        jobs = [OcrJob(batch, index, keys[path], path.name, tuple(numbers),
                       self.settings.timeout, self.settings.languages)
                for index, (path, numbers) in enumerate(runs)]
        ensure_topics(self.bootstrap)
        results = KafkaKeyReader(self.bootstrap, RESULTS_TOPIC, batch.encode(),
                                 client_id=f"hoso-station-{self.station}")
        try:
            publisher = KafkaPublisher(self.bootstrap, JOBS_TOPIC)
            try:
                publisher.send([Message(f"{batch}:{job.index}".encode(),
                                        job_event(job, self.station)) for job in jobs]
                               ).wait(threading.Event())
            finally:
                publisher.reset()
            answers = self._collect(results, batch, len(jobs))
        finally:
            results.close()
        prepared: list[tuple[CleanPage, PageText]] = []
        for index in range(len(jobs)):
            answer = answers[index]
            if answer.error or answer.bundle_key is None:
                raise ScanningError(answer.error or f"job {index} returned nothing")
            prepared += from_bundle(b"".join(self.store.get(answer.bundle_key)))
        return prepared

    def _store(self, path: Path) -> str:
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        with path.open("rb") as data:
            return self.store.put(data, content_type).key

    def _collect(self, results: KafkaKeyReader, batch: str, count: int
                 ) -> dict[int, OcrResult]:
        answers: dict[int, OcrResult] = {}
        deadline = time.monotonic() + self.wait
        while len(answers) < count:
            if time.monotonic() > deadline:
                raise OcrWorkersSilent(f"{count - len(answers)} of {count} OCR jobs got no "
                                       f"result within {self.wait:g} s")
            for record in results.poll(1.0):
                try:
                    answer = parse_result(record.value)
                except (ValueError, KeyError):
                    continue  # not ours to judge: other producers may share the topic
                if answer.batch == batch:
                    answers.setdefault(answer.index, answer)
        return answers


def run_worker(bootstrap: str, store: ObjectStore, settings: OcrSettings, name: str,
               stop: threading.Event) -> int:
    """Take jobs until ``stop`` is set; returns how many were done."""
    ensure_topics(bootstrap)
    jobs = KafkaSubscription(bootstrap, WORKER_GROUP, JOBS_TOPIC, client_id=f"hoso-ocr-{name}",
                             max_records=1)  # one page run at a time: the others stay free
    publisher = KafkaPublisher(bootstrap, RESULTS_TOPIC)
    done = 0
    try:
        while not stop.is_set():
            for record in jobs.poll(1.0):
                try:
                    job = parse_job(record.value)
                except (ValueError, KeyError):
                    log.warning("skipping a malformed job at %d/%d", record.partition,
                                record.offset)
                else:
                    clock = Stopwatch()
                    result = run_job(job, store, name, settings)
                    if result.error is None:
                        count_pages(len(job.pages), clock.seconds())
                    try:
                        publisher.send([Message(job.batch.encode(), result_event(result))]
                                       ).wait(stop)
                    except Interrupted:  # stopping: the job stays uncommitted for another
                        return done
                    done += 1
                    log.info("job %s/%d done%s", job.batch, job.index,
                             f": {result.error}" if result.error else "")
                jobs.commit({record.partition: record.offset + 1})
    finally:
        publisher.reset()
        jobs.close()
    return done
