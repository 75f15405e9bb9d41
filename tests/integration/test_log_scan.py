"""No personal data in any log line: a day's work through a live ``hoso serve`` (relaying to
Kafka, with a projection consumer) and through the CLI, then every line they wrote is searched
for the applicants' names (with and without diacritics), ID numbers and phone numbers. The
serve log is JSON, one line per request, and the request id a client sends comes back in the
answer and is recorded in the metadata of the events the request saved."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import unicodedata
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.cast import cast_from
from tests.hoso_cli import Hoso
from tests.identities import Tokens
from tests.servers.hoso import live_hoso
from tests.servers.process import die_with_parent, terminate
from tests.servers.tansu import Tansu
from tracker.bootstrap import compose
from tracker.event_metadata import request_id_of
from tracker.settings import Settings

APPLICANTS = [
    {"applicant_name": "Lê Thị Thu Hương", "applicant_id": "079187001234",
     "phone": "0987654321"},
    {"applicant_name": "Đặng Quốc Trường", "applicant_id": "036095007788",
     "phone": "0912003344"},
]
CLI_APPLICANT = {"applicant_name": "Vũ Ngọc Ánh", "applicant_id": "001302009911",
                 "phone": "0978112233"}
REQUEST_ID = "counter-7-0f3c2a91"


def without_diacritics(text: str) -> str:
    flat = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in flat if not unicodedata.combining(c))


def personal_data() -> list[str]:
    """Every way an applicant's data could show: names as typed and without diacritics (also
    lower-cased), ID numbers, phone numbers and the phones' international form."""
    found: list[str] = []
    for person in [*APPLICANTS, CLI_APPLICANT]:
        name = person["applicant_name"]
        found += [name, without_diacritics(name), name.lower(), without_diacritics(name).lower(),
                  person["applicant_id"], person["phone"],
                  "84" + person["phone"][1:]]
    return found


