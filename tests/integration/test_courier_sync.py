"""Scans a courier's page kept while offline and sent later, on SQLite and PostgreSQL: the
device's time kept apart from the record time and a late sync marked, a queue sent twice
recorded once, a scan the rules refuse at sync time answered with its rule, the same on the
bus and in the views, and the service worker served for the courier's pages."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from flask.testing import FlaskClient

from tests.conftest import ManualClock
from tests.districts import AGENCY, APPLICANT, AWAY, AWAY_STAFF, COMMUNE, PROCEDURE
from tests.identities import Tokens
from tests.integration.test_bag_pages import (
    COURIER,
    OFFICIAL,
    RECEIVER,
    csrf,
    receive,
    signed_in,
    start_bag,
)
from tracker import bags
from tracker.bootstrap import Services
from tracker.cloudevents import fact_from_event, to_cloudevent
from tracker.domain.bag import Bag, bag_id
from tracker.domain.codes import DossierCode
from tracker.domain.dossier import Dossier
from tracker.web import create_app


def feedback(page: str) -> tuple[str, bool, str]:
    """The kind of answer a scan got, whether it says the scan came late, and its words."""
    found = re.search(r'<p id="feedback"[^>]*data-feedback="(\w+)"([^>]*)>(.*?)</p>', page,
                      re.S)
    assert found, page
    return found.group(1), "data-late" in found.group(2), " ".join(found.group(3).split())


def send_late(client: FlaskClient, path: str, code: str, device_time: str, key: str,
              token: str) -> tuple[int, str]:
    answer = client.post(path, data={"csrf_token": token, "code": code,
                                     "device_time": device_time},
                         headers={"Idempotency-Key": key})
    return answer.status_code, answer.text


def test_a_kept_scan_keeps_its_device_time_is_marked_late_and_records_once(
        services: Services, clock: ManualClock) -> None:
    codes = [receive(services) for _ in range(3)]
    receiver = signed_in(services, RECEIVER)
    bag = start_bag(receiver)
    token = csrf(receiver, f"/courier/bags/{bag}")
    scan = f"/courier/bags/{bag}/scan"
    # GIVEN a scan made at 08:50 on the device and sent at 09:00, and one made at 08:59:30
    late = (clock.now - timedelta(minutes=10)).isoformat()
    prompt = (clock.now - timedelta(seconds=30)).isoformat()
    status, page = send_late(receiver, scan, codes[0], late, "queue-key-0001", token)
    assert status == 200
    kind, marked, words = feedback(page)
    assert (kind, marked) == ("ok", True)
    status, page = send_late(receiver, scan, codes[1], prompt, "queue-key-0002", token)
    assert feedback(page)[:2] == ("ok", False)
    # WHEN the queue is sent again with the same keys (its answers were lost)
    version = services.application().repository.get(bag_id(bag)).version
    for code, moment, key in ((codes[0], late, "queue-key-0001"),
                              (codes[1], prompt, "queue-key-0002")):
        status, page = send_late(receiver, scan, code, moment, key, token)
        assert (status, feedback(page)[0]) == (200, "ok")  # the first answer, not "repeat"
    # THEN each scan is recorded once, with the device's time beside the record time
    the_bag = services.application().repository.get(bag_id(bag))
    assert the_bag.version == version
    filled = [s for s in the_bag.steps if s["step"] == "filled"]
    assert [(s["codes"], s["device_time"], s["synced_late"]) for s in filled] == [
        ([codes[0]], late, True), ([codes[1]], prompt, False)]
    assert {s["recorded_at"] for s in filled} == {clock.now.isoformat()}
    # AND a key sent again with another scan is refused, saying why
    status, page = send_late(receiver, scan, codes[2], prompt, "queue-key-0001", token)
    assert (status, feedback(page)[0]) == (422, "refused")
    # AND the page says when the device scanned it, and that it came late
    assert "Quét trên thiết bị lúc 10/03/2026 08:50; đồng bộ muộn." in words
    shown = receiver.get(f"/courier/bags/{bag}").text
    assert "quét trên thiết bị lúc 10/03/2026 08:50" in shown
    assert '<span class="badge">đồng bộ muộn</span>' in shown


def test_scans_the_rules_refuse_at_sync_time_are_answered_with_the_rule(
        services: Services, clock: ManualClock) -> None:
    here = receive(services)
    elsewhere = services.application().receive(
        office=AWAY, procedure=PROCEDURE, actor=AWAY_STAFF["receiver"],
        accept_incomplete=True, **APPLICANT)["code"]
    receiver = signed_in(services, RECEIVER)
    bag = start_bag(receiver)
    token = csrf(receiver, f"/courier/bags/{bag}")
    scan = f"/courier/bags/{bag}/scan"
    cases = {  # what the device sent → the rule that refuses it
        (here, (clock.now + timedelta(minutes=6)).isoformat()): "device-time",
        (here, (clock.now - timedelta(days=8)).isoformat()): "device-time",
        (elsewhere, (clock.now - timedelta(minutes=3)).isoformat()): "bag-at-origin",
    }
    for number, ((code, moment), rule) in enumerate(cases.items()):
        status, page = send_late(receiver, scan, code, moment, f"refused-key-{number:04}",
                                 token)
        kind, _, words = feedback(page)
        assert (status, kind) == (409, "refused"), words
        assert rule in words
    status, page = send_late(receiver, scan, here, "2026-03-10T08:50:00", "no-offset-key",
                             token)
    assert (status, feedback(page)[0]) == (400, "refused")
    assert services.application().repository.get(bag_id(bag)).dossiers == []


def test_a_bag_accepted_by_a_scan_sent_late_on_the_bus_and_in_the_views(
        services: Services, clock: ManualClock) -> None:
    codes = [receive(services) for _ in range(2)]
    custody = services.application()
    bag = bags.create(custody, RECEIVER, AGENCY, codes)["bag"]
    bags.hand_over(custody, bag, RECEIVER, COURIER)
    # GIVEN the official scanned the bag offline at 09:20 and the scan is sent at 10:00
    scanned_at = (clock.now + timedelta(minutes=20)).isoformat()
    clock.advance(hours=1)
    official = signed_in(services, OFFICIAL)
    token = csrf(official, "/courier/")
    sent = official.post("/courier/scan", data={"csrf_token": token, "code": bag,
                                                "device_time": scanned_at},
                         headers={"Idempotency-Key": "accept-key-0001"})
    assert sent.status_code == 302
    assert sent.headers["Location"].endswith("done=accepted")
    kind, marked, _ = feedback(official.get(sent.headers["Location"]).text)
    assert (kind, marked) == ("ok", True)
    # WHEN the same scan is sent again
    versions = [custody.status(code)["version"] for code in codes]
    again = official.post("/courier/scan", data={"csrf_token": token, "code": bag,
                                                 "device_time": scanned_at},
                          headers={"Idempotency-Key": "accept-key-0001"})
    # THEN it answers as the first did and records nothing more
    assert again.headers["Location"].endswith("done=accepted")
    assert [custody.status(code)["version"] for code in codes] == versions
    for code in codes:
        accepted = custody.history(code)[-1]
        assert (accepted["type"], accepted["bag"]) == ("Accepted", bag)
        assert (accepted["device_time"], accepted["synced_late"]) == (scanned_at, True)
        assert accepted["time"] == clock.now.isoformat()
        stored = custody.repository.get(DossierCode.parse(code).dossier_id)
        event = next(e for e in custody.repository.event_store.get(stored.id)
                     if isinstance(e, Dossier.Accepted))
        cloud = to_cloudevent(fact_from_event(event, 1, code), "hoso/test")
        assert (cloud["data"]["device_time"], cloud["data"]["synced_late"]) == (
            scanned_at, True)
        assert cloud["time"] == "2026-03-10T03:00:00Z"  # the record time, in UTC
    assert all(code in official.get("/queue").text for code in codes)
    # AND a scan sent late of a bag bound elsewhere records nothing and says so on the page
    other = bags.create(custody, RECEIVER, COMMUNE, [receive(services)])["bag"]
    bags.hand_over(custody, other, RECEIVER, COURIER)
    elsewhere = official.post("/courier/scan", data={"csrf_token": token, "code": other,
                                                     "device_time": scanned_at},
                              headers={"Idempotency-Key": "accept-key-0002"})
    assert elsewhere.status_code == 403  # the official may not even read that bag
    assert feedback(elsewhere.text)[0] == "refused"
    receiver = signed_in(services, RECEIVER)  # who may read it, at the wrong office
    wrong = receiver.post("/courier/scan", data={"csrf_token": csrf(receiver, "/courier/"),
                                                 "code": other, "device_time": scanned_at},
                          headers={"Idempotency-Key": "accept-key-0003"})
    assert wrong.status_code == 409
    assert feedback(wrong.text)[0] == "refused"
    assert bags.bag(custody, other)["state"] == "handed_over"


def test_the_api_takes_device_times_and_idempotency_keys_for_bags(services: Services,
                                                                  clock: ManualClock) -> None:
    code = receive(services)
    tokens = Tokens(services)
    client = create_app(services, {"TESTING": True}).test_client()
    made = client.post("/api/v1/bags", json={"to_office": AGENCY},
                       headers={**tokens.header(RECEIVER), "Idempotency-Key": "api-bag-0001"})
    assert made.status_code == 201
    bag = made.json["bag"]
    moment = (clock.now - timedelta(minutes=5)).isoformat()
    headers = {**tokens.header(RECEIVER), "Idempotency-Key": "api-fill-0001"}
    first = client.post(f"/api/v1/bags/{bag}/fill",
                        json={"codes": [code], "device_time": moment}, headers=headers)
    again = client.post(f"/api/v1/bags/{bag}/fill",
                        json={"codes": [code], "device_time": moment}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json == again.json
    assert first.json["steps"][-1]["device_time"] == moment
    assert first.json["steps"][-1]["synced_late"] is True
    other = client.post(f"/api/v1/bags/{bag}/fill", json={"codes": [code]}, headers=headers)
    assert other.status_code == 422
    malformed = client.post(f"/api/v1/bags/{bag}/fill",
                            json={"codes": [code], "device_time": 1773104400},
                            headers=tokens.header(RECEIVER))
    assert malformed.status_code == 400
    assert "device_time" in malformed.json["message"]
    document = client.get("/api/v1/openapi.json").json
    fill = document["paths"]["/bags/{bag}/fill"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in fill["parameters"]]


def test_events_stored_before_device_times_read_back_without_one(services: Services) -> None:
    """GIVEN a fill and an acceptance of a bag (class version 1) and a dossier's acceptance
    (class version 2) as stored before device times WHEN read back THEN none names a device
    time and none came late."""
    code = receive(services)
    custody = services.application()
    bag = bags.create(custody, RECEIVER, AGENCY, [code])["bag"]
    bags.hand_over(custody, bag, RECEIVER, COURIER)
    bags.accept(custody, bag, OFFICIAL, AGENCY)
    old = []
    for aggregate, kind, version in ((bag_id(bag), "Filled", 1), (bag_id(bag), "Accepted", 1),
                                     (DossierCode.parse(code).dossier_id, "Accepted", 2)):
        for record in custody.recorder.select_events(aggregate):
            if record.topic.endswith(f".{kind}"):
                state = json.loads(record.state)
                del state["device_time"], state["synced_late"]
                state["class_version"] = version
                old.append(type(record)(record.originator_id, record.originator_version,
                                        record.topic, json.dumps(state).encode()))
    events = [custody.mapper.to_domain_event(record) for record in old]
    assert [type(e) for e in events] == [Bag.Filled, Bag.Accepted, Dossier.Accepted]
    assert all((e.device_time, e.synced_late) == (None, False) for e in events)


def test_the_service_worker_is_served_for_the_courier_pages(services: Services) -> None:
    client = create_app(services, {"TESTING": True}).test_client()
    worker = client.get("/courier/sw.js")  # the browser fetches it, with or without a session
    assert worker.status_code == 200
    assert worker.mimetype == "text/javascript"
    assert worker.headers["Service-Worker-Allowed"] == "/courier/"
    assert worker.headers["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in worker.headers["Content-Security-Policy"]
    assert client.get("/courier/").status_code == 302  # the pages themselves need a session
    page = signed_in(services, RECEIVER).get("/courier/").text
    assert 'data-worker="/courier/sw.js"' in page
    assert "<script>" not in page
