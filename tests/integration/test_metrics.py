"""``/metrics`` after a day's work: every metric an operator watches is there, parsed by
prometheus-client's own parser, routes labelled by their rule (no dossier code in any label),
and only loopback clients (or the metrics token) may read it."""

from __future__ import annotations

import threading
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.cast import Cast, cast_from
from tests.conftest import ManualClock
from tests.identities import AsStaff, Tokens
from tests.servers.hoso import live_hoso
from tests.servers.tansu import Tansu
from tracker.application import CustodyApplication
from tracker.bootstrap import Services, compose
from tracker.settings import Settings
from tracker.web import create_app

NAMED = {
    "hoso_http_request_duration_seconds": "request latency by route and status",
    "hoso_events_appended": "events appended",
    "hoso_relay_lag_events": "relay lag in events",
    "hoso_relay_lag_seconds": "relay lag in seconds",
    "hoso_projection_lag_events": "projection lag per view (in-process views)",
    "hoso_projection_consumer_lag_seconds": "projection lag per view (Kafka consumers)",
    "hoso_views_needing_attention": "views needing attention",
    "hoso_ocr_pages": "OCR pages",
    "hoso_ocr_seconds_per_page": "OCR seconds per page",
    "hoso_spool_objects": "spool depth",
    "hoso_spool_oldest_age_seconds": "the spool's oldest item",
    "hoso_checkpoint_age_seconds": "the newest checkpoint's age",
    "hoso_checkpoint_unsigned_events": "events the newest checkpoint does not cover",
    "hoso_witness_lag_seconds": "witness lag",
    "hoso_sign_in_failures": "sign-in failures",
}
"""Every metric of the operations guide, by family name (counters without ``_total``)."""

PHONE = "0912345678"


def receipt(c: Cast) -> dict[str, Any]:
    return {"office": c.commune, "procedure": c.procedure.code,
            "applicant_name": "Trần Thị Hồng Nhung", "applicant_id": "001190004567",
            "phone": PHONE, "components": c.components}


def day_at_the_counter(services: Services, custody: CustodyApplication) -> str:
    """Receive, digitise and hand over one dossier over the API, and fail one sign-in."""
    cast = cast_from(custody.province())
    tokens = Tokens(services)
    app = create_app(services, {"TESTING": True, "WTF_CSRF_ENABLED": False})
    client = AsStaff(app.test_client(), tokens, cast.receiver)
    made = client.post("/api/v1/dossiers", json=receipt(cast))
    assert made.status_code == 201, made.get_json()
    code = str(made.get_json()["code"])
    pages = [custody.objects.put(f"trang {n}".encode() * 300, "image/png").key for n in (1, 2)]
    scanned = client.client.post(f"/api/v1/dossiers/{code}/digitise", json={"pages": pages},
                                 headers=tokens.header(cast.receiver, "station", "st-1"))
    assert scanned.status_code == 200, scanned.get_json()
    handed = client.post(f"/api/v1/dossiers/{code}/handover",
                         json={"courier": cast.courier, "to_office": cast.agency})
    assert handed.status_code == 200, handed.get_json()
    refused = app.test_client().post("/sign-in", data={"staff": cast.receiver,
                                                       "password": "not the password"})
    assert refused.status_code == 401
    return code


def scrape(services: Services, **request: Any) -> dict[str, Any]:
    answer = create_app(services, {"TESTING": True}).test_client().get("/metrics", **request)
    assert answer.status_code == 200
    assert answer.content_type.startswith("text/plain; version=")
    return {family.name: family
            for family in text_string_to_metric_families(answer.get_data(as_text=True))}


def value(families: dict[str, Any], name: str, sample: str | None = None,
          **labels: str) -> float:
    return next(s.value for s in families[name].samples
                if s.name == (sample or name) and all(s.labels.get(k) == v
                                                      for k, v in labels.items()))


