"""Two witnesses in processes of their own on loopback, a quorum of 2, on SQLite and PostgreSQL.

The drills: the witnesses cosign every checkpoint with the consistency proof the protocol asks
for; a witness refuses a fork and a rollback, also after it was killed and started again; a
witness that stops answering delays only its own cosignature, never an append, and catches up;
and a log rewritten and signed again with the stolen key, its checkpoints and cosignatures
deleted, is caught by the checkpoints the witnesses cosigned.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from events.evidence.cosignature import CosignatureSigner, check_quorum
from events.evidence.keys import generate_keypair, load_verifier
from events.evidence.merkle import MerkleTree
from events.evidence.notes import Checkpoint, sign_checkpoint
from events.evidence.witness.client import Conflict, WitnessClient, WitnessEndpoint
from events.evidence.witness.cosigning import Cosigning, WakeWitnesses
from events.evidence.witness.protocol import AddCheckpoint
from events.export.offline import verify_export
from tests.conftest import ManualClock
from tests.hoso_cli import Hoso
from tests.integration.test_tamper_drills import Database, rebuild_consistently
from tests.servers.hoso import live_hoso
from tests.servers.witness import LiveWitness
from tests.witnessed import ORIGIN, Witnessed
from tracker.bootstrap import compose
from tracker.settings import Settings
from tracker.web import create_app


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_two_witnesses_cosign_every_checkpoint_with_a_quorum_of_two(
        witnessed: Witnessed, tmp_path: Path) -> None:
    """GIVEN two witnesses and a quorum of 2 WHEN three checkpoints are submitted, each after
    more events THEN both cosign each one (from the size they held: a consistency proof each
    time), the cosignatures are in the table and the folder, verify and the export pass, and an
    export held to a witness that never cosigned fails naming it."""
    hoso = Hoso(witnessed.env)
    for round_number in range(3):
        witnessed.record(2 + round_number)
        made = witnessed.checkpoint()
        answer = hoso.ok("witness", "submit")
        assert answer["quorum"]["met"] is True
        assert answer["size"] == made.size
        assert [witnessed.held(w) for w in witnessed.witnesses] == [made.size, made.size]
        assert len(witnessed.lines(made.size)) == 2
    folder = Path(witnessed.env["HOSO_DATA_DIR"]) / "checkpoints"
    assert len(list(folder.glob("*.cosignature"))) == 6
    status = hoso.ok("witness", "status")
    assert [(row["cosigned_size"], row["lag_leaves"]) for row in status] == [
        (made.size, 0), (made.size, 0)]
    verified = hoso.ok("audit", "verify")
    assert verified["intact"] is True
    assert verified["witnesses"]["quorum"]["met"] is True
    assert all(said.startswith(f"cosigned size {made.size}")
               for said in verified["witnesses"]["asked"].values())

    exported = hoso("audit", "export", witnessed.codes[0], "-o", str(tmp_path / "export.json"),
                    "--json")
    assert exported.code == 0, exported.stdout + exported.stderr
    document = json.loads((tmp_path / "export.json").read_text())
    witness_keys = [w.verifier for w in witnessed.witnesses]
    assert check_quorum(document["checkpoint"], [], witness_keys, 2).met
    report = verify_export(document, load_verifier(Path(witnessed.env["HOSO_AUDIT_PUBLIC_KEY"])),
                           witnesses=witness_keys, quorum=2)
    assert report.valid, report.problems
    stranger = CosignatureSigner.generate("w3.hoso.example/witness").verifier
    refused = hoso("audit", "verify-export", str(tmp_path / "export.json"), "--witness",
                   witnessed.witnesses[0].verifier.to_text(), "--witness", stranger.to_text(),
                   "--quorum", "2")
    assert refused.code == 1
    assert f"missing: {stranger.label}" in refused.stdout


def forged(witnessed: Witnessed, size: int, salt: bytes) -> str:
    """A checkpoint of ``size`` leaves the log's key signs over other leaves (a fork)."""
    tree = MerkleTree(hashlib.sha256(salt + bytes([n % 256])).digest() for n in range(size))
    checkpoint = Checkpoint(ORIGIN, size, tree.root(), witnessed.clock())
    return sign_checkpoint(checkpoint, witnessed.signer)


def genuine(witnessed: Witnessed, size: int) -> str:
    """A checkpoint of the log's own first ``size`` leaves, signed by its key."""
    tree = witnessed.log.tree()
    return sign_checkpoint(Checkpoint(ORIGIN, size, tree.root(size), witnessed.clock()),
                           witnessed.signer)


