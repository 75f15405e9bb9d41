"""``hoso audit export`` and ``verify-export`` on SQLite and PostgreSQL: an export verifies with
only the file and the public key, and each tamper drill is caught by an earlier export.

The drills and the ``logged`` store come from test_tamper_drills.py: an insider alters the
tables with plain SQL; the server, unaware, keeps working and signs new checkpoints.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from events.evidence.keys import load_signer, load_verifier
from events.evidence.log import TamperEvidentLog
from events.export.files import load_export
from events.export.offline import verify_export
from tests.cast import cast_from
from tests.conftest import ManualClock
from tests.hoso_cli import Hoso, Result
from tests.integration import test_tamper_drills as drills
from tracker.application import CustodyApplication

logged = drills.logged  # the fixture: three dossiers' custody and one signed checkpoint
Database = drills.Database
def target(db: Database) -> int:
    """The row of the first dossier's HandedOver (after the province's, the store's and the
    code sequence's rows, and the dossier's receipt)."""
    rows = db.rows()
    return next(n for n, row in enumerate(rows) if row[3].endswith("Dossier.HandedOver"))
# "hoso audit export" as the audit group will offer it once registered (see register())
_RUN = """
import sys
from tracker.cli.audit import audit
from tracker.cli.audit_export import register
if "export" not in audit.commands:
    register(audit)
from tracker.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


class Cli(Hoso):
    def __call__(self, *args: str) -> Result:
        done = subprocess.run([sys.executable, "-c", _RUN, *args], env=self.env,
                              capture_output=True, text=True, timeout=120)
        return Result(done.returncode, done.stdout, done.stderr)


Logged = tuple[TamperEvidentLog, Path, Database]


def exporter(store_env: dict[str, str], public: Path) -> Cli:
    return Cli({**store_env, "HOSO_AUDIT_PUBLIC_KEY": str(public)})


def inspector(tmp_path: Path) -> Cli:
    """An environment with no store at all: a database hoso would try to open is unreachable."""
    return Cli({"HOSO_DATA_DIR": str(tmp_path / "no-store"),
                "HOSO_DATABASE_URL": "postgresql://nobody:none@127.0.0.1:9/nothing"})


DRILLS = {name: tamper for name, (tamper, _) in drills.DRILLS.items()}


def first_code(db: Database) -> str:
    rows = db.rows()
    received = rows[target(db) - 1]
    assert received[3].endswith("Dossier.Received")
    return str(json.loads(received[4])["code"])


@pytest.mark.parametrize("form", ["json", "csv", "pdf"])
def test_an_export_in_each_format_verifies_offline(
        logged: Logged, store_env: dict[str, str], tmp_path: Path, form: str) -> None:
    _, public, db = logged
    code = first_code(db)
    out = tmp_path / "exports" / f"slip.{form}"
    out.parent.mkdir()
    # GIVEN an export written by the server, which checks it before writing it
    made = exporter(store_env, public)("audit", "export", code, "--format", form, "-o", str(out))
    assert made.code == 0, made.stderr
    assert made.stdout.splitlines()[1].startswith(f"VALID: {code}, 3 of 3 events proven")
    # WHEN the store is gone (SQLite: its directory deleted) and only the file and key remain
    if "HOSO_DATABASE_URL" not in store_env:
        shutil.rmtree(store_env["HOSO_DATA_DIR"])
    checked = inspector(tmp_path)("audit", "verify-export", str(out),
                                  "--public-key", public.read_text().strip(), "--json")
    # THEN it verifies, and no store was opened or created
    assert checked.code == 0, checked.stdout + checked.stderr
    assert checked.json()["valid"] is True
    assert checked.json()["proven"] == 3
    assert not (tmp_path / "no-store").exists()
    assert verify_export(load_export(out), load_verifier(public)).valid


def test_the_pdf_slip_keeps_vietnamese_text_and_the_fingerprint(
        logged: Logged, store_env: dict[str, str], tmp_path: Path) -> None:
    log, public, db = logged
    out = tmp_path / "slip.pdf"
    made = exporter(store_env, public)("audit", "export", first_code(db), "-o", str(out),
                                       "--json")
    assert made.code == 0, made.stderr
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True,
                          text=True, check=True).stdout
    latest = log.latest_checkpoint()
    assert latest is not None
    for words in ("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", first_code(db), "Tiếp nhận",
                  "Bàn giao", "Nhận hồ sơ", "Người nộp hồ sơ", "Người 0",
                  "Đã xác minh: nhật ký không bị sửa đổi", latest.fingerprint,
                  made.json()["checkpoint"]["fingerprint"]):
        assert words in text, words


def test_events_after_the_latest_checkpoint_are_exported_with_a_warning(
        logged: Logged, custody: CustodyApplication, store_env: dict[str, str],
        tmp_path: Path) -> None:
    _, public, db = logged
    code = first_code(db)
    c = cast_from(custody.province())
    custody.resolve(code, c.official)
    out = tmp_path / "e.csv"
    made = exporter(store_env, public)("audit", "export", code, "-o", str(out))
    assert made.code == 0, made.stderr
    assert "warning: position" in made.stdout
    leaf = len(db.rows()) - 1  # the Resolved just recorded is the log's last leaf
    assert f"(Resolved v4, leaf {leaf}): not yet covered by a checkpoint" in made.stdout


