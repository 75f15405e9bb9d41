"""Tamper evidence costs: append rate, full verification speed, and proof size and time.

Measured in one run, because the machine is noisy and only ratios travel:

* ``append``: single-event transactions through the library's plain application recorder and
  through hoso's hashing recorder on the same kind of store, interleaved plain, hashing,
  hashing, plain. Target: hashing ≥ 85 % of plain.
* ``verify``: ``audit verify``'s work over N stored events (default 1,000,000: read every record
  and leaf, recompute every leaf, rebuild the tree, check a signed checkpoint), beside hashlib's
  SHA-256 over the same record bytes. Targets: ≥ 200,000 events/s and ≥ 50 % of bare hashing.
* ``proofs``: inclusion and consistency proofs in the N-leaf tree: size in bytes, time to make
  and to verify.

Usage, from the repository root:
    .venv/bin/python bench/audit.py [--events 1000000] [--appends 2000] [--backend sqlite|postgres]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import sys
import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any

import psycopg
from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repo, not bench/, comes first

from events.keys import generate_keypair, load_signer, load_verifier  # noqa: E402
from events.log import TamperEvidentLog  # noqa: E402
from events.postgres_store import HashingPostgresApplicationRecorder  # noqa: E402
from events.records import canonical_record  # noqa: E402
from events.sqlite_store import HashingSQLiteApplicationRecorder  # noqa: E402
from events.verify import verify_consistency, verify_inclusion  # noqa: E402
from tests.conftest import postgres_test_url  # noqa: E402

# A real HandedOver event's state, as the application stores it (~400 bytes of JSON).
STATE = json.dumps({
    "actor": "pl-rcv-003", "office": "000.21.11.H40", "device": None,
    "to_office": "000.21.01.H40", "carrier": "pl-cur-001", "carrier_role": "courier",
    "manifest": "BG-2026-000123", "override": False,
    "timestamp": {"_type_": "datetime_iso", "_data_": "2026-03-10T02:05:00+00:00"},
    "originator_topic": "tracker.domain.dossier:Dossier",
}).encode()
TOPIC = "tracker.domain.dossier:Dossier.HandedOver"


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


def bench_append(stores: Stores, count: int) -> dict[str, Any]:
    plain, hashing = stores.recorder(hashing=False), stores.recorder(hashing=True)
    for recorder in (plain, hashing):
        append_rate(recorder, 100, 0)  # warm-up
    runs: dict[str, list[float]] = {"plain": [], "hashing": []}
    for name, recorder in (("plain", plain), ("hashing", hashing), ("hashing", hashing),
                           ("plain", plain)):
        progress(f"[append] {name}: {count} single-event transactions")
        runs[name].append(append_rate(recorder, count, 100 + len(runs[name]) * count))
    plain_rate, hashing_rate = (sum(runs[k]) / 2 for k in ("plain", "hashing"))
    ratio = hashing_rate / plain_rate
    return {"plain_per_s": round(plain_rate, 1), "hashing_per_s": round(hashing_rate, 1),
            "runs_per_s": {k: [round(v, 1) for v in vs] for k, vs in runs.items()},
            "ratio": round(ratio, 3), "target_ratio": 0.85, "meets_target": ratio >= 0.85}


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    start = perf_counter()
    result = action()
    return perf_counter() - start, result


def bench_verify(stores: Stores, count: int, workdir: Path) -> dict[str, Any]:
    recorder: Any = stores.recorder(hashing=True)
    progress(f"[verify] storing {count} events in batches of 1000")
    fill_seconds, _ = timed(lambda: [recorder.insert_events([event(n) for n in range(i, i + 1000)])
                                     for i in range(0, count, 1000)])
    private, public = generate_keypair(workdir / "keys")
    log = TamperEvidentLog(recorder, "bench/log")
    log.checkpoint(load_signer(private), datetime.now(UTC))
    verifier = load_verifier(public)
    progress("[verify] audit over the whole store")
    verify_seconds, report = timed(lambda: log.audit(verifier))
    if not report.intact:
        raise SystemExit(f"bench: the fresh store did not verify: {report.findings[:3]}")
    records = list(log.records())
    encoded = [b"\x00" + canonical_record(r.position, r.originator_id, r.version, r.topic,
                                          r.state) for r in records]
    progress("[verify] bare SHA-256 over the same record bytes")
    hash_seconds, _ = timed(lambda: [hashlib.sha256(data).digest() for data in encoded])
    verify_rate, hash_rate = count / verify_seconds, count / hash_seconds
    return {
        "events": count, "fill_seconds": round(fill_seconds, 1),
        "record_bytes_mean": round(sum(map(len, encoded)) / count, 1),
        "verify_seconds": round(verify_seconds, 2),
        "verify_events_per_s": round(verify_rate), "bare_sha256_per_s": round(hash_rate),
        "ratio_to_bare_hashing": round(verify_rate / hash_rate, 3),
        "targets": {"events_per_s": 200_000, "ratio_to_bare_hashing": 0.5},
        "meets_target": verify_rate >= 200_000 and verify_rate / hash_rate >= 0.5,
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hoso-bench-audit-") as tmp:
        stores = Stores(args.backend, Path(tmp))
        try:
            append = bench_append(stores, args.appends)
            verify = bench_verify(stores, args.events, Path(tmp))
            proofs = bench_proofs(verify.pop("_tree"))
        finally:
            stores.close()
    print(json.dumps({
        "backend": args.backend, "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, os.cpu_count()={os.cpu_count()}",
        "append": append, "verify": verify, "proofs": proofs,
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
