"""Object storage under faults: an S3 outage mid-batch, a killed writer, a tampered bucket."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from storage.filesystem import FilesystemObjectStore
from storage.objects import ObjectStore, StoreUnavailable
from storage.s3 import S3ObjectStore
from storage.spool import SpoolingObjectStore
from tests.cast import cast_from
from tests.hoso_cli import Hoso
from tests.servers.seaweedfs import SeaweedFS
from tracker.bootstrap import bootstrap
from tracker.domain.errors import RuleViolation
from tracker.province_file import demo_province_path, load_province_file
from tracker.settings import Settings

DOSSIERS, PAGES = 20, 10


def s3_env(server: SeaweedFS, bucket: str) -> dict[str, str]:
    return {"HOSO_S3_ENDPOINT": server.endpoint, "HOSO_S3_BUCKET": bucket,
            "HOSO_S3_ACCESS_KEY": server.access_key, "HOSO_S3_SECRET_KEY": server.secret_key,
            "HOSO_S3_SECURE": "false"}


def page(dossier: int, number: int) -> bytes:
    return f"hồ sơ {dossier} — trang {number}\n".encode() * 5000


def test_outage_while_200_pages_are_stored(tmp_path: Path) -> None:
    # GIVEN a station spooling to a real S3 server, and 20 dossiers at its commune
    with SeaweedFS(tmp_path / "s3") as server:
        env = {"HOSO_DATA_DIR": str(tmp_path / "var"), **s3_env(server, "pages")}
        custody = bootstrap(Settings.from_environ(env))
        custody.load_province(load_province_file(demo_province_path()))
        cast = cast_from(custody.province())
        station = SpoolingObjectStore(custody.objects, tmp_path / "spool", first_retry=0.2)
        codes = [custody.receive(office=cast.commune, procedure=cast.procedure.code,
                                 applicant_name=f"Công dân {n}", applicant_id=f"0{n:011d}",
                                 actor=cast.receiver, components=cast.components)["code"]
                 for n in range(DOSSIERS)]
        batches: dict[str, list[str]] = {}
        recorded: set[str] = set()

        def record_complete_batches() -> None:
            """What a station does: record a dossier once none of its pages is spooled."""
            for code, keys in batches.items():
                if code in recorded or any(station.is_pending(k) for k in keys):
                    continue
                custody.digitise(code, cast.receiver, keys)
                recorded.add(code)

        # WHEN the server stops after the 73rd page and comes back after the 200th
        for d, code in enumerate(codes):
            batches[code] = []
            for p in range(PAGES):
                if d * PAGES + p == 73:
                    server.stop()
                batches[code].append(station.put(page(d, p), "image/png").key)
            if (d + 1) * PAGES <= 73:
                record_complete_batches()
        assert station.status().objects > 100  # the outage was real: pages waited in the spool
        with pytest.raises(StoreUnavailable):
            custody.digitise(codes[-1], cast.receiver, batches[codes[-1]])
        server.start()
        deadline = time.monotonic() + 60
        while station.pending():
            assert time.monotonic() < deadline, "the spool did not drain"
            station.sync_once()
            time.sleep(0.05)
        record_complete_batches()

        # THEN all 200 pages are in S3 once each, and each dossier has exactly one Digitised
        stored = list(custody.objects.keys())
        assert len(stored) == DOSSIERS * PAGES
        assert set(stored) == {k for keys in batches.values() for k in keys}
        assert recorded == set(codes)
        for code in codes:
            digitised = [e for e in custody.history(code) if e["type"] == "Digitised"]
            assert len(digitised) == 1
            assert [o["key"] for o in digitised[0]["objects"]] == batches[code]
        custody.close()


def test_digitised_is_refused_for_a_batch_still_in_the_spool(tmp_path: Path) -> None:
    with SeaweedFS(tmp_path / "s3") as server:
        env = {"HOSO_DATA_DIR": str(tmp_path / "var"), **s3_env(server, "pages")}
        custody = bootstrap(Settings.from_environ(env))
        custody.load_province(load_province_file(demo_province_path()))
        cast = cast_from(custody.province())
        station = SpoolingObjectStore(custody.objects, tmp_path / "spool")
        code = custody.receive(office=cast.commune, procedure=cast.procedure.code,
                               applicant_name="A", applicant_id="1", actor=cast.receiver,
                               components=cast.components)["code"]
        server.stop()
        key = station.put(page(0, 0)).key
        server.start()
        # the page waits in the spool: the primary does not have it, so nothing is recorded
        with pytest.raises(RuleViolation, match="objects-stored"):
            custody.digitise(code, cast.receiver, [key])
        assert station.sync_once() == 1
        assert custody.digitise(code, cast.receiver, [key])["pages"] == 1
        custody.close()


WRITER = """
import sys
from pathlib import Path
from storage.filesystem import FilesystemObjectStore
from storage.s3 import S3ObjectStore
kind, where = sys.argv[1], sys.argv[2]
store = (FilesystemObjectStore(Path(where)) if kind == "fs" else
         S3ObjectStore(where, sys.argv[3], sys.argv[4], sys.argv[5], secure=False))