def test_a_witness_refuses_a_fork_and_a_rollback_also_after_a_restart(
        witnessed: Witnessed) -> None:
    """GIVEN both witnesses cosigned the log at N leaves WHEN the log's key signs another root
    for N leaves (a fork) or a checkpoint of fewer leaves (a rollback) THEN the witness answers
    409 with N and keeps each request as evidence; killed (SIGKILL) and started again on its
    state file it answers the same; the log's real next checkpoint is still cosigned."""
    hoso = Hoso(witnessed.env)
    witnessed.record(4)
    size = witnessed.checkpoint().size
    hoso.ok("witness", "submit")
    w1 = witnessed.witnesses[0]
    endpoint = WitnessEndpoint(w1.name, w1.url, w1.verifier)
    for attempt in ("running", "restarted"):
        if attempt == "restarted":
            w1.kill()
            w1.start()
        client = WitnessClient(endpoint, timeout=10)
        try:
            fork = client.add_checkpoint(AddCheckpoint(size, (), forged(witnessed, size, b"x")))
            smaller = witnessed.log.tree().consistency_proof(0, size - 2)
            rollback = client.add_checkpoint(AddCheckpoint(0, tuple(smaller),
                                                           genuine(witnessed, size - 2)))
        finally:
            client.close()
        assert fork == Conflict(size), attempt
        assert rollback == Conflict(size), attempt
        assert witnessed.held(w1) == size
    reasons = [json.loads(p.with_suffix(".json").read_text())["why"]
               for p in w1.evidence_files()]
    assert reasons == ["fork", "rollback", "fork", "rollback"]
    witnessed.record(1)
    grown = witnessed.checkpoint().size
    assert hoso.ok("witness", "submit")["quorum"]["met"] is True
    assert witnessed.held(w1) == grown > size


def test_an_unreachable_witness_delays_only_its_cosignature_and_catches_up(
        witnessed: Witnessed) -> None:
    """GIVEN the log's witness threads running and one witness paused (SIGSTOP: connections
    accepted, never answered) WHEN events are appended and checkpoints signed THEN no append
    or checkpoint waits for it, the other witness cosigns at once, verify fails naming the
    paused one, and once it resumes it cosigns the newest checkpoint and verify passes."""
    w1, w2 = witnessed.witnesses
    cosigning = Cosigning(witnessed.log.recorder, witnessed.services.cosignature_store(),
                          witnessed.services.cosignature_directory(),
                          witnessed.services.witness_endpoints(), timeout=1.0,
                          retry=(0.2, 1.0))
    log = witnessed.log
    log.sinks.append(WakeWitnesses(cosigning))
    stop = threading.Event()
    cosigning.start(stop, poll=0.2)
    hoso = Hoso(witnessed.env)
    try:
        witnessed.record(1)
        first = log.checkpoint(witnessed.signer, witnessed.clock())[0]
        wait_for(lambda: len(witnessed.lines(first.size)) == 2, 20, "both cosignatures")
        w2.pause()
        slowest = 0.0
        for _ in range(4):
            started = time.monotonic()
            witnessed.record(3)
            witnessed.clock.advance(seconds=1)
            newest = log.checkpoint(witnessed.signer, witnessed.clock())[0]
            slowest = max(slowest, time.monotonic() - started)
        assert slowest < 2.0, f"6 appends and a checkpoint took {slowest:.2f} s"
        labels = [w.verifier.label for w in (w1, w2)]
        wait_for(lambda: any(w1.name in line for line in witnessed.lines(newest.size)), 20,
                 "the reachable witness's cosignature")
        wait_for(lambda: cosigning.status()[1]["failures"] >= 1, 10, "a failed attempt")
        # the lane is updated just after the cosignature is stored
        wait_for(lambda: cosigning.status()[0]["lag_leaves"] == 0, 10, "the reachable lane")
        lane = {row["witness"]: row for row in cosigning.status()}
        assert lane[labels[1]]["lag_leaves"] > 0
        assert lane[labels[0]]["lag_leaves"] == 0
        refused = hoso("audit", "verify", "--json")
        assert refused.code == 1
        found = refused.json()
        assert found["witnesses"]["quorum"]["missing"] == [labels[1]]
        assert any(f["kind"] == "witnesses" and labels[1] in f["detail"]
                   for f in found["findings"])
        w2.resume()
        wait_for(lambda: len(witnessed.lines(newest.size)) == 2, 30,
                 "the resumed witness's cosignature")
        assert witnessed.held(w2) == newest.size
        assert hoso.ok("audit", "verify")["witnesses"]["quorum"]["met"] is True
    finally:
        stop.set()
        w2.resume()
        cosigning.close()


