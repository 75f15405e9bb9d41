"""Scale-out: the station queues page runs on Kafka and two ``hoso worker ocr`` processes do them.

Real tansu broker, real worker processes (the CLI), the station in-process; results come back
in job order and each dossier is recorded once, exactly as without Kafka.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from scanning.ocr import OcrSettings
from scanning.station import Station
from tests.cast import cast_from
from tests.hoso_cli import Hoso
from tests.servers.tansu import Tansu
from tests.station.pages import blank_page, cover_file, text_page
from tracker.application import CustodyApplication
from tracker.ocr_queue import KafkaPreparer
from tracker.station_link import InProcessTracker

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


def test_two_workers_clean_and_ocr_a_batch_recorded_once(
        custody: CustodyApplication, store_env: dict[str, str], tansu: Tansu,
        tmp_path: Path) -> None:
    cast = cast_from(custody.province())
    a, b = (custody.receive(office=cast.commune, procedure=cast.procedure.code,
                            applicant_name=name, applicant_id="037195000111",
                            actor=cast.receiver, components=cast.components)["code"]
            for name in ("Nguyễn Văn A", "Trần Thị Bình"))
    # GIVEN two OCR workers in the consumer group, sharing the station's object store
    env = Hoso({**store_env, "HOSO_KAFKA_BOOTSTRAP": tansu.bootstrap}).env
    workers = [subprocess.Popen([sys.executable, "-m", "tracker.cli.main", "worker", "ocr",
                                 "--name", f"w{n}", "--json"], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for n in (1, 2)]
    try:
        files = [cover_file(a, tmp_path / "a0.png", tmp_path),
                 text_page(["Người nộp: Nguyễn Văn A"], tmp_path / "a1.png"),
                 blank_page(tmp_path / "a2.png"),
                 cover_file(b, tmp_path / "b0.png", tmp_path),
                 text_page(["Bên vay: Trần Thị Bình"], tmp_path / "b1.png")]
        station = Station(custody.objects, InProcessTracker(custody), "st-1", cast.receiver,
                          preparer=KafkaPreparer(tansu.bootstrap, custody.objects, "st-1",
                                                 OcrSettings(), wait=180))
        # WHEN the batch is scanned with OCR left to the workers
        report = station.process(files)
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
        outputs = [process.communicate(timeout=60) for process in workers]
    # THEN both dossiers are recorded once, pages in order, blank page flagged
    assert report.all_recorded, report.as_json()
    events = {code: [e for e in custody.history(code) if e["type"] == "Digitised"]
              for code in (a, b)}
    assert [len(e) for e in events.values()] == [1, 1]
    assert events[a][0]["pages"] == 2
    assert events[a][0]["blank_pages"] == [2]
    assert [h.code for h in custody.search("nguyen van a")] == [a]
    assert [h.code for h in custody.search("tran thi binh")] == [b]
    # AND the three page runs were done by the workers (one job per file), each exited cleanly
    assert [p.returncode for p in workers] == [0, 0], [err[-2000:] for _, err in outputs]
    assert sum(json.loads(out)["jobs"] for out, _ in outputs) == 3


def test_a_worker_killed_mid_job_leaves_the_job_to_another(
        custody: CustodyApplication, store_env: dict[str, str], tansu: Tansu,
        tmp_path: Path) -> None:
    cast = cast_from(custody.province())
    code = custody.receive(office=cast.commune, procedure=cast.procedure.code,
                           applicant_name="Lê Thị Mai", applicant_id="037195000111",
                           actor=cast.receiver, components=cast.components)["code"]
    # GIVEN a first worker whose Tesseract hangs (fault injection through PATH)
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    hangs = fake_bin / "tesseract"
    started = tmp_path / "tesseract-started"
    hangs.write_text('#!/bin/sh\n[ "$1" = --version ] && exec /usr/bin/tesseract --version\n'
                     f"touch {started}\nexec sleep 600\n")
    hangs.chmod(0o755)
    env = Hoso({**store_env, "HOSO_KAFKA_BOOTSTRAP": tansu.bootstrap}).env
    command = [sys.executable, "-m", "tracker.cli.main", "worker", "ocr", "--json"]
    stuck = subprocess.Popen([*command, "--name", "stuck"], start_new_session=True,
                             env={**env, "PATH": f"{fake_bin}:{env['PATH']}"},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    station = Station(custody.objects, InProcessTracker(custody), "st-1", cast.receiver,
                      preparer=KafkaPreparer(tansu.bootstrap, custody.objects, "st-1",
                                             OcrSettings(), wait=180))
    page = text_page(["Người nộp: Lê Thị Mai"], tmp_path / "p.png")
    outcome: list[object] = []
    scanning = threading.Thread(
        target=lambda: outcome.append(station.process([page], assign_to=code)))
    scanning.start()
    try:
        # WHEN the stuck worker has taken the job and is killed outright
        deadline = time.monotonic() + 120
        while not started.exists():
            assert time.monotonic() < deadline, "the stuck worker never took the job"
            time.sleep(0.2)
        os.killpg(stuck.pid, signal.SIGKILL)
        stuck.wait(timeout=30)
        # AND a healthy worker joins the group
        healthy = subprocess.Popen([*command, "--name", "healthy"], env=env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        scanning.join(timeout=180)
    finally:
        if stuck.poll() is None:
            os.killpg(stuck.pid, signal.SIGKILL)
    healthy.send_signal(signal.SIGTERM)
    out, err = healthy.communicate(timeout=60)
    # THEN the job, never committed by the killed worker, is done by the other, recorded once
    assert not scanning.is_alive()
    assert len(outcome) == 1
    assert outcome[0].all_recorded, outcome  # type: ignore[attr-defined]
    assert json.loads(out)["jobs"] == 1, err[-2000:]
    assert [e["pages"] for e in custody.history(code) if e["type"] == "Digitised"] == [1]
