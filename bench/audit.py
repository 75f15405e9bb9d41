"""Tamper evidence costs: append rate, full verification speed, and proof size and time.

Measured in one run, because the machine is noisy and only ratios travel:

* ``append``: single-event transactions through the library's plain application recorder and
  through hoso's hashing recorder on the same kind of store, in rounds of plain, hashing,
  hashing, plain; the median of the rounds' ratios. Target: hashing ≥ 90 % of plain.
* ``verify``: ``TamperEvidentLog.audit`` (what ``hoso audit verify`` runs) over N stored events
  (default 1,000,000: read every record and leaf, recompute every leaf, build the tree, check a
  signed checkpoint) with its default worker processes (one per core), in rounds each between
  two runs of hashlib's SHA-256 over the same leaf input bytes (encoded beforehand, in this
  process: a sample of ``BARE_SAMPLE`` records hashed over and over until as many records as
  the audit's are hashed, so both run about as long and the scheduler treats them alike);
  then once in one process. Targets: ≥ 200,000 events/s and ≥ 80 % of the bare hashing rate
  (one process). Also reported: bare hashing in as many forked processes as the audit has
  workers, and the ratio to that; CPU time per event beside the wall-clock rates: on a machine
  other programs keep busy it still says what verification costs, and what two free cores
  would give (``idle_cores_events_per_s``).
* ``proofs``: inclusion and consistency proofs in the N-leaf tree: size in bytes, time to make
  and to verify.
* ``signed_append``: what ``hoso serve``'s signer costs appends: single-event transactions for
  ``--signer-seconds`` (default 12, over a window) through the hashing recorder while a
  ``Checkpointer`` follows it and signs as serve does (every 1,000 events or 10 s, a checkpoint
  kept in the store and written to a folder), in rounds of plain, signed, plain; the median of
  the rounds' ratios. Target: signed ≥ 90 % of plain.
* ``witnesses``: two ``hoso witness serve`` processes on loopback witness a log of
  ``--witness-events`` events; each round appends ``--witness-batch`` events, signs a checkpoint
  (``TamperEvidentLog.checkpoint``: reads every leaf, signs, stores, writes the file) and asks
  both witnesses at once to cosign it with the consistency proof from their size (what
  ``hoso serve``'s witness threads do), until the cosignatures are stored: p50/p99 of each
  step. Baseline in the same run: an HTTP round trip to a witness that signs nothing
  (``GET /latest-checkpoint``), and Ed25519 signing alone.

Usage, from the repository root:
    .venv/bin/python bench/audit.py [--events 1000000] [--appends 1000] [--rounds 5] \\
        [--backend sqlite|postgres] [--witness-rounds 200] [--witness-events 10000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from time import perf_counter
from typing import Any

import psycopg
from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repo, not bench/, comes first

from events.evidence.checkpointer import Checkpointer  # noqa: E402
from events.evidence.checkpoints import CheckpointDirectory, CheckpointPolicy  # noqa: E402
from events.evidence.keys import generate_keypair, load_signer, load_verifier  # noqa: E402
from events.evidence.log import TamperEvidentLog  # noqa: E402
from events.evidence.records import canonical_record  # noqa: E402
from events.evidence.signing_keys import FixedKey  # noqa: E402
from events.evidence.verify import verify_consistency, verify_inclusion  # noqa: E402
from events.evidence.witness.client import WitnessClient, WitnessEndpoint  # noqa: E402
from events.evidence.witness.cosigning import Cosigning  # noqa: E402
from events.evidence.witness.store import SQLiteCosignatures  # noqa: E402
from events.evidence.witness.store_postgres import PostgresCosignatures  # noqa: E402
from events.store.parallel_verify import default_workers, split  # noqa: E402
from events.store.postgres import HashingPostgresApplicationRecorder  # noqa: E402
from events.store.sqlite import HashingSQLiteApplicationRecorder  # noqa: E402
from tests.conftest import postgres_test_url  # noqa: E402
from tests.servers.witness import LiveWitness  # noqa: E402

# A real HandedOver event's state, as the application stores it (~400 bytes of JSON).
STATE = json.dumps({
    "actor": "pl-rcv-003", "office": "000.21.11.H40", "device": None,
    "to_office": "000.21.01.H40", "carrier": "pl-cur-001", "carrier_role": "courier",
    "manifest": "BG-2026-000123", "override": False,
    "timestamp": {"_type_": "datetime_iso", "_data_": "2026-03-10T02:05:00+00:00"},
    "originator_topic": "tracker.domain.dossier:Dossier",
}).encode()
TOPIC = "tracker.domain.dossier:Dossier.HandedOver"
BARE_SAMPLE = 200_000  # records bare hashing is timed over, each time


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Stores:
    """Fresh recorders of either kind on either backend, cleaned up at the end."""

    def __init__(self, backend: str, workdir: Path) -> None:
        self.backend = backend
        self.workdir = workdir
        self.schemas: list[str] = []
        self.datastores: list[Any] = []

    def recorder(self, hashing: bool) -> ApplicationRecorder:
        if self.backend == "sqlite":
            datastore: Any = SQLiteDatastore(str(self.workdir / f"{uuid.uuid4().hex}.sqlite"))
            kind: Any = HashingSQLiteApplicationRecorder if hashing else SQLiteApplicationRecorder
            recorder = kind(datastore)
        else:
            url = postgres_test_url()
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(url, autocommit=True) as admin:
                admin.execute(f"CREATE SCHEMA {schema}")
            self.schemas.append(schema)
            parts = psycopg.conninfo.conninfo_to_dict(url)
            datastore = PostgresDatastore(
                dbname=str(parts["dbname"]), host=str(parts["host"]), port=str(parts["port"]),
                user=str(parts["user"]), password=str(parts["password"]), schema=schema)
            kind = HashingPostgresApplicationRecorder if hashing else PostgresApplicationRecorder
            recorder = kind(datastore)
        recorder.create_table()
        self.datastores.append(datastore)
        return recorder  # type: ignore[no-any-return]

    def close(self) -> None:
        for datastore in self.datastores:
            datastore.close()
        if self.schemas:
            with psycopg.connect(postgres_test_url(), autocommit=True) as admin:
                for schema in self.schemas:
                    admin.execute(f"DROP SCHEMA {schema} CASCADE")


def event(n: int) -> StoredEvent:
    return StoredEvent(originator_id=uuid.UUID(int=n + 1), originator_version=1, topic=TOPIC,
                       state=STATE)


def append_rate(recorder: ApplicationRecorder, count: int, offset: int) -> float:
    start = perf_counter()
    for n in range(offset, offset + count):
        recorder.insert_events([event(n)])
    return count / (perf_counter() - start)


def bench_append(stores: Stores, count: int, rounds: int) -> dict[str, Any]:
    """``rounds`` rounds of plain, hashing, hashing, plain (each ``count`` single-event
    transactions): a round's ratio compares runs made within the same few seconds, and the
    median of the rounds drops the rounds another process disturbed."""
    plain, hashing = stores.recorder(hashing=False), stores.recorder(hashing=True)
    for recorder in (plain, hashing):
        append_rate(recorder, 100, 0)  # warm-up
    runs: dict[str, list[float]] = {"plain": [], "hashing": []}
    ratios = []
    for round_number in range(rounds):
        progress(f"[append] round {round_number + 1}/{rounds}: 4 x {count} transactions")
        rates: dict[str, list[float]] = {"plain": [], "hashing": []}
        for name, recorder in (("plain", plain), ("hashing", hashing), ("hashing", hashing),
                               ("plain", plain)):
            offset = 100 + (len(runs[name]) + len(rates[name])) * count
            rates[name].append(append_rate(recorder, count, offset))
        for name in runs:
            runs[name].extend(rates[name])
        ratios.append(statistics.mean(rates["hashing"]) / statistics.mean(rates["plain"]))
    ratio = statistics.median(ratios)
    return {"plain_per_s": round(statistics.median(runs["plain"]), 1),
            "hashing_per_s": round(statistics.median(runs["hashing"]), 1),
            "round_ratios": [round(r, 3) for r in ratios],
            "ratio": round(ratio, 3), "target_ratio": 0.9, "meets_target": ratio >= 0.9}


def append_for(recorder: ApplicationRecorder, seconds: float, offset: int
               ) -> tuple[float, float, int]:
    """Single-event transactions for ``seconds``: the rate, this process's CPU seconds per
    event (the signer's thread included), and the next free event number."""
    start, cpu, n = perf_counter(), cpu_seconds(), offset
    while perf_counter() - start < seconds:
        for _ in range(100):
            recorder.insert_events([event(n)])
            n += 1
    return (n - offset) / (perf_counter() - start), (cpu_seconds() - cpu) / (n - offset), n


def bench_signed_append(stores: Stores, workdir: Path, seconds: float,
                        rounds: int) -> dict[str, Any]:
    """``rounds`` rounds of plain, signed, plain appends, each run ``seconds`` long, with the
    signer of ``hoso serve`` (its default policy) following the hashing store throughout."""
    plain, hashing = stores.recorder(hashing=False), stores.recorder(hashing=True)
    private, _ = generate_keypair(workdir / "signer-keys")
    log = TamperEvidentLog(hashing, "bench/signed", [CheckpointDirectory(workdir / "signed")])
    signer = Checkpointer(log, FixedKey(load_signer(private)), CheckpointPolicy(1000, 10),
                          lambda: datetime.now(UTC))
    stop = threading.Event()
    thread = signer.start(stop)
    rates: dict[str, list[float]] = {"plain": [], "signed": []}
    cpu: dict[str, list[float]] = {"plain": [], "signed": []}
    ratios, offset = [], 50_000_000
    try:
        for round_number in range(rounds):
            progress(f"[signed append] round {round_number + 1}/{rounds}: plain, signed, plain, "
                     f"{seconds:g} s each")
            before, cpu_before, offset = append_for(plain, seconds, offset)
            signed, cpu_signed, offset = append_for(hashing, seconds, offset)
            after, cpu_after, offset = append_for(plain, seconds, offset)
            rates["plain"] += [before, after]
            rates["signed"].append(signed)
            cpu["plain"] += [cpu_before, cpu_after]
            cpu["signed"].append(cpu_signed)
            ratios.append(signed / statistics.mean([before, after]))
    finally:
        stop.set()
        thread.join(60)
    ratio = statistics.median(ratios)
    return {"seconds_per_run": seconds, "every_events": 1000, "window_seconds": 10,
            "checkpoints_signed": len(hashing.select_checkpoints()),
            "signer_stopped_because": signer.stopped_because,
            "plain_per_s": round(statistics.median(rates["plain"]), 1),
            "signed_per_s": round(statistics.median(rates["signed"]), 1),
            "round_ratios": [round(r, 3) for r in ratios],
            "ratio": round(ratio, 3), "target_ratio": 0.9, "meets_target": ratio >= 0.9,
            # appends wait on the disk; CPU per event is what other programs' load hides least
            "cpu_us_per_event": {name: round(statistics.median(values) * 1e6, 1)
                                 for name, values in cpu.items()}}


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    start = perf_counter()
    result = action()
    return perf_counter() - start, result


def leaf_inputs(log: TamperEvidentLog, size: int) -> list[bytes]:
    """The exact bytes the first ``size`` leaves hash (0x00 ‖ canonical record), encoded with
    the reference ``canonical_record``: what bare hashing is timed over."""
    return [b"\x00" + canonical_record(*record) for record in islice(log.records(), size)]


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (the audit's workers)."""
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                           resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


_FORKED_INPUTS: list[bytes] = []  # what forked hashing processes hash, inherited, not sent


def hash_passes(inputs: list[bytes], passes: int) -> None:
    sha256 = hashlib.sha256
    for _ in range(passes):
        for data in inputs:
            sha256(data).digest()


def hash_forked_passes(passes: int) -> None:
    hash_passes(_FORKED_INPUTS, passes)


def bare_rate(inputs: list[bytes], total: int, cpu: list[float] | None = None,
              processes: int = 1) -> float:
    """hashlib's SHA-256 of the inputs, over and over until about ``total`` are hashed, in this
    process (or split over ``processes`` forked ones): records per second (and, into ``cpu``,
    CPU seconds per record, the processes' included)."""
    passes = max(1, round(total / len(inputs)))
    share = [passes // processes + (n < passes % processes) for n in range(processes)]
    before = cpu_seconds()
    if processes == 1:
        seconds, _ = timed(lambda: hash_passes(inputs, passes))
    else:
        _FORKED_INPUTS[:] = inputs
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(processes, mp_context=context) as pool:
            list(pool.map(int, range(processes)))  # the workers are up before the clock starts
            seconds, _ = timed(lambda: list(pool.map(hash_forked_passes, share)))
        _FORKED_INPUTS.clear()
    if cpu is not None:
        cpu.append((cpu_seconds() - before) / (passes * len(inputs)))
    return passes * len(inputs) / seconds


def bench_verify(stores: Stores, count: int, workdir: Path, rounds: int) -> dict[str, Any]:
    """``rounds`` audits with the default workers, each between two bare-hashing runs (over a
    sample of the same records) so that each ratio compares rates measured seconds apart; the
    median round is reported."""
    recorder: Any = stores.recorder(hashing=True)
    progress(f"[verify] storing {count} events in batches of 1000")
    fill_seconds, _ = timed(lambda: [recorder.insert_events([event(n) for n in range(i, i + 1000)])
                                     for i in range(0, count, 1000)])
    private, public = generate_keypair(workdir / "keys")
    log = TamperEvidentLog(recorder, "bench/log")
    log.checkpoint(load_signer(private), datetime.now(UTC))
    verifier = load_verifier(public)
    workers = default_workers()
    inputs = leaf_inputs(log, min(count, BARE_SAMPLE))
    bare_cpu: list[float] = []
    bare = [bare_rate(inputs, count, bare_cpu)]
    bare_parallel = []
    verify_rates, ratios, verify_cpu = [], [], []
    for round_number in range(rounds):
        progress(f"[verify] round {round_number + 1}/{rounds}: audit with {workers} processes")
        before = cpu_seconds()
        seconds, report = timed(lambda: log.audit(verifier))
        verify_cpu.append((cpu_seconds() - before) / count)
        if not report.intact:
            raise SystemExit(f"bench: the fresh store did not verify: {report.findings[:3]}")
        bare.append(bare_rate(inputs, count, bare_cpu))
        bare_parallel.append(bare_rate(inputs, count, processes=workers))
        verify_rates.append(count / seconds)
        ratios.append(verify_rates[-1] / statistics.mean(bare[-2:]))
    progress("[verify] audit in one process")
    one_seconds, _ = timed(lambda: log.audit(verifier, workers=1))
    verify_rate, ratio = statistics.median(verify_rates), statistics.median(ratios)
    parallel = statistics.median(bare_parallel)
    return {
        "events": count, "fill_seconds": round(fill_seconds, 1), "workers": workers,
        "verify_events_per_s": round(verify_rate),
        "verify_rounds_per_s": [round(rate) for rate in verify_rates],
        "one_process_events_per_s": round(count / one_seconds),
        "bare_sha256_per_s": round(statistics.median(bare)),
        "bare_sha256_runs_per_s": [round(rate) for rate in bare],
        "ratio_to_bare_hashing": round(ratio, 3),
        "ratio_to_bare_hashing_per_core": round(ratio / workers, 3),
        # the same bytes hashed by as many processes as the audit has workers: how much of
        # the cores the machine's other programs leave shows in this rate as in the audit's
        f"bare_sha256_{workers}_processes_per_s": round(parallel),
        f"ratio_to_bare_hashing_{workers}_processes": round(verify_rate / parallel, 3),
        "us_per_event": {"verify_one_process": round(one_seconds / count * 1e6, 3),
                         "bare_sha256": round(1e6 / statistics.median(bare), 3)},
        # CPU time does not count the waits other programs impose: what the rates would be
        # with every core free (the workers' CPU per event spread over them), and the ratio
        # of CPU per event, bare hashing over verification, per core
        "cpu_us_per_event": {"verify": round(statistics.median(verify_cpu) * 1e6, 3),
                             "bare_sha256": round(statistics.median(bare_cpu) * 1e6, 3)},
        "idle_cores_events_per_s": round(min(workers, len(split(count, workers)))
                                         / statistics.median(verify_cpu)),
        "cpu_ratio_to_bare_hashing_per_core": round(
            statistics.median(bare_cpu) / statistics.median(verify_cpu), 3),
        "targets": {"events_per_s": 200_000, "ratio_to_bare_hashing": 0.8},
        "meets_target": {"events_per_s": verify_rate >= 200_000,
                         "ratio_to_bare_hashing": ratio >= 0.8},
        "_tree": log.tree(),
    }


def bench_proofs(tree: Any, samples: int = 1000) -> dict[str, Any]:
    rng = random.Random(7)
    size = tree.size
    root = tree.root()
    indices = [rng.randrange(size) for _ in range(samples)]
    make, proofs = timed(lambda: [tree.inclusion_proof(i, size) for i in indices])
    check, _ = timed(lambda: [verify_inclusion(tree.leaf(i), i, size, p, root)
                              for i, p in zip(indices, proofs, strict=True)])
    olds = [rng.randrange(1, size) for _ in range(samples)]
    make_c, cproofs = timed(lambda: [tree.consistency_proof(o, size) for o in olds])
    check_c, _ = timed(lambda: [verify_consistency(o, size, p, tree.root(o), root)
                                for o, p in zip(olds, cproofs, strict=True)])
    return {
        "tree_size": size,
        "inclusion": {"hashes_max": max(map(len, proofs)),
                      "bytes_max": 32 * max(map(len, proofs)),
                      "make_us": round(make / samples * 1e6, 1),
                      "verify_us": round(check / samples * 1e6, 1)},
        "consistency": {"hashes_max": max(map(len, cproofs)),
                        "bytes_max": 32 * max(map(len, cproofs)),
                        "make_us": round(make_c / samples * 1e6, 1),
                        "verify_us": round(check_c / samples * 1e6, 1)},
    }


def percentiles(seconds: list[float]) -> dict[str, float]:
    """p50 and p99 in milliseconds (p99: the value below which 99 % of the samples lie)."""
    ordered = sorted(seconds)
    at = lambda q: ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]  # noqa: E731
    return {"p50_ms": round(at(0.50) * 1000, 2), "p99_ms": round(at(0.99) * 1000, 2)}


def bench_witnesses(stores: Stores, workdir: Path, events: int, rounds: int,
                    batch: int) -> dict[str, Any]:
    """Checkpoint, then cosign by two local witness processes, ``rounds`` times."""
    recorder: Any = stores.recorder(hashing=True)
    for i in range(0, events, 1000):
        recorder.insert_events([event(10_000_000 + n) for n in range(i, min(events, i + 1000))])
    private, public = generate_keypair(workdir / "witnessed-keys")
    signer = load_signer(private)
    log = TamperEvidentLog(recorder, "bench/witnessed", [CheckpointDirectory(workdir / "cps")])
    store: Any = (SQLiteCosignatures(recorder) if stores.backend == "sqlite"
                  else PostgresCosignatures(recorder))
    store.create_table()
    witnesses = [LiveWitness(workdir / f"w{n}", f"w{n}.bench.example", "bench/witnessed", public)
                 for n in (1, 2)]
    for witness in witnesses:
        witness.start()
    endpoints = [WitnessEndpoint(w.name, w.url, w.verifier) for w in witnesses]
    cosigning = Cosigning(recorder, store, None, endpoints)
    timings: dict[str, list[float]] = {"checkpoint": [], "cosign": [], "both": [],
                                       "http_round_trip": [], "ed25519_sign": []}
    probe = WitnessClient(endpoints[0])
    offset = 20_000_000
    try:
        progress(f"[witnesses] {rounds} rounds of {batch} appends, a checkpoint and two "
                 f"cosignatures over {events} events")
        for round_number in range(rounds + 1):
            recorder.insert_events([event(offset + n) for n in range(batch)])
            offset += batch
            start = perf_counter()
            made, note = log.checkpoint(signer, datetime.now(UTC))
            signed = perf_counter()
            outcomes = cosigning.submit_all()
            done = perf_counter()
            if len(store.lines_for(made.size)) != 2:
                raise SystemExit(f"bench: the witnesses did not both cosign: {outcomes}")
            probe.latest_checkpoint("bench/witnessed")
            probed = perf_counter()
            signer.sign(note.encode())
            if round_number == 0:
                continue  # the first round opens connections and reads the whole tree
            timings["checkpoint"].append(signed - start)
            timings["cosign"].append(done - signed)
            timings["both"].append(done - start)
            timings["http_round_trip"].append(probed - done)
            timings["ed25519_sign"].append(perf_counter() - probed)
    finally:
        probe.close()
        cosigning.close()
        for witness in witnesses:
            witness.stop()
    return {"events_at_start": events, "rounds": rounds, "appends_per_round": batch,
            "log_size_at_end": log.size(), "witnesses": 2,
            **{f"{name}_latency": percentiles(values) for name, values in timings.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=1000, help="transactions per run")
    parser.add_argument("--rounds", type=int, default=5, help="append rounds (median ratio)")
    parser.add_argument("--verify-rounds", type=int, default=3, help="audits (median)")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--signer-seconds", type=float, default=12,
                        help="length of each signed-append run (a window is 10 s)")
    parser.add_argument("--signer-rounds", type=int, default=5,
                        help="signed-append rounds (median ratio)")
    parser.add_argument("--witness-rounds", type=int, default=200,
                        help="checkpoints cosigned by two local witnesses")
    parser.add_argument("--witness-events", type=int, default=10_000,
                        help="events in the witnessed log before the first round")
    parser.add_argument("--witness-batch", type=int, default=10, help="appends per round")
    args = parser.parse_args(argv)
    load_at_start = round(os.getloadavg()[0], 2)  # other processes' load skews every rate
    with tempfile.TemporaryDirectory(prefix="hoso-bench-audit-") as tmp:
        stores = Stores(args.backend, Path(tmp))
        try:
            append = bench_append(stores, args.appends, args.rounds)
            signed = bench_signed_append(stores, Path(tmp), args.signer_seconds,
                                         args.signer_rounds)
            verify = bench_verify(stores, args.events, Path(tmp), args.verify_rounds)
            proofs = bench_proofs(verify.pop("_tree"))
            witnessed = bench_witnesses(stores, Path(tmp), args.witness_events,
                                        args.witness_rounds, args.witness_batch)
        finally:
            stores.close()
    print(json.dumps({
        "backend": args.backend, "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, os.cpu_count()={os.cpu_count()}",
        "load_average_1min": {"start": load_at_start, "end": round(os.getloadavg()[0], 2)},
        "append": append, "signed_append": signed,
        "verify": verify, "proofs": proofs, "witnesses": witnessed,
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
