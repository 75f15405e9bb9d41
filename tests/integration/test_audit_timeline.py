"""``hoso audit timeline CODE --json`` on SQLite and PostgreSQL: each step of a dossier proven
against the latest signed checkpoint, or said why not.

The ``logged`` store and the drills come from test_tamper_drills.py: three dossiers received,
handed over and accepted, and one checkpoint signed over them.
"""

from __future__ import annotations

from pathlib import Path

from events.evidence.keys import load_verifier
from events.evidence.log import TamperEvidentLog
from tests.cast import cast_from
from tests.conftest import ManualClock
from tests.hoso_cli import Hoso
from tests.integration import test_tamper_drills as drills
from tests.integration.test_audit_export import first_code, target
from tracker.application import CustodyApplication

logged = drills.logged
Logged = tuple[TamperEvidentLog, Path, drills.Database]


def hoso(store_env: dict[str, str], public: Path) -> Hoso:
    return Hoso({**store_env, "HOSO_AUDIT_PUBLIC_KEY": str(public)})


def test_every_step_is_verified_against_the_latest_checkpoint(
        logged: Logged, store_env: dict[str, str], custody: CustodyApplication) -> None:
    log, public, db = logged
    code = first_code(db)
    latest = log.latest_checkpoint()
    assert latest is not None
    c = cast_from(custody.province())
    # WHEN an inspector asks for the timeline of a dossier the checkpoint covers
    found = hoso(store_env, public).ok("audit", "timeline", code)
    # THEN each step says who, where and when, and is verified against that checkpoint
    assert found["verified"] is True
    assert [e["type"] for e in found["events"]] == ["Received", "HandedOver", "Accepted"]
    assert [e["actor"] for e in found["events"]] == [c.receiver, c.receiver, c.official]
    assert [e["office"] for e in found["events"]] == [c.commune, c.commune, c.agency]
    assert found["events"][1]["to_office"] == c.agency
    checkpoint = {"size": latest.size, "time": latest.time.isoformat(),
                  "fingerprint": latest.fingerprint}
    for event in found["events"]:
        assert event["verified"] is True
        assert event["reason"] is None
        assert {k: event["checkpoint"][k] for k in checkpoint} == checkpoint
        assert event["checkpoint"]["key"].startswith(load_verifier(public).name + "+")
        assert event["leaf_index"] is not None
        assert event["time"]
        assert set(event) >= {"device", "bag", "device_time", "late", "custodian"}


def test_a_step_after_the_newest_checkpoint_is_not_yet_covered(
        logged: Logged, store_env: dict[str, str], custody: CustodyApplication,
        clock: ManualClock) -> None:
    _, public, db = logged
    code = first_code(db)
    c = cast_from(custody.province())
    clock.advance(minutes=10)
    custody.resolve(code, c.official)
    # WHEN a step was recorded after the newest checkpoint
    done = hoso(store_env, public)("audit", "timeline", code, "--json")
    # THEN it is not verified, for that reason, and the command exits 1
    assert done.code == 1, done.stderr
    events = done.json()["events"]
    assert [e["verified"] for e in events] == [True, True, True, False]
    assert events[3]["type"] == "Resolved"
    assert events[3]["reason"] == "not yet covered by a checkpoint"
    assert events[3]["checkpoint"] is None
    # … and the human lines say so
    lines = hoso(store_env, public)("audit", "timeline", code).stdout
    assert "Resolved by" in lines
    assert "NOT VERIFIED: not yet covered by a checkpoint" in lines


def test_a_changed_event_fails_naming_the_leaf_mismatch(
        logged: Logged, store_env: dict[str, str]) -> None:
    _, public, db = logged
    code = first_code(db)
    # GIVEN an insider flips one byte of the dossier's HandedOver with plain SQL
    drills.flip_a_byte(db, target(db))
    # WHEN the timeline is asked for
    done = hoso(store_env, public)("audit", "timeline", code, "--json")
    # THEN that step is not verified, naming the leaf hash mismatch; the others still are
    assert done.code == 1, done.stderr
    events = done.json()["events"]
    assert [e["verified"] for e in events] == [True, False, True]
    assert events[1]["reason"].startswith("leaf hash mismatch at leaf ")
    assert events[1]["checkpoint"] is None


def test_a_checkpoint_signed_by_another_key_verifies_nothing(
        logged: Logged, store_env: dict[str, str], tmp_path: Path) -> None:
    from events.evidence.keys import generate_keypair

    _, _, db = logged
    _, other = generate_keypair(tmp_path / "other")
    done = hoso(store_env, other)("audit", "timeline", first_code(db), "--json")
    assert done.code == 1, done.stderr
    found = done.json()
    assert found["checkpoint"] is None
    assert found["problem"].startswith("the newest checkpoint does not verify")
    assert not any(e["verified"] for e in found["events"])


def test_as_of_gives_the_steps_up_to_that_moment(
        logged: Logged, store_env: dict[str, str]) -> None:
    _, public, db = logged
    code = first_code(db)
    cli = hoso(store_env, public)
    every = cli.ok("audit", "timeline", code)["events"]
    before = cli.ok("audit", "timeline", code, "--as-of", every[0]["time"])["events"]
    assert [e["type"] for e in before] == ["Received"]
    assert cli("audit", "timeline", "NOT-A-CODE").code == 2


def test_a_bag_and_a_late_device_time_are_shown_beside_the_record_time(
        custody: CustodyApplication, store_env: dict[str, str], clock: ManualClock,
        tmp_path: Path) -> None:
    from datetime import timedelta

    from events.evidence.keys import generate_keypair
    from tracker import bags

    c = cast_from(custody.province())
    code = custody.receive(office=c.commune, procedure=c.procedure.code, applicant_name="Bảo",
                           applicant_id="035190001111", actor=c.receiver,
                           components=c.components)["code"]
    bag = bags.create(custody, c.receiver, c.agency, [code])["bag"]
    bags.hand_over(custody, bag, c.receiver, c.courier)
    clock.advance(minutes=40)
    scanned_at = clock() - timedelta(minutes=30)  # the courier's phone was offline
    bags.accept(custody, bag, c.official, c.agency, device="phone-7", device_time=scanned_at)
    private, public = generate_keypair(tmp_path / "keys")
    signed = Hoso({**store_env, "HOSO_AUDIT_KEY": str(private)})("audit", "checkpoint")
    assert signed.code == 0, signed.stderr
    events = hoso(store_env, public).ok("audit", "timeline", code)["events"]
    handed, accepted = events[1], events[2]
    assert handed["type"] == "HandedOver"
    assert handed["bag"] == bag
    assert accepted["bag"] == bag
    assert accepted["device"] == "phone-7"
    assert accepted["device_time"] == scanned_at.isoformat()
    assert accepted["late"] is True
    assert accepted["time"] != accepted["device_time"]
    assert all(e["verified"] for e in events)