print("writing", flush=True)
store.put(sys.stdin.buffer if kind == "fs" else bytes(64 * 1024 * 1024), "image/tiff")
print("done", flush=True)
"""


def killed_mid_write(args: list[str], feed: bool) -> None:
    writer = subprocess.Popen([sys.executable, "-c", WRITER, *args], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE)
    assert writer.stdout is not None
    assert writer.stdout.readline() == b"writing\n"
    if feed:  # half a page arrives, then the writer dies before the rest
        assert writer.stdin is not None
        writer.stdin.write(os.urandom(3 * 1024 * 1024))
        writer.stdin.flush()
        time.sleep(0.5)
    else:
        time.sleep(1.0)  # a 64 MB multipart upload is under way
    writer.send_signal(signal.SIGKILL)
    writer.wait()


def assert_no_partial_object(store: ObjectStore) -> None:
    for key in store.keys():  # whatever is visible must be whole
        b"".join(store.get(key))


def test_sigkill_mid_write_leaves_no_partial_file_object(tmp_path: Path) -> None:
    killed_mid_write(["fs", str(tmp_path / "objects")], feed=True)
    store = FilesystemObjectStore(tmp_path / "objects")
    assert list(store.keys()) == []
    assert_no_partial_object(store)


def test_sigkill_mid_upload_leaves_no_partial_s3_object(seaweedfs_server: SeaweedFS) -> None:
    bucket = f"kill-{uuid.uuid4().hex[:8]}"
    s = seaweedfs_server
    killed_mid_write(["s3", s.endpoint, bucket, s.access_key, s.secret_key], feed=False)
    store = S3ObjectStore(s.endpoint, bucket, s.access_key, s.secret_key, secure=False)
    assert_no_partial_object(store)


def test_verify_finds_an_object_tampered_in_the_bucket(store_env: dict[str, str],
                                                       seaweedfs_server: SeaweedFS,
                                                       tmp_path: Path) -> None:
    hoso = Hoso({**store_env, **s3_env(seaweedfs_server, f"v-{uuid.uuid4().hex[:8]}")})
    hoso.ok("init", "--demo")
    scan = tmp_path / "page.png"
    scan.write_bytes(page(1, 1))
    key = hoso.ok("storage", "put", str(scan))["key"]
    assert hoso.ok("storage", "status")["backend"] == "s3"
    assert hoso.ok("storage", "verify")["corrupt"] == []
    bucket = hoso.env["HOSO_S3_BUCKET"]
    forged = page(6, 6)
    seaweedfs_server.client().put_object(bucket, key, io.BytesIO(forged), len(forged))
    report = hoso("storage", "verify", "--json")
    assert report.code == 1
    assert report.json()["corrupt"] == [key]
    out = tmp_path / "copy.png"
    assert hoso("storage", "get", key, "-o", str(out)).code == 1
    assert not out.exists()


def test_cli_spools_through_an_outage_and_syncs_after(tmp_path: Path) -> None:
    with SeaweedFS(tmp_path / "s3") as server:
        hoso = Hoso({"HOSO_DATA_DIR": str(tmp_path / "var"), **s3_env(server, "cli")})
        hoso.ok("init", "--demo")
        scan = tmp_path / "page.png"
        scan.write_bytes(page(2, 2))
        # GIVEN the object store is down WHEN a page is put THEN it is spooled, not refused
        server.stop()
        put = hoso.ok("storage", "put", str(scan))
        assert put["spooled"] is True
        status = hoso.ok("storage", "status")
        assert status["reachable"] is False
        assert status["objects"] is None
        assert status["spooled"] == 1
        assert status["spool_bytes"] == len(page(2, 2))
        assert status["oldest_spooled"] is not None
        assert hoso.ok("storage", "sync", "--once") == {"uploaded": 0, "spooled": 1}
        # WHEN it is back THEN sync uploads the spool and the page is in the bucket
        server.start()
        assert hoso.ok("storage", "sync", "--once") == {"uploaded": 1, "spooled": 0}
        after = hoso.ok("storage", "status")
        assert (after["objects"], after["spooled"]) == (1, 0)
        assert hoso.ok("storage", "verify", "--sample", "1")["checked"] == 1
