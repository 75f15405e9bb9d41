"""Projected views: equal to the aggregates, applied once however often delivered, rebuildable.

GIVEN a store with dossiers in every state (tests/month.py, one of each planned outcome),
WHEN the views follow the log in-process, receive the same facts again or in another order, or
are rebuilt, THEN their full table contents are the same and agree with each dossier's replay.
"""

from __future__ import annotations

import contextlib
import os
import pty
import random
import subprocess
import sys
import threading
import time
from datetime import datetime

import pytest
from eventsourcing.persistence import Tracking

from tests.conftest import ManualClock
from tests.hoso_cli import Hoso
from tests.month import SAMPLER, run_month
from tests.servers.hoso import live_hoso
from tracker.application import CustodyApplication
from tracker.bootstrap import Services, compose
from tracker.cloudevents import Fact, from_cloudevent, to_cloudevent
from tracker.domain.errors import UnknownReference
from tracker.projections.projector import BehindTheLog
from tracker.projections.rebuild import rebuild
from tracker.projections.status import dossier_status
from tracker.projections.store import VIEWS
from tracker.projections.views import Views
from tracker.settings import Settings


@pytest.fixture
def month(custody: CustodyApplication, clock: ManualClock) -> list[str]:
    return run_month(custody, clock, SAMPLER)


@pytest.fixture
def views(services: Services) -> Views:
    return services.open_views()


def contents(views: Views) -> tuple[list[dict], list[dict]]:
    return list(views.store.dossier_rows()), list(views.store.figure_rows())


def all_facts(views: Views) -> list[Fact]:
    notifications = views.app.recorder.select_notifications(1, 100_000)
    return [f for f in map(views.facts.of_notification, notifications) if f is not None]


def test_status_view_agrees_with_each_dossiers_replay(custody, clock, month, views):
    views.catch_up()
    for code in month:
        projected = dossier_status(views.store, code, clock())
        replayed = custody.status(code)
        assert projected == {**replayed, **_times(replayed, projected)}, code


def _times(replayed: dict, projected: dict) -> dict:
    """The views keep times in UTC; the aggregate as the clock gave them: compare instants."""
    same = {}
    for key in ("received_at", "updated_at"):
        assert datetime.fromisoformat(projected[key]) == datetime.fromisoformat(replayed[key])
        same[key] = projected[key]
    if replayed["transit"]:
        assert (datetime.fromisoformat(projected["transit"]["since"])
                == datetime.fromisoformat(replayed["transit"]["since"]))
        same["transit"] = projected["transit"]
    return same


def test_the_same_facts_twice_change_nothing(month, views):
    views.catch_up()
    before = contents(views)
    outcome = views.projector.apply(all_facts(views))
    assert outcome.applied == 0
    assert outcome.duplicates > 100
    assert contents(views) == before


def test_partitions_in_parallel_with_redeliveries_give_the_live_views(custody, month, views):
    """Kafka mode: per-dossier order only, partitions interleaved, a relay resending batches
    at new offsets, facts travelling as CloudEvent JSON."""
    views.catch_up()
    live = contents(views)
    facts = [from_cloudevent(to_cloudevent(f, "o")) for f in all_facts(views)]
    partitions: list[list[Fact]] = [[], [], []]
    for fact in facts:
        partitions[fact.dossier_id.int % 3].append(fact)
    shuffle = random.Random(5)
    deliveries: list[list[Fact]] = []
    for partition in partitions:
        cursor = 0
        while cursor < len(partition):
            size = shuffle.randint(1, 7)
            deliveries.append(partition[cursor:cursor + size])
            if shuffle.random() < 0.3:  # the relay resends from an earlier position
                deliveries.append(partition[max(0, cursor - 3):cursor + size])
            cursor += size
    # interleave partitions while keeping each partition's own order
    ordered: list[list[Fact]] = []
    queues = [[d for d in deliveries if d and d[0].dossier_id.int % 3 == p] for p in range(3)]
    while any(queues):
        queue = shuffle.choice([q for q in queues if q])
        ordered.append(queue.pop(0))
    views.store.clear(["status", "report"])
    for delivery in ordered:
        views.projector.apply(delivery)
    assert contents(views) == live


def test_a_consumer_starting_mid_stream_reads_the_missing_events_from_the_store(month, views):
    views.catch_up()
    live = contents(views)
    views.store.clear(["status", "report"])
    latest: dict = {}
    for fact in all_facts(views):
        latest[fact.dossier_id] = fact  # only each dossier's last event arrives
    outcome = views.projector.apply(list(latest.values()))
    assert outcome.filled > 0
    assert contents(views) == live


def test_several_gaps_of_one_dossier_in_one_delivery_are_all_filled(month, views):
    views.catch_up()
    live = contents(views)
    views.store.clear(["status", "report"])
    facts = all_facts(views)
    last = {f.dossier_id: f.version for f in facts}
    every_other = [f for f in facts if f.version % 2 == 0 or f.version == last[f.dossier_id]]
    outcome = views.projector.apply(every_other)
    assert outcome.applied == len(every_other)
    assert outcome.filled == len(facts) - len(every_other)
    assert contents(views) == live


def test_a_batch_behind_the_recorded_position_is_refused_whole(month, views):
    views.catch_up()
    before = contents(views)
    position = views.projector.position()
    with pytest.raises(BehindTheLog):
        views.projector.apply(all_facts(views)[:1], Tracking(VIEWS, position))
    assert contents(views) == before
    assert views.projector.position() == position


def test_rebuild_equals_the_live_views(month, views):
    views.catch_up()
    live = contents(views)
    done = rebuild(views, batch_size=7)
    assert done.applied == len(all_facts(views))
    assert contents(views) == live
    rebuild(views, ["report"], batch_size=50)
    assert contents(views) == live


