"""Checkpoints always on, on SQLite and PostgreSQL: ``hoso init`` makes the signing key and signs,
``hoso serve`` refuses to start without a key and signs within HOSO_CHECKPOINT_SECONDS of every
commit (and what is left when it stops), several signers keep only growing checkpoints, and
``hoso audit verify`` fails on events left unsigned too long.
"""

from __future__ import annotations

import os
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from events.evidence.checkpointer import Checkpointer
from events.evidence.checkpoints import CheckpointPolicy
from events.evidence.keys import generate_keypair, load_signer
from events.evidence.log import TamperEvidentLog
from events.evidence.notes import Checkpoint, note_text
from events.evidence.signing_keys import FixedKey
from tests.cast import cast_from
from tests.hoso_cli import Hoso
from tests.servers.hoso import HOSO, free_port
from tests.servers.process import die_with_parent, log_tail, terminate
from tracker.bootstrap import Services, compose
from tracker.settings import Settings


def record_something(hoso: Hoso) -> None:
    """One more event in the log, through the CLI: an API token made for a demo receiver."""
    hoso.ok("token", "create", "--staff", "hnm-rcv-001")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_makes_the_key_in_the_data_folder_and_signs(store_env: dict[str, str]) -> None:
    """GIVEN a fresh store and no HOSO_AUDIT_KEY WHEN hoso init runs (twice)
    THEN HOSO_DATA_DIR/keys holds audit.key (0600, folder 0700) and audit.pub, made once and
    named in the output; a checkpoint covers the province's events, so verify passes at once."""
    hoso = Hoso(store_env)
    keys = Path(store_env["HOSO_DATA_DIR"]) / "keys"
    first = hoso.ok("init", "--demo")
    assert first["audit_key"] == {"private_key": str(keys / "audit.key"),
                                  "public_key": str(keys / "audit.pub"), "made": True}
    assert (mode(keys), mode(keys / "audit.key"), mode(keys / "audit.pub")) == (
        0o700, 0o600, 0o644)
    key = (keys / "audit.key").read_bytes()
    again = hoso("init", "--demo")
    assert again.code == 0
    assert f"audit key: {keys / 'audit.key'};" in again.stdout
    assert "made now" not in again.stdout
    assert (keys / "audit.key").read_bytes() == key
    verified = hoso.ok("audit", "verify")
    assert verified["intact"] is True
    assert verified["newest_checkpoint"]["size"] == verified["leaves"] == first["checkpoint"][
        "size"] > 0
    assert verified["unsigned"]["events"] == 0
    if "HOSO_DATABASE_URL" not in store_env:  # never inside the database
        secret = key.decode().strip().encode()
        store = Path(store_env["HOSO_DATA_DIR"]) / "hoso.sqlite"
        for part in (store, store.with_name("hoso.sqlite-wal")):
            assert secret not in (part.read_bytes() if part.exists() else b"")


def test_init_uses_the_key_hoso_audit_key_names(store_env: dict[str, str],
                                                 tmp_path: Path) -> None:
    private, public = generate_keypair(tmp_path / "elsewhere")
    done = Hoso({**store_env, "HOSO_AUDIT_KEY": str(private)}).ok("init", "--demo")
    assert done["audit_key"] == {"private_key": str(private), "public_key": str(public),
                                 "made": False}
    assert not (Path(store_env["HOSO_DATA_DIR"]) / "keys" / "audit.key").exists()


def test_serve_refuses_to_start_without_a_key_naming_how_to_make_one(
        store_env: dict[str, str]) -> None:
    hoso = Hoso(store_env)
    hoso.ok("init", "--demo")
    (Path(store_env["HOSO_DATA_DIR"]) / "keys" / "audit.key").unlink()
    done = hoso("serve", "--port", str(free_port()))
    assert done.code == 2
    line, = done.stderr.strip().splitlines()
    assert "no audit signing key: run 'hoso init'" in line
    assert "HOSO_AUDIT_KEY" in line