def call(base: str, method: str, path: str, body: Any = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method, headers={
        "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            raw = answer.read()
            return answer.status, dict(answer.headers), json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, dict(error.headers), json.loads(raw)
        except ValueError:
            return error.code, dict(error.headers), raw.decode()


def test_a_day_through_serve_and_the_cli_leaves_no_personal_data_in_the_logs(
        tmp_path: Path, tansu: Tansu) -> None:
    env = {"HOSO_DATA_DIR": str(tmp_path / "var"), "HOSO_KAFKA_BOOTSTRAP": tansu.bootstrap}
    hoso = Hoso(env)
    consumer_log = tmp_path / "consumer.log"
    with live_hoso(env, tmp_path) as base:
        services = compose(Settings.from_environ(env), create_tables=False)
        custody = services.application()
        cast = cast_from(custody.province())
        tokens = Tokens(services)
        with consumer_log.open("wb") as out:
            consumer = subprocess.Popen(
                [sys.executable, "-m", "tracker.cli.main", "project", "--from-kafka"],
                env=hoso.env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=die_with_parent())
        try:
            # GIVEN two applicants received at the counter, one with the client's request id
            staff = tokens.header(cast.receiver)
            codes = []
            for number, person in enumerate(APPLICANTS):
                sent = {"X-Request-Id": REQUEST_ID} if number == 0 else {}
                status, headers, body = call(base, "POST", "/api/v1/dossiers",
                                             {"office": cast.commune,
                                              "procedure": cast.procedure.code,
                                              "components": cast.components, **person},
                                             {**staff, **sent})
                assert status == 201, body
                codes.append(body["code"])
                if number == 0:
                    assert headers["X-Request-Id"] == REQUEST_ID
                else:
                    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-Id"])
            # AND a receipt refused for a malformed phone, a malformed request id replaced
            status, headers, _ = call(base, "POST", "/api/v1/dossiers", {
                "office": cast.commune, "procedure": cast.procedure.code,
                "components": cast.components, **APPLICANTS[1], "phone": "09x-not-a-phone"},
                {**staff, "X-Request-Id": "not ok " + without_diacritics(
                    APPLICANTS[1]["applicant_name"])})
            assert status == 400
            assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-Id"])
            # WHEN the first is scanned, handed over, looked at and looked up by a citizen
            code = codes[0]
            pages = [custody.objects.put(b"page %d " % n * 400, "image/png").key for n in (1, 2)]
            scanned = call(base, "POST", f"/api/v1/dossiers/{code}/digitise", {"pages": pages},
                           tokens.header(cast.receiver, "station", "st-1"))
            assert scanned[0] == 200, scanned
            assert call(base, "POST", f"/api/v1/dossiers/{code}/handover",
                        {"courier": cast.courier, "to_office": cast.agency}, staff)[0] == 200
            deadline = time.monotonic() + 60  # the views follow the consumer
            while call(base, "GET", f"/api/v1/dossiers/{code}/history", None, staff)[0] != 200:
                assert time.monotonic() < deadline, "the consumer applied nothing in 60 s"
                time.sleep(0.2)
            digits = APPLICANTS[0]["phone"][-4:]
            assert call(base, "GET", f"/api/v1/public/status?code={code}&digits={digits}"
                        )[0] == 200
            # AND someone types an applicant's name as a staff id at the sign-in page
            assert call(base, "POST", "/sign-in", None)[0] in (400, 401)
            # AND the CLI receives a third applicant, and refuses a fourth
            cli = hoso("receive", "--office", cast.commune, "--procedure", cast.procedure.code,
                       "--applicant-name", CLI_APPLICANT["applicant_name"],
                       "--applicant-id", CLI_APPLICANT["applicant_id"],
                       "--phone", CLI_APPLICANT["phone"],
                       *[a for c in cast.components for a in ("--component", c)],
                       "--actor", cast.receiver)
            assert cli.code == 0, cli.stderr
            refused = hoso("receive", "--office", "NO-SUCH-OFFICE", "--procedure",
                           cast.procedure.code,
                           "--applicant-name", CLI_APPLICANT["applicant_name"],
                           "--applicant-id", CLI_APPLICANT["applicant_id"],
                           "--actor", cast.receiver)
            assert refused.code != 0
            # THEN the request id is in the metadata of the events its request recorded
            recorded = list(map(custody.mapper.to_domain_event,
                                custody.recorder.select_notifications(0, 10_000)))
            receipt = next(e for e in recorded if getattr(e, "code", None) == code)
            assert request_id_of(receipt) == REQUEST_ID
            later = [e for e in recorded if e.originator_id == receipt.originator_id][1:]
            assert [type(e).__name__ for e in later] == ["Digitised", "HandedOver"]
            assert len({request_id_of(e) for e in later} - {None, REQUEST_ID}) == 2
        finally:
            terminate(consumer, timeout=10)
            services.close()
    serve_log = next(tmp_path.glob("hoso-serve-*.log")).read_text(encoding="utf-8")
    written = {"serve": serve_log, "consumer": consumer_log.read_text(encoding="utf-8"),
               "cli": cli.stderr + refused.stderr}
    # AND every line hoso serve and the consumer wrote is JSON, one line per request
    raw = [line for name in ("serve", "consumer") for line in written[name].splitlines()
           if line.strip()]
    assert not [line for line in raw if not line.startswith("{")]
    lines = [json.loads(line) for line in raw]
    requests = [line for line in lines if line["logger"] == "hoso.requests"]
    sent = [r for r in requests if r.get("request_id") == REQUEST_ID]
    assert [(r["route"], r["status"]) for r in sent] == [("/api/v1/dossiers", 201)]
    assert {r["route"] for r in requests} >= {"/api/v1/dossiers/<code>/handover",
                                              "/api/v1/public/status", "/sign-in"}
    assert all(code not in json.dumps(r) for r in requests for code in codes)
    # AND no applicant's name, ID number or phone appears anywhere in what was written
    for name, text in written.items():
        folded = text.lower()
        leaked = [word for word in personal_data() if word.lower() in folded]
        assert not leaked, f"{name} wrote {leaked}"
