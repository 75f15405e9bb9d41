"""The backup and restore drill of docs/BACKUP.md, on PostgreSQL and the SeaweedFS S3 server.

A day's work (dossiers received, their scans stored, handed over; checkpoints signed and cosigned
by two live witnesses) is backed up as the procedure says: ``pg_dump`` of the store, a mirror of
the bucket, a copy of the data directory's keys and checkpoint copies. Then everything is wiped
(the schema dropped, the bucket emptied and removed, the data directory deleted) and restored
from the backup: ``audit verify``, ``storage verify`` and ``project verify`` pass, and the
witnesses, whose state lives apart from the backup, agree with the restored log. Restoring an
older backup, one taken before the witnesses cosigned a larger log, is caught by them.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from events.evidence.keys import load_signer
from events.evidence.witness.state import WitnessState
from tests.cast import Cast, cast_from
from tests.conftest import postgres_schema, postgres_test_url
from tests.hoso_cli import Hoso
from tests.integration.test_storage_faults import s3_env
from tests.servers.seaweedfs import SeaweedFS
from tests.servers.witness import LiveWitness
from tests.witnessed import ORIGIN
from tracker.bootstrap import compose
from tracker.settings import Settings

PG_BIN = Path("/usr/lib/postgresql/15/bin")


@dataclass
class Site:
    """One province's store (a PostgreSQL schema), bucket and data directory, and its backups."""

    url: str
    schema: str
    s3: SeaweedFS
    bucket: str
    data_dir: Path
    backups: Path

    def backup(self, name: str) -> Path:
        """The procedure's three parts: the dump, the bucket's mirror, the keys and checkpoints."""
        into = self.backups / name
        (into / "bucket").mkdir(parents=True)
        subprocess.run([PG_BIN / "pg_dump", "--format=custom", f"--schema={self.schema}",
                        f"--file={into / 'store.dump'}", self.url], check=True)
        client = self.s3.client()
        for found in client.list_objects(self.bucket, recursive=True):
            assert found.object_name is not None
            client.fget_object(self.bucket, found.object_name,
                               str(into / "bucket" / found.object_name))
        for part in ("keys", "checkpoints"):
            shutil.copytree(self.data_dir / part, into / "data" / part)
        return into

    def wipe(self) -> None:
        """Lose everything the backup covers: the schema, the bucket and the data directory."""
        with psycopg.connect(self.url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
        client = self.s3.client()
        if client.bucket_exists(self.bucket):
            for found in list(client.list_objects(self.bucket, recursive=True)):
                assert found.object_name is not None
                client.remove_object(self.bucket, found.object_name)
            client.remove_bucket(self.bucket)
        shutil.rmtree(self.data_dir)

    def restore(self, backup: Path) -> None:
        subprocess.run([PG_BIN / "pg_restore", "--exit-on-error", "--no-owner",
                        f"--dbname={self.url}", backup / "store.dump"], check=True)
        client = self.s3.client()
        client.make_bucket(self.bucket)
        for path in sorted((backup / "bucket").rglob("*")):
            if path.is_file():
                client.fput_object(self.bucket, str(path.relative_to(backup / "bucket")),
                                   str(path))
        shutil.copytree(backup / "data", self.data_dir)

    def events(self) -> int:
        with psycopg.connect(self.url) as db:
            row = db.execute(
                f"SELECT count(*) FROM {self.schema}.custodyapplication_events").fetchone()
        assert row is not None
        return int(row[0])

    def objects(self) -> list[str]:
        return sorted(o.object_name or "" for o in
                      self.s3.client().list_objects(self.bucket, recursive=True))


@pytest.fixture
def site(seaweedfs_server: SeaweedFS, tmp_path: Path) -> Iterator[Site]:
    with postgres_schema("drill") as schema:
        here = Site(postgres_test_url(), schema, seaweedfs_server,
                    f"drill-{uuid.uuid4().hex[:8]}", tmp_path / "var", tmp_path / "backups")
        try:
            yield here
        finally:
            with suppress(Exception):
                here.wipe()


def a_days_work(env: dict[str, str], dossiers: int, first: int) -> int:
    """Dossiers received, two scanned pages each stored and recorded, then handed over; then a
    checkpoint signed and sent to the witnesses, both of whom cosign it. Its size."""
    wired = compose(Settings.from_environ(env))
    try:
        custody = wired.application()
        cast: Cast = cast_from(custody.province())
        for n in range(first, first + dossiers):
            code = custody.receive(
                office=cast.commune, procedure=cast.procedure.code,
                applicant_name=f"Người Thứ {n}", applicant_id=f"{n:012d}", actor=cast.receiver,
                components=cast.components)["code"]
            pages = [custody.objects.put(f"hồ sơ {n} — trang {p}\n".encode() * 2000).key
                     for p in (1, 2)]
            custody.digitise(code, cast.receiver, pages)
            custody.hand_over(code, cast.receiver, cast.agency, courier=cast.courier)
        signer = load_signer(Path(env["HOSO_DATA_DIR"]) / "keys" / "audit.key")
        made, _ = wired.tamper_evident_log().checkpoint(signer, datetime.now(UTC))
        cosigning = wired.cosigning()
        assert cosigning is not None
        try:
            cosigning.submit_all()
        finally:
            cosigning.close()
        assert len(wired.cosignature_store().lines_for(made.size)) == 2
        return made.size
    finally:
        wired.close()


def held(witness: LiveWitness) -> int:
    """The size of the log the witness last cosigned, from its own state file."""
    state = WitnessState(witness.state, witness.verifier.label)
    assert state.load()
    return state.head(ORIGIN).size


def test_a_backup_restores_to_a_verified_log_and_a_stale_one_is_caught_by_the_witnesses(
        site: Site, tmp_path: Path) -> None:
    """GIVEN a day's work with scans in the bucket, checkpoints both witnesses cosigned, a
    backup taken, then more work cosigned and a second backup WHEN the store, bucket and data
    directory are wiped and the second backup restored THEN every object and event is back and
    audit, storage and project verify pass with the witnesses agreeing; WHEN instead the first
    (stale) backup is restored THEN audit verify fails: the witnesses vouch for more of the log
    than the restored store holds."""
    env = {"HOSO_DATA_DIR": str(site.data_dir),
           "HOSO_DATABASE_URL": f"{site.url}?schema={site.schema}",
           **s3_env(site.s3, site.bucket)}
    Hoso(env).ok("init", "--demo")  # makes the audit key in HOSO_DATA_DIR/keys
    witnesses = [LiveWitness(tmp_path / f"w{n}", f"w{n}.hoso.example/witness", ORIGIN,
                             site.data_dir / "keys" / "audit.pub") for n in (1, 2)]
    for witness in witnesses:
        witness.start()
    try:
        env |= {"HOSO_WITNESSES": ",".join(w.setting for w in witnesses),
                "HOSO_WITNESS_QUORUM": "2"}
        hoso = Hoso(env)
        old_size = a_days_work(env, 3, first=1)
        stale = site.backup("stale")
        size = a_days_work(env, 2, first=4)
        assert size > old_size
        fresh = site.backup("fresh")
        objects, events = site.objects(), site.events()
        assert len(objects) == 10  # two pages for each of the five dossiers

        # WHEN everything is lost and the fresh backup restored
        site.wipe()
        assert not site.s3.client().bucket_exists(site.bucket)
        assert not site.data_dir.exists()
        site.restore(fresh)
        # THEN every object and event is back, and the three checks pass
        assert (site.objects(), site.events()) == (objects, events)
        audit: dict[str, Any] = hoso.ok("audit", "verify")
        assert audit["intact"] is True, audit
        assert audit["witnesses"]["quorum"]["met"] is True
        storage = hoso.ok("storage", "verify")
        assert storage["missing"] == [], storage
        views = hoso("project", "verify")
        assert views.code == 0, views.stderr
        # AND the witnesses, whose state was never in the backup, hold exactly the restored log
        assert [held(w) for w in witnesses] == [size, size] == [audit["leaves"]] * 2

        # WHEN the stale backup is restored instead
        site.wipe()
        site.restore(stale)
        stale_audit = hoso("audit", "verify", "--json")
        # THEN the witnesses catch it: they cosigned leaves the restored store does not have
        assert stale_audit.code == 1, stale_audit.stdout
        report: dict[str, Any] = stale_audit.json()
        short = [f["detail"] for f in report["findings"] if f["kind"] == "missing"]
        for witness in witnesses:
            assert any(f"witness {witness.verifier.label}" in detail
                       and f"vouches for {size} leaves" in detail for detail in short), short
    finally:
        for witness in witnesses:
            witness.stop()