def serving(env: dict[str, str], folder: Path) -> subprocess.Popen[bytes]:
    """``hoso serve`` on a free port, once it answers; its output goes to a log in ``folder``."""
    port = free_port()
    log = folder / f"serve-{port}.log"
    with log.open("wb") as out:
        server = subprocess.Popen([str(HOSO), "serve", "--port", str(port)],
                                  env={**os.environ, **env}, stdout=out,
                                  stderr=subprocess.STDOUT, preexec_fn=die_with_parent())
    deadline = time.monotonic() + 30
    while b"\"message\": \"serving " not in log.read_bytes():  # hoso.serve's JSON line
        assert server.poll() is None, log_tail(log)
        assert time.monotonic() < deadline, log_tail(log)
        time.sleep(0.1)
    return server


@contextmanager
def watched_serve(env: dict[str, str], folder: Path) -> Iterator[TamperEvidentLog]:
    """``hoso serve`` on a store ``hoso init --demo`` made, and the log it signs as this
    process reads it; the server is stopped at the end."""
    Hoso(env).ok("init", "--demo")
    server = serving(env, folder)
    watcher = compose(Settings.from_environ(env))
    try:
        yield watcher.tamper_evident_log()
    finally:
        terminate(server, timeout=20)
        watcher.close()


def signed_within(log: TamperEvidentLog, size: int, seconds: float, failure: str) -> None:
    """Wait until a checkpoint covers ``size`` leaves; ``failure`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while (latest := log.latest_checkpoint()) is None or latest.size < size:
        assert time.monotonic() < deadline, failure
        time.sleep(0.05)


def test_serve_signs_within_the_window_after_a_commit(store_env: dict[str, str],
                                                      tmp_path: Path) -> None:
    """GIVEN hoso serve with HOSO_CHECKPOINT_SECONDS=2 WHEN an event is recorded
    THEN a checkpoint covers it within the window (plus a second for a busy machine)."""
    env = {**store_env, "HOSO_CHECKPOINT_SECONDS": "2"}
    hoso = Hoso(env)
    with watched_serve(env, tmp_path) as log:
        record_something(hoso)
        signed_within(log, log.size(), 2 + 1, "no checkpoint within the window")
    assert hoso.ok("audit", "verify")["unsigned"]["events"] == 0


def test_stopping_serve_signs_what_is_left(store_env: dict[str, str], tmp_path: Path) -> None:
    """GIVEN hoso serve whose window is an hour and count trigger off
    WHEN an event is recorded and the server is stopped with SIGTERM
    THEN it signs before it ends: nothing is left unsigned."""
    env = {**store_env, "HOSO_CHECKPOINT_SECONDS": "3600", "HOSO_CHECKPOINT_EVERY": "0"}
    hoso = Hoso(env)
    hoso.ok("init", "--demo")
    server = serving(env, tmp_path)
    record_something(hoso)
    time.sleep(1.5)  # the signer has read the new leaves, and found nothing due
    assert hoso.ok("audit", "verify")["unsigned"]["events"] > 0
    terminate(server, timeout=20)
    assert server.returncode == 0
    assert hoso.ok("audit", "verify")["unsigned"]["events"] == 0


def test_serve_signs_with_the_new_key_after_a_rotation_beside_it(
        store_env: dict[str, str], tmp_path: Path) -> None:
    """GIVEN hoso serve signing within a second of every commit
    WHEN hoso audit rotate-key runs beside it, without a restart, and events are recorded
    THEN serve's next checkpoint covers them signed by the new key: verify is intact (no
    checkpoint from the rotation's size on by the retired key), and serve says it switched."""
    env = {**store_env, "HOSO_CHECKPOINT_SECONDS": "1"}
    hoso = Hoso(env)
    with watched_serve(env, tmp_path) as log:
        rotated = hoso.ok("audit", "rotate-key")
        for _ in range(3):
            record_something(hoso)
        size = log.size()
        signed_within(log, size, 15, "serve signed nothing after the rotation")
    assert size > rotated["from_size"]
    verified = hoso.ok("audit", "verify")
    assert verified["intact"] is True, verified["findings"]
    assert verified["keys"][-1] == {"key": rotated["new_key"],
                                    "from_size": rotated["from_size"], "until_size": None}
    served = next(tmp_path.glob("serve-*.log")).read_text()
    assert "signing with the new audit key from the rotation" in served