def test_a_rewritten_log_signed_again_with_the_stolen_key_is_caught_by_the_witnesses(
        witnessed: Witnessed, store_env: dict[str, str]) -> None:
    """GIVEN a log both witnesses cosigned WHEN an insider with the database and the signing
    key changes an event, recomputes every leaf, deletes every checkpoint and cosignature (table
    and folder) and signs the rewritten log again THEN the witnesses refuse to cosign it (and
    keep the request), and verify fails: the root each witness cosigned is not the rewritten
    tree's, and the quorum is missing. Without witnesses the same store would verify intact."""
    hoso = Hoso(witnessed.env)
    witnessed.record(4)
    size = witnessed.checkpoint().size
    hoso.ok("witness", "submit")
    db = Database(witnessed.custody, store_env)
    rebuild_consistently(db, 3)
    with db.cursor() as c:
        c.execute(f"DELETE FROM {db.events}_checkpoints")
        c.execute(f"DELETE FROM {db.events}_cosignatures")
    folder = Path(witnessed.env["HOSO_DATA_DIR"]) / "checkpoints"
    for path in folder.iterdir():
        path.unlink()
    resigned = witnessed.checkpoint()
    assert resigned.size == size
    submitted = hoso("witness", "submit", "--json")
    assert submitted.code == 1
    assert all(w.evidence_files() for w in witnessed.witnesses)
    result = hoso("audit", "verify", "--json")
    assert result.code == 1, result.stdout
    report: dict[str, Any] = result.json()
    rewritten = [f["detail"] for f in report["findings"] if f["kind"] == "checkpoint"]
    for witness in witnessed.witnesses:
        assert any(f"witness {witness.verifier.label}" in detail
                   and "history was rewritten" in detail for detail in rewritten), rewritten
    assert report["witnesses"]["quorum"]["met"] is False
    unwitnessed = {k: v for k, v in witnessed.env.items()
                   if k not in ("HOSO_WITNESSES", "HOSO_WITNESS_QUORUM")}
    assert Hoso(unwitnessed).ok("audit", "verify")["intact"] is True


def test_hoso_serve_has_each_checkpoint_it_signs_cosigned(
        store_env: dict[str, str], tmp_path: Path) -> None:
    """GIVEN two witnesses in HOSO_WITNESSES WHEN ``hoso serve`` signs a checkpoint of the store
    ``hoso init`` filled THEN both witnesses' cosignatures of it are stored, without anyone
    asking, and verify requires and finds them."""
    private, public = generate_keypair(tmp_path / "keys")
    witnesses = [LiveWitness(tmp_path / f"w{n}", f"w{n}.hoso.example/witness", ORIGIN, public)
                 for n in (1, 2)]
    env = {**store_env, "HOSO_AUDIT_KEY": str(private), "HOSO_AUDIT_PUBLIC_KEY": str(public),
           "HOSO_WITNESSES": ",".join(w.setting for w in witnesses), "HOSO_WITNESS_QUORUM": "2",
           "HOSO_CHECKPOINT_SECONDS": "1", "HOSO_CHECKPOINT_EVERY": "1"}
    hoso = Hoso(env)
    try:
        for witness in witnesses:
            witness.start()
        with live_hoso(env, tmp_path):
            def cosigned() -> bool:
                rows = hoso.ok("witness", "status")
                return all(r["cosigned_size"] and r["lag_leaves"] == 0 for r in rows)

            wait_for(cosigned, 60, "hoso serve's witness threads")
        verified = hoso.ok("audit", "verify")
        assert verified["witnesses"]["quorum"]["met"] is True
    finally:
        for witness in witnesses:
            witness.stop()


def test_readyz_names_a_lagging_witness_and_is_unready_only_without_the_quorum(
        witnessed: Witnessed, clock: ManualClock) -> None:
    """GIVEN a one-second signing window and both witnesses current WHEN one stops answering
    and stays behind the newest checkpoint longer than the window THEN /readyz names it; with a
    quorum of 1 the process stays ready, with a quorum of 2 it answers 503 saying why."""
    apps = {}
    for quorum in (1, 2):
        env = {**witnessed.env, "HOSO_CHECKPOINT_SECONDS": "1",
               "HOSO_WITNESS_QUORUM": str(quorum)}
        wired = compose(Settings.from_environ(env), clock=clock)
        apps[quorum] = (wired, create_app(wired, {"TESTING": True}).test_client())
    try:
        witnessed.record(1)
        witnessed.checkpoint()
        for wired, _ in apps.values():
            cosigning = wired.cosigning()
            assert cosigning is not None
            cosigning.submit_all()
        for _, client in apps.values():
            ready = client.get("/readyz")
            assert ready.status_code == 200, ready.json
            assert ready.json["checks"]["witnesses"]["lagging"] == []
        w2 = witnessed.witnesses[1]
        w2.stop()
        witnessed.record(1)
        witnessed.checkpoint()
        for wired, _ in apps.values():
            cosigning = wired.cosigning()
            assert cosigning is not None
            cosigning.submit_all()
        time.sleep(1.5)
        for wired, _ in apps.values():
            cosigning = wired.cosigning()
            assert cosigning is not None
            cosigning.submit_all()  # still unreachable: still behind
        one = apps[1][1].get("/readyz")
        assert one.status_code == 200, one.json
        assert one.json["checks"]["witnesses"]["lagging"] == [w2.verifier.label]
        row = next(r for r in one.json["checks"]["witnesses"]["witnesses"]
                   if r["witness"] == w2.verifier.label)
        assert row["behind_seconds"] > 1
        assert row["lag_leaves"] > 0
        two = apps[2][1].get("/readyz")
        assert two.status_code == 503
        assert any("quorum of 2 cannot be met" in p and w2.verifier.label in p
                   for p in two.json["problems"])
    finally:
        for wired, _ in apps.values():
            cosigning = wired.cosigning()
            if cosigning is not None:
                cosigning.close()
            wired.close()
