"""Parallel receptions at one office get distinct codes with no gap: from separate processes, from
many threads of one process (which take numbers in turn, without a single conflict), and from
two many-threaded processes at once; a process that lost a number to another reads only the
codes issued since, not the day's sequence again."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path
from typing import Any

from eventsourcing.persistence import IntegrityError

from tests.cast import Cast, cast_from
from tests.hoso_cli import Hoso
from tracker.application import CustodyApplication
from tracker.bootstrap import bootstrap
from tracker.domain.codes import DailySequence, DossierCode, sequence_id
from tracker.domain.province import Province
from tracker.province_file import demo_province_path, load_province_file
from tracker.sequences import DailyNumbering
from tracker.settings import Settings

PARALLEL = 50
THREADS = 12  # a provincial centre's counters, all receiving under one office code
EACH = 10
# Each of two processes receives 6 × 25 = 150, fewer than a receipt's 200 attempts: a receipt
# that keeps losing to the other process's numbers cannot run out of attempts.
EACH_OF_TWO = 25
ROOT = Path(__file__).parents[2]


def count_conflicts(custody: CustodyApplication) -> list[int]:
    """Wrap ``custody.save`` so each IntegrityError it raises (a lost race for a number) is
    counted in the returned one-item list."""
    conflicts = [0]
    save = custody.save

    def counting_save(*args: Any, **kwargs: Any) -> Any:
        try:
            return save(*args, **kwargs)
        except IntegrityError:
            conflicts[0] += 1
            raise

    custody.save = counting_save  # type: ignore[method-assign]
    return conflicts


def count_rows_read(custody: CustodyApplication, originator_id: object) -> list[int]:
    """Wrap the recorder's ``select_events`` so the stored events it returns for
    ``originator_id`` are counted in the returned one-item list."""
    rows = [0]
    select = custody.recorder.select_events

    def counting_select(*args: Any, **kwargs: Any) -> Any:
        found = select(*args, **kwargs)
        if kwargs.get("originator_id", args[0] if args else None) == originator_id:
            rows[0] += len(found)
        return found

    custody.recorder.select_events = counting_select  # type: ignore[method-assign]
    return rows


def receive_in_threads(custody: CustodyApplication, c: Cast, threads: int, each: int,
                       label: str) -> list[str]:
    """``threads`` counters receive ``each`` dossiers apiece at ``c.commune``, all at once."""
    codes: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def counter(n: int) -> None:
        start.wait()
        for k in range(each):
            try:
                status = custody.receive(
                    office=c.commune, procedure=c.procedure.code,
                    applicant_name=f"Công dân {label}{n}.{k}",
                    applicant_id=f"0010900{n:02d}{k:03d}", actor=c.receiver,
                    components=c.components)
            except BaseException as error:  # reported by the test, not lost in a thread
                errors.append(error)
                return
            codes.append(status["code"])

    workers = [threading.Thread(target=counter, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert not errors, errors[:3]
    return codes


def assert_gap_free(codes: list[str], office: str, count: int) -> None:
    parsed = [DossierCode.parse(code) for code in codes]
    assert {code.office for code in parsed} == {office}
    assert len({code.day for code in parsed}) == 1
    assert sorted(code.number for code in parsed) == list(range(1, count + 1))


def test_parallel_receptions_get_distinct_gap_free_codes(store_env: dict[str, str]) -> None:
    # GIVEN a store with the demo province and one commune counter
    hoso = Hoso(store_env)
    hoso.ok("init", "--demo")
    c = cast_from(Province(load_province_file(demo_province_path())))
    components = [a for comp in c.components for a in ("--component", comp)]
    # WHEN 50 processes receive a dossier there at the same time
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "tracker.cli.main", "receive", "--office", c.commune,
             "--procedure", c.procedure.code, "--applicant-name", f"Công dân {n}",
             "--applicant-id", f"0010900{n:05d}", "--actor", c.receiver, *components,
             "--json"],
            env=hoso.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for n in range(PARALLEL)
    ]
    outputs = [p.communicate(timeout=300) for p in processes]
    # THEN every one succeeded, and the codes are 0001…0050 of one day, each once
    failures = [err for p, (_, err) in zip(processes, outputs, strict=True) if p.returncode]
    assert not failures
    codes = [json.loads(out)["code"] for out, _ in outputs]
    assert_gap_free(codes, c.commune, PARALLEL)
    # AND each code names its own stored dossier
    names = {hoso.ok("status", str(code))["applicant_name"] for code in codes}
    assert len(names) == PARALLEL


def test_threads_of_one_process_take_numbers_in_turn(custody: CustodyApplication,
                                                    store_env: dict[str, str]) -> None:
    # GIVEN one application (one server process) and a dozen counters at one office
    c = cast_from(custody.province())
    conflicts = count_conflicts(custody)
    # WHEN every counter receives ten dossiers, all at once
    codes = receive_in_threads(custody, c, THREADS, EACH, "t")
    # THEN the codes are 0001…0120 of one day, each once
    assert_gap_free(codes, c.commune, THREADS * EACH)
    # AND no receipt lost a race for its number: within a process they queue, they do not retry
    assert conflicts[0] == 0
    # AND the next receipt, after a restart, continues the same sequence
    again = bootstrap(Settings.from_environ(store_env), clock=custody.clock,
                      create_tables=False)
    try:
        assert_gap_free([*codes, *receive_in_threads(again, c, 1, 1, "r")], c.commune,
                        THREADS * EACH + 1)
    finally:
        again.close()


CHILD = """
import json, sys
from tests.integration.test_concurrent_codes import child_receives
print(json.dumps(child_receives(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))), flush=True)
"""


def child_receives(label: str, threads: int, each: int) -> dict[str, Any]:
    """In a child process: say ready, wait for the parent's go, then receive in threads."""
    custody = bootstrap(create_tables=False)
    try:
        c = cast_from(custody.province())
        conflicts = count_conflicts(custody)
        print("ready", flush=True)
        sys.stdin.readline()
        codes = receive_in_threads(custody, c, threads, each, label)
        return {"codes": codes, "conflicts": conflicts[0]}
    finally:
        custody.close()