def test_every_named_metric_after_a_day_at_the_counter(services: Services,
                                                       custody: CustodyApplication) -> None:
    """GIVEN a dossier received, digitised and handed over over the API, and a wrong password
    at the sign-in page
    WHEN /metrics is scraped from loopback
    THEN every named metric is there; requests are labelled by route rule and status, never
    by a dossier's code; the events, the sign-in failure and the views' lag are counted."""
    before = scrape(services)
    code = day_at_the_counter(services, custody)
    families = scrape(services)
    assert set(NAMED) <= set(families), set(NAMED) - set(families)
    routes = {s.labels["route"] for s in families["hoso_http_request_duration_seconds"].samples
              if "route" in s.labels}
    assert {"/api/v1/dossiers", "/api/v1/dossiers/<code>/digitise",
            "/api/v1/dossiers/<code>/handover", "/sign-in"} <= routes
    assert not [r for r in routes if code in r]
    assert value(families, "hoso_http_request_duration_seconds",
                 "hoso_http_request_duration_seconds_count", route="/sign-in",
                 method="POST", status="401") >= 1
    failures = "hoso_sign_in_failures", "hoso_sign_in_failures_total"
    assert value(families, *failures) == value(before, *failures) + 1  # counted per process
    assert value(families, "hoso_events_appended", "hoso_events_appended_total") \
        == custody.recorder.max_notification_id()
    assert {s.labels["view"] for s in families["hoso_projection_lag_events"].samples} \
        == {"status", "queues", "report"}
    assert value(families, "hoso_views_needing_attention") == 0
    assert value(families, "hoso_spool_objects") == 0


def test_relay_lag_before_and_after_the_relay(tmp_path: Path, tansu: Tansu,
                                              demo_document: dict[str, Any]) -> None:
    """GIVEN Kafka configured and a day's work not yet relayed
    THEN the relay's lag counts every event, and its age in seconds is the oldest one's;
    WHEN the relay publishes them to the broker THEN both fall to 0."""
    clock = ManualClock(datetime.now(UTC))  # the province's events carry the real time
    settings = Settings.from_environ({"HOSO_DATA_DIR": str(tmp_path / "var"),
                                      "HOSO_KAFKA_BOOTSTRAP": tansu.bootstrap})
    services = compose(settings, clock=clock)
    try:
        custody = services.application()
        custody.load_province(demo_document)
        day_at_the_counter(services, custody)
        clock.advance(minutes=5)
        families = scrape(services)
        end = custody.recorder.max_notification_id()
        assert value(families, "hoso_relay_lag_events") == end
        assert value(families, "hoso_relay_lag_seconds") >= 240  # less the set-up's real time
        services.relay().relay_available(0, threading.Event())
        families = scrape(services)
        assert value(families, "hoso_relay_lag_events") == 0
        assert value(families, "hoso_relay_lag_seconds") == 0
    finally:
        services.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_only_loopback_or_the_token_reads_metrics(store_env: dict[str, str],
                                                  clock: ManualClock,
                                                  demo_document: dict[str, Any]) -> None:
    """GIVEN HOSO_METRICS_TOKEN set
    THEN a loopback client reads /metrics, a remote one gets 404 without the token and the
    metrics with it."""
    services = compose(Settings.from_environ({**store_env, "HOSO_METRICS_TOKEN": "s3cr3t"}),
                       clock=clock)
    try:
        services.application().load_province(demo_document)
        client = create_app(services, {"TESTING": True}).test_client()
        remote = {"REMOTE_ADDR": "10.1.2.3"}
        assert client.get("/metrics").status_code == 200
        assert client.get("/metrics", environ_base=remote).status_code == 404
        assert client.get("/metrics", environ_base=remote,
                          headers={"Authorization": "Bearer wrong"}).status_code == 404
        assert client.get("/metrics", environ_base=remote,
                          headers={"Authorization": "Bearer s3cr3t"}).status_code == 200
    finally:
        services.close()


def test_web_processes_sharing_a_metrics_folder_answer_for_each_other(tmp_path: Path) -> None:
    """GIVEN two ``hoso serve`` processes over one store and one PROMETHEUS_MULTIPROC_DIR
    WHEN the second answers three requests
    THEN the first's /metrics counts them: any web process answers for the host."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    env = {"HOSO_DATA_DIR": str(tmp_path / "var"), "PROMETHEUS_MULTIPROC_DIR": str(folder)}

    def healthz_count(base: str) -> float:
        with urllib.request.urlopen(f"{base}/metrics", timeout=10) as answer:
            families = {f.name: f for f in text_string_to_metric_families(answer.read().decode())}
        return value(families, "hoso_http_request_duration_seconds",
                     "hoso_http_request_duration_seconds_count", route="/healthz",
                     method="GET", status="200")

    with live_hoso(env, tmp_path) as first, live_hoso(env, tmp_path, init=False) as second:
        before = healthz_count(first)
        for _ in range(3):
            urllib.request.urlopen(f"{second}/healthz", timeout=10).close()
        assert healthz_count(first) == before + 3