def test_views_catch_up_with_new_events_after_a_rebuild(custody, clock, month, views):
    views.catch_up()
    rebuild(views)
    extra = run_month(custody, clock, SAMPLER[:2])
    assert views.catch_up() > 0
    live = contents(views)
    rebuild(views)
    assert contents(views) == live
    assert all(dossier_status(views.store, c, clock())["code"] == c for c in extra)


def test_followers_in_two_processes_racing_with_writes_agree_with_a_rebuild(
        custody, clock, store_env, views):
    """Two applications on one store (as two processes would be), each following the log in a
    thread while dossiers are being written: nothing is lost or applied twice."""
    other = compose(Settings.from_environ(store_env), create_tables=False).open_views()
    stop = threading.Event()
    errors: list[BaseException] = []

    def follow(follower: Views) -> None:
        try:
            while not stop.is_set():
                follower.catch_up()
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=follow, args=(v,)) for v in (views, other)]
    for thread in threads:
        thread.start()
    try:
        run_month(custody, clock, SAMPLER)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []
    views.catch_up()
    live = contents(views)
    rebuild(views)
    assert contents(views) == live
    other.app.close()


def test_project_rebuild_command(custody, store_env, month, views):
    views.catch_up()
    live = contents(views)
    hoso = Hoso(store_env)
    done = hoso.ok("project", "rebuild")
    assert done == {"views": ["queues", "report", "status"],
                    "events": views.app.recorder.max_notification_id(),
                    "applied": len(all_facts(views)), "refused": 0}
    assert contents(views) == live
    quiet = hoso("project", "rebuild", "report")
    assert quiet.code == 0
    assert quiet.stderr == ""  # no progress bar without a terminal
    assert quiet.stdout.startswith("rebuilt report: ")
    assert contents(views) == live
    wrong = hoso("project", "rebuild", "everything")
    assert wrong.code == 2


def test_project_follow_log_keeps_the_views_from_a_process_of_its_own(custody, cast, store_env,
                                                                      month, views):
    # GIVEN a store with a month of dossiers that no view has followed yet
    end = views.app.recorder.max_notification_id()
    assert (views.projector.position() or 0) < end

    def followed_to(position: int) -> bool:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if (views.projector.position() or 0) >= position:
                return True
            time.sleep(0.1)
        return False

    # WHEN `hoso project --follow-log` runs beside it
    follower = subprocess.Popen([sys.executable, "-m", "tracker.cli.main", "project",
                                 "--follow-log"], env=Hoso(store_env).env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # THEN it follows the log to its end, and on to what is recorded next
        assert followed_to(end)
        custody.receive(office=cast.commune, procedure=cast.procedure.code,
                        applicant_name="Trần Văn Bình", applicant_id="001090000001",
                        actor=cast.receiver, components=cast.components)
        assert followed_to(views.app.recorder.max_notification_id())
    finally:
        follower.terminate()
        _, stderr = follower.communicate(timeout=60)
    # AND it stops on SIGTERM, saying so, with views equal to a rebuild
    assert follower.returncode == 0
    assert "views stopped following the log" in stderr
    live = contents(views)
    rebuild(views)
    assert contents(views) == live


def test_project_follow_log_refuses_a_store_whose_views_follow_kafka(tmp_path):
    hoso = Hoso({"HOSO_DATA_DIR": str(tmp_path / "var"), "HOSO_KAFKA_BOOTSTRAP": "127.0.0.1:1"})
    done = hoso("project", "--follow-log")
    assert done.code == 2
    assert done.stderr.strip().splitlines() == [
        "hoso: the views follow Kafka on this store (HOSO_KAFKA_BOOTSTRAP): run "
        "'hoso project --from-kafka' instead"]
    both = hoso("project", "--follow-log", "--from-kafka")
    assert both.code == 2
    assert "choose one" in both.stderr


def test_rebuild_shows_a_progress_bar_on_a_terminal(custody, store_env, month):
    controller, terminal = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "tracker.cli.main", "project", "rebuild"],
                              env=Hoso(store_env).env, stdout=subprocess.PIPE, stderr=terminal,
                              timeout=120, check=True)
        os.close(terminal)
        shown = b""
        with contextlib.suppress(OSError):  # EIO once the terminal's other end is closed
            while chunk := os.read(controller, 65536):
                shown += chunk
    finally:
        os.close(controller)
    assert b"rebuilding views" in shown
    assert done.stdout.decode().startswith("rebuilt queues, report, status: ")


def test_the_serve_follower_thread_keeps_the_views_current(custody, clock, views):
    stop = threading.Event()
    thread = views.follower.start(stop)
    try:
        code = run_month(custody, clock, SAMPLER[:1])[0]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(UnknownReference):
                if dossier_status(views.store, code, clock())["stage"] == "resolved":
                    break
            time.sleep(0.05)
        else:
            pytest.fail("the follower did not apply the new events within 30 s")
    finally:
        stop.set()
        thread.join()


def test_serve_no_follow_leaves_the_views_to_another_process(custody, store_env, month, views,
                                                            tmp_path):
    # GIVEN a store with a month of dossiers that no view has followed yet
    end = views.app.recorder.max_notification_id()
    # WHEN `hoso serve --no-follow` serves it
    with live_hoso(store_env, tmp_path, args=["--no-follow"]):
        time.sleep(1.0)  # five of a follower thread's polls
        # THEN the views stay where they were, and its log says who keeps them
        assert (views.projector.position() or 0) < end
        log, = tmp_path.glob("hoso-serve-*.log")
        assert "hoso project --follow-log" in log.read_text()