def test_an_event_left_unsigned_past_the_window_fails_verify(store_env: dict[str, str]) -> None:
    """GIVEN a signed log and no signer running (HOSO_CHECKPOINT_SECONDS=1, grace 1 s)
    WHEN an event is recorded through the CLI
    THEN verify passes, reporting the unsigned events, until the window and grace pass; then
    it exits 1 with one line saying why."""
    env = {**store_env, "HOSO_CHECKPOINT_SECONDS": "1", "HOSO_CHECKPOINT_GRACE": "1"}
    hoso = Hoso(env)
    hoso.ok("init", "--demo")
    record_something(hoso)
    early = hoso("audit", "verify", "--json")
    if early.code == 0:  # a slow machine may already be past the 2 s
        assert early.json()["unsigned"]["events"] > 0
    time.sleep(2.5)
    late = hoso("audit", "verify")
    assert late.code == 1
    line, = late.stdout.strip().splitlines()
    assert line.startswith("NOT VERIFIED: ")
    assert "are unsigned, the oldest committed" in line
    document = hoso("audit", "verify", "--json").json()
    assert document["intact"] is False
    assert document["findings"][0]["kind"] == "unsigned"
    assert document["window_seconds"] == 1
    assert document["grace_seconds"] == 1


def test_several_signers_keep_only_growing_checkpoints(store_env: dict[str, str],
                                                       tmp_path: Path) -> None:
    """GIVEN two processes' signers over one store, each signing every new event
    WHEN events are appended while both sign
    THEN the store and the folder hold the same checkpoints (none a signer lost the race with),
    the newest covers every event, and a tree not larger than the newest is not kept."""
    Hoso(store_env).ok("init", "--demo")
    settings = Settings.from_environ(store_env)
    wired: list[Services] = [compose(settings) for _ in range(2)]
    signer = load_signer(Path(store_env["HOSO_DATA_DIR"]) / "keys" / "audit.key")
    signers = [Checkpointer(w.tamper_evident_log(), FixedKey(signer), CheckpointPolicy(1, 1),
                            w.application().clock, poll=0.01) for w in wired]
    stop = threading.Event()
    threads = [s.start(stop) for s in signers]
    try:
        custody = wired[0].application()
        cast = cast_from(custody.province())
        for n in range(15):
            custody.receive(office=cast.commune, procedure=cast.procedure.code,
                            applicant_name=f"Người {n}", applicant_id=f"{n:012d}",
                            actor=cast.receiver, components=cast.components)
    finally:
        stop.set()
        for thread in threads:
            thread.join(20)
    log = wired[1].tamper_evident_log()
    stored = [Checkpoint.parse(note_text(note)) for note in log.recorder.select_checkpoints()]
    folder = [Checkpoint.parse(note_text(note)) for note in wired[1].checkpoint_directory().all()]
    assert stored == folder
    assert stored[-1].size == log.size()
    assert log.sign(signer, stored[-1].time, stored[-1].size, stored[-1].root) is None
    for w in wired:
        w.close()


def test_verify_names_who_cosigned_the_newest_checkpoint(store_env: dict[str, str]) -> None:
    """GIVEN cosignature lines stored for the newest checkpoint (as the witnesses' threads keep
    them) THEN verify names their signers beside the checkpoint's age; it does not check them
    (HOSO_WITNESSES and the quorum do)."""
    hoso = Hoso(store_env)
    size = hoso.ok("init", "--demo")["checkpoint"]["size"]
    wired = compose(Settings.from_environ(store_env))
    try:
        wired.cosignature_store().add(size, "w1.example/a", "— w1.example/a AAAAAAAAAAAA")
    finally:
        wired.close()
    newest = hoso.ok("audit", "verify")["newest_checkpoint"]
    assert newest["size"] == size
    assert newest["witnesses"] == ["w1.example/a"]
    assert newest["age_seconds"] >= 0
    assert "cosigned by: w1.example/a" in hoso("audit", "verify").stdout
