"""What the Kafka fault tests share: a custody load, the relay and consumer processes, and the
checks that end every fault test (views equal a rebuild; every event on the topic, in order)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from tests.cast import Cast, cast_from
from tests.hoso_cli import Hoso
from tests.topic_reader import read_topic
from tracker.application import CustodyApplication
from tracker.bootstrap import Services
from tracker.cloudevents import DOSSIER_TOPICS
from tracker.projections.rebuild import rebuild


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.1)


class Load:
    """Receives ``dossiers`` dossiers, then shuttles them between the commune and the agency
    (a handover and an acceptance per step) at about ``steps_per_second`` until stopped."""

    def __init__(self, custody: CustodyApplication, dossiers: int,
                 steps_per_second: float = 20) -> None:
        self.custody = custody
        self.cast: Cast = cast_from(custody.province())
        self.codes = [self._receive(n) for n in range(dossiers)]
        self.interval = 1 / steps_per_second
        self.steps = 0
        self._at_agency: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="load", daemon=True)
        self.error: BaseException | None = None

    def _receive(self, n: int) -> str:
        c = self.cast
        return str(self.custody.receive(
            office=c.commune, procedure=c.procedure.code, applicant_name=f"Công dân {n}",
            applicant_id=f"0{n:011d}", actor=c.receiver, components=c.components)["code"])

    def step(self) -> None:
        c, code = self.cast, self.codes[self.steps % len(self.codes)]
        if code in self._at_agency:
            self.custody.hand_over(code, by=c.official, to_office=c.commune, courier=c.courier)
            self.custody.accept(code, by=c.receiver, office=c.commune)
            self._at_agency.discard(code)
        else:
            self.custody.hand_over(code, by=c.receiver, to_office=c.agency, courier=c.courier)
            self.custody.accept(code, by=c.official, office=c.agency)
            self._at_agency.add(code)
        self.steps += 1

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                self.step()
        except BaseException as error:  # surfaced by stop()
            self.error = error


class Process:
    """A long-running ``hoso`` subprocess (relay or projection consumer) with its stderr kept."""

    def __init__(self, hoso: Hoso, *args: str) -> None:
        self.args = args
        self.popen = subprocess.Popen([sys.executable, "-m", "tracker.cli.main", *args],
                                      env=hoso.env, stderr=subprocess.PIPE, text=True)

    def pause(self) -> None:
        """SIGSTOP: it holds everything as it is until ``resume``."""
        self.popen.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.popen.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind runs."""
        self.popen.kill()
        self.popen.wait(10)

    def terminate(self) -> str:
        self.popen.terminate()
        try:
            _, stderr = self.popen.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            _, stderr = self.popen.communicate()
        return stderr


def stored_versions(custody: CustodyApplication) -> dict[str, int]:
    """Each dossier's latest version in the store."""
    latest: dict[str, int] = {}
    for n in custody.recorder.select_notifications(1, 10_000_000):
        if n.topic in DOSSIER_TOPICS:
            latest[str(n.originator_id)] = n.originator_version
    return latest


def view_versions(services: Services) -> dict[str, int]:
    return {row["dossier_id"]: row["version"]
            for row in services.open_views().store.dossier_rows()}


def assert_views_equal_a_rebuild(services: Services) -> None:
    """The views as the live projection left them equal the views rebuilt from the log, and
    every dossier's row is at its latest stored version (nothing missing, nothing twice)."""
    views = services.open_views()
    live = (list(views.store.dossier_rows()), list(views.store.figure_rows()))
    assert ({r["dossier_id"]: r["version"] for r in live[0]}
            == stored_versions(services.application()))
    rebuild(views)
    rebuilt = (list(views.store.dossier_rows()), list(views.store.figure_rows()))
    assert live[0] == rebuilt[0]
    assert live[1] == rebuilt[1]


def assert_topic_holds_the_log(custody: CustodyApplication, bootstrap: str,
                               exactly_once: bool = False) -> int:
    """Every stored dossier event is on the topic, each dossier's in one partition and, reading
    its first copies in offset order, in version order. Returns how many copies were extra."""
    by_key: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for read in read_topic(bootstrap):
        event: dict[str, Any] = read.json()
        by_key[event["hosodossierid"]].append((read.partition, read.offset,
                                               event["hosoversion"]))
    stored = stored_versions(custody)
    assert set(by_key) == set(stored)
    extra = 0
    for key, entries in by_key.items():
        assert len({partition for partition, _, _ in entries}) == 1, key
        versions = [version for _, _, version in sorted(entries)]
        firsts = list(dict.fromkeys(versions))
        assert firsts == list(range(1, stored[key] + 1)), (key, versions)
        extra += len(versions) - len(firsts)
    if exactly_once:
        assert extra == 0
    return extra