def test_export_needs_a_checkpoint_and_verify_export_says_what_is_wrong(
        custody: CustodyApplication, store_env: dict[str, str], tmp_path: Path) -> None:
    from events.evidence.keys import generate_keypair

    c = cast_from(custody.province())
    code = custody.receive(office=c.commune, procedure=c.procedure.code, applicant_name="Lê C",
                           applicant_id="001", actor=c.receiver, components=c.components)["code"]
    private, public = generate_keypair(tmp_path / "keys")
    cli = exporter(store_env, public)
    # no checkpoint yet: exit 2, saying what to run
    early = cli("audit", "export", code, "-o", str(tmp_path / "e.json"))
    assert early.code == 2
    assert "run 'hoso audit checkpoint' first" in early.stderr
    assert not (tmp_path / "e.json").exists()
    signed = Cli({**store_env, "HOSO_AUDIT_KEY": str(private)})("audit", "checkpoint")
    assert signed.code == 0, signed.stderr
    assert cli("audit", "export", code, "-o", str(tmp_path / "e.json")).code == 0
    # another key: INVALID (exit 1); not an export, or no file: exit 2
    _, other = generate_keypair(tmp_path / "other")
    wrong = inspector(tmp_path)("audit", "verify-export", str(tmp_path / "e.json"),
                                "--public-key", str(other))
    assert wrong.code == 1
    assert wrong.stdout.startswith("INVALID")
    assert "not validly signed" in wrong.stdout
    (tmp_path / "junk.json").write_text("{ not json")
    for path in (tmp_path / "junk.json", tmp_path / "missing.json"):
        bad = inspector(tmp_path)("audit", "verify-export", str(path), "--public-key",
                                  str(public))
        assert bad.code == 2, bad.stdout + bad.stderr
        assert bad.stderr.startswith("hoso: ")


# what verify-export names for each drill, given the export made before it
CAUGHT = {
    "one byte changed": "changed, moved or replaced since",
    "a row deleted": "missing from this export",
    "two rows swapped": "changed, moved or replaced since",
    "a forged event inserted": "no leaf in the log",
    "an event slipped in before the first": "no leaf in the log",
    "rebuilt consistently without the key": "cannot prove the earlier checkpoint is a prefix",
}
LATER_FORMAT = dict(zip(CAUGHT, ["pdf", "csv", "json", "csv", "json", "pdf"], strict=True))


@pytest.mark.parametrize("drill", DRILLS, ids=list(DRILLS))
def test_every_drill_is_caught_offline_by_an_earlier_export(
        logged: Logged, custody: CustodyApplication, store_env: dict[str, str],
        tmp_path: Path, clock: ManualClock, drill: str) -> None:
    log, public, db = logged
    code = first_code(db)
    cli = exporter(store_env, public)
    earlier, later = tmp_path / "e1.json", tmp_path / f"e2.{LATER_FORMAT[drill]}"
    # GIVEN an export made (and kept by an inspector) before the tampering
    assert cli("audit", "export", code, "-o", str(earlier)).code == 0
    # WHEN an insider alters the tables, and the unaware server goes on and signs again
    DRILLS[drill](db, target(db))
    c = cast_from(custody.province())
    clock.advance(minutes=30)
    custody.receive(office=c.commune, procedure=c.procedure.code, applicant_name="Sau",
                    applicant_id="777", actor=c.receiver, components=c.components)
    log.checkpoint(load_signer(public.with_name("audit.key")), clock())
    made = cli("audit", "export", code, "-o", str(later))
    # THEN the server's own check of the new export fails, but the file is written …
    assert made.code == 1, made.stdout + made.stderr
    assert "INVALID" in made.stdout
    assert later.exists()
    offline = inspector(tmp_path)
    key = ("--public-key", str(public))
    # … the new export alone is INVALID, and held against the earlier one the drill is named
    alone = offline("audit", "verify-export", str(later), *key)
    assert alone.code == 1, alone.stdout + alone.stderr
    both = offline("audit", "verify-export", str(later), *key, "--earlier", str(earlier))
    assert both.code == 1, both.stdout + both.stderr
    assert both.stdout.startswith(f"INVALID: {code}")
    assert CAUGHT[drill] in both.stdout, both.stdout
    if later.suffix == ".pdf":
        text = subprocess.run(["pdftotext", str(later), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "KHÔNG XÁC MINH ĐƯỢC" in text


def test_a_rebuild_that_also_drops_the_stored_checkpoints_is_caught_only_with_the_earlier_export(
        logged: Logged, custody: CustodyApplication, store_env: dict[str, str],
        tmp_path: Path, clock: ManualClock) -> None:
    log, public, db = logged
    cli = exporter(store_env, public)
    earlier = tmp_path / "e1.json"
    assert cli("audit", "export", first_code(db), "-o", str(earlier)).code == 0
    # GIVEN the first dossier's handover rewritten, every leaf rebuilt, the checkpoints dropped
    drills.rebuild_consistently(db, target(db))
    recorder = custody.recorder
    table = recorder.checkpoints_table_name  # type: ignore[attr-defined]
    if db.postgres:
        table = f"{db.events.split('.')[0]}.{table}"
    with db.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
    log.checkpoint(load_signer(public.with_name("audit.key")), clock.advance(minutes=30))
    # WHEN the third dossier (untouched) is exported against the new checkpoint
    receipts = [row for row in db.rows() if row[3].endswith("Dossier.Received")]
    third = str(json.loads(receipts[2][4])["code"])
    later = tmp_path / "e2.csv"
    assert cli("audit", "export", third, "-o", str(later)).code == 0
    # THEN alone it verifies (the rebuilt log is self-consistent) …
    offline = inspector(tmp_path)
    key = ("--public-key", str(public))
    assert offline("audit", "verify-export", str(later), *key).code == 0
    # … and against the earlier export the rewrite shows
    both = offline("audit", "verify-export", str(later), *key, "--earlier", str(earlier),
                   "--json")
    assert both.code == 1
    messages = [p["message"] for p in both.json()["problems"]]
    assert any("cannot prove the earlier checkpoint is a prefix" in m for m in messages)