def test_two_many_threaded_processes_share_one_sequence(store_env: dict[str, str]) -> None:
    # GIVEN a store with the demo province, and two server processes of six counters each
    hoso = Hoso(store_env)
    hoso.ok("init", "--demo")
    c = cast_from(Province(load_province_file(demo_province_path())))
    children = [subprocess.Popen([sys.executable, "-c", CHILD, label, str(THREADS // 2),
                                  str(EACH_OF_TWO)], cwd=ROOT, env=hoso.env, text=True,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE) for label in ("a", "b")]
    readies = [child.stdout.readline() if child.stdout else "" for child in children]
    assert readies == ["ready\n", "ready\n"], [child.communicate()[1] for child in children]
    # WHEN both receive at the same office at the same moment
    for child in children:
        if child.stdin:
            child.stdin.write("go\n")
            child.stdin.flush()  # communicate() then closes it
    outputs = [child.communicate(timeout=300) for child in children]
    # THEN both finished, and between them the codes are 0001…0300, each once
    failures = [err for child, (_, err) in zip(children, outputs, strict=True)
                if child.returncode]
    assert not failures
    results = [json.loads(out) for out, _ in outputs]
    codes = [code for result in results for code in result["codes"]]
    assert_gap_free(codes, c.commune, THREADS * EACH_OF_TWO)
    # AND the two really ran at once: their numbers interleave, or one lost races to the other
    numbers = [[DossierCode.parse(code).number for code in result["codes"]]
               for result in results]
    interleaved = (min(numbers[0]) < max(numbers[1])) and (min(numbers[1]) < max(numbers[0]))
    assert interleaved or results[0]["conflicts"] + results[1]["conflicts"] > 0
    # AND a receipt retried only when the other process had just issued its number: never more
    # often than the other process issued numbers
    for mine, theirs in ((results[0], results[1]), (results[1], results[0])):
        assert mine["conflicts"] <= len(theirs["codes"])


def test_a_process_that_lost_a_number_reads_only_the_codes_issued_since(
        custody: CustodyApplication, store_env: dict[str, str]) -> None:
    # GIVEN two server processes on one store, each of which has received at one commune,
    # 61 dossiers between them
    c = cast_from(custody.province())
    other = bootstrap(Settings.from_environ(store_env), clock=custody.clock,
                      create_tables=False)
    try:
        codes = receive_in_threads(custody, c, 1, 60, "a")
        codes += receive_in_threads(other, c, 1, 1, "b")
        day = DossierCode.parse(codes[0]).day
        rows = count_rows_read(other, sequence_id(c.commune, day))
        # WHEN the first process receives one more, then the second
        codes += receive_in_threads(custody, c, 1, 1, "a")
        codes += receive_in_threads(other, c, 1, 1, "b")
        # THEN the codes are 0001…0063, each once
        assert_gap_free(codes, c.commune, 63)
        # AND the second, whose number was taken by the first, read only the two codes issued
        # since it last read the day's sequence (its own and the first's), not all 62: at a
        # busy office a fresh read would replay thousands
        assert rows[0] == 2
    finally:
        other.close()


def test_the_numbering_forgets_idle_offices_beyond_its_limit() -> None:
    # GIVEN a numbering that remembers at most three (office, day) entries
    loads: list[str] = []

    def load(office: str, day: date) -> DailySequence:
        loads.append(office)
        return DailySequence.start(office, day)

    numbering = DailyNumbering(load, limit=3)
    day = date(2026, 3, 10)
    # WHEN five offices take a number each, one after another
    for office in ("A", "B", "C", "D", "E"):
        with numbering.turn(office, day) as turn:
            sequence = turn.sequence()
            sequence.issue()
            turn.keep(sequence)
    # THEN only the three most recent are remembered
    assert len(numbering) == 3
    # AND a remembered office issues from its cache, a forgotten one reads the store again
    for office in ("E", "A"):
        with numbering.turn(office, day) as turn:
            turn.sequence()
    assert loads == ["A", "B", "C", "D", "E", "A"]
    # AND entries receipts are holding are never forgotten, even past the limit
    with numbering.turn("F", day), numbering.turn("G", day), numbering.turn("H", day), \
            numbering.turn("I", day):
        with numbering.turn("J", day):
            pass  # its end forgets every idle entry it can: D, E, A and J itself
        assert len(numbering) == 4
    assert len(numbering) == 3
