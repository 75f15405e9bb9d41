"""Nothing orphaned: a refused scan leaves no object, gc removes only unnamed old objects on the
real S3 server, killed writes are cleared, and a corrupt spool entry does not stop the others."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest

from storage.filesystem import PARTIAL, FilesystemObjectStore
from storage.spool import SpoolingObjectStore
from tests.cast import cast_from
from tests.hoso_cli import Hoso
from tests.integration.test_storage_faults import s3_env
from tests.servers.seaweedfs import SeaweedFS
from tests.station.pages import cover_file, text_page
from tests.station.test_station import receive
from tracker.application import CustodyApplication
from tracker.domain.province import Province
from tracker.province_file import demo_province_path, load_province_file


def test_gc_removes_only_unnamed_objects_older_than_the_grace(store_env: dict[str, str],
                                                              seaweedfs_server: SeaweedFS,
                                                              tmp_path: Path) -> None:
    hoso = Hoso({**store_env, **s3_env(seaweedfs_server, f"gc-{uuid.uuid4().hex[:8]}")})
    hoso.ok("init", "--demo")
    c = cast_from(Province(load_province_file(demo_province_path())))
    keys = []
    for name in ("named", "orphan"):
        (tmp_path / name).write_bytes(name.encode() * 1000)
        keys.append(hoso.ok("storage", "put", str(tmp_path / name))["key"])
    named, orphan = keys
    code = hoso.ok("receive", "--office", c.commune, "--procedure", c.procedure.code,
                   "--applicant-name", "Lê Thị Mai", "--applicant-id", "037195000111",
                   *(a for comp in c.components for a in ("--component", comp)),
                   "--actor", c.receiver)["code"]
    hoso.ok("digitise", code, "--by", c.receiver, "--page", named)
    # GIVEN one object a Digitised event names and one nothing names
    status = hoso.ok("storage", "status")
    assert (status["objects"], status["orphans"]) == (2, 1)
    # WHEN gc runs with the default grace THEN the young orphan is kept
    young = hoso.ok("storage", "gc", "--dry-run")
    assert (young["orphans"], young["kept_younger_than_grace"]) == ([], 1)
    # WHEN the grace has passed THEN a dry run lists it and --yes removes it, only it
    time.sleep(1.1)
    assert hoso.ok("storage", "gc", "--dry-run", "--grace-hours", "0")["orphans"] == [orphan]
    assert hoso.ok("storage", "status")["objects"] == 2
    assert hoso.ok("storage", "gc", "--yes", "--grace-hours", "0")["removed"] == 1
    after = hoso.ok("storage", "status")
    assert (after["objects"], after["orphans"]) == (1, 0)
    assert hoso.ok("storage", "verify")["missing"] == []
    # AND gc needs exactly one of --dry-run and --yes, refused in one line with exit 2
    refused = hoso("storage", "gc")
    assert refused.code == 2


def test_killed_writes_are_cleared_at_start_when_old(tmp_path: Path) -> None:
    partial = tmp_path / "objects" / PARTIAL
    partial.mkdir(parents=True)
    old, fresh = partial / "tmpold", partial / "tmpfresh"
    old.write_bytes(b"half a page")
    fresh.write_bytes(b"a write in progress")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    store = FilesystemObjectStore(tmp_path / "objects")
    store.put(b"a page")
    assert sorted(p.name for p in partial.iterdir()) == ["tmpfresh"]


def test_a_corrupt_spool_entry_is_moved_aside_and_the_others_go_on(tmp_path: Path) -> None:
    primary = FilesystemObjectStore(tmp_path / "primary")
    spool = SpoolingObjectStore(primary, tmp_path / "spool")
    spool._retry_at = float("inf")  # as after an outage: puts only queue
    keys = [spool.put(f"page {n}".encode() * 100).key for n in range(3)]
    entries = sorted((tmp_path / "spool" / "queue").iterdir())
    entries[0].write_text("not a key")  # a torn entry
    (tmp_path / "spool" / "objects" / keys[1]).write_bytes(b"forged")  # a damaged copy
    # WHEN the queue is synced THEN the good entry goes up and the bad ones are set aside
    assert spool.sync_once() == 1
    assert list(primary.keys()) == [keys[2]]
    status = spool.status()
    assert (status.objects, status.rejected) == (0, 2)
    assert sorted(spool.rejected()) == sorted(e.name for e in entries[:2])


@pytest.mark.parametrize("backend", ["sqlite"])
def test_objects_of_an_upload_refused_by_custody_are_not_left_behind(
        custody: CustodyApplication, tmp_path: Path) -> None:
    from scanning.station import Station
    from tracker.station_link import InProcessTracker

    cast = cast_from(custody.province())
    code = receive(custody, cast)
    files = [cover_file(code, tmp_path / "0-cover.png", tmp_path),
             text_page(["Đơn đề nghị"], tmp_path / "1.png")]

    def refuse(command: object, key: str | None) -> dict:
        from tracker.domain.errors import N_, Forbidden

        raise Forbidden(N_("this token belongs to station {name}, not {station}"),
                        name="a", station="b")

    station = Station(custody.objects, InProcessTracker(custody, refuse), "st-1",
                      cast.receiver, jobs=1)
    before = sorted(custody.objects.keys())
    report = station.process(files)
    # THEN the dossier is not recorded, and no object the scan stored is left behind
    assert not report.dossiers[0].recorded
    assert sorted(custody.objects.keys()) == before
