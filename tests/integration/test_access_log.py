"""The access log: a read that shows an applicant's data is recorded before it is answered —
who, in which role and office, through which route, of which dossier and object — and the
records are events in the same tamper-evident log as the custody events. Only inspectors list
them, over the API or with ``hoso access-log`` on the server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from events.evidence.keys import generate_keypair, load_signer, load_verifier
from tests.conftest import ManualClock
from tests.districts import (
    AGENCY,
    APPLICANT,
    AWAY_STAFF,
    HOME,
    HOME_STAFF,
    PROCEDURE,
    check_cast,
)
from tests.hoso_cli import Hoso
from tests.identities import Tokens
from tracker.application import CustodyApplication
from tracker.bootstrap import Services
from tracker.identity.access_log import TOPIC
from tracker.web import create_app

OFFICIAL, COURIER = HOME_STAFF["official"], HOME_STAFF["courier"]
INSPECTOR, RECEIVER = HOME_STAFF["inspector"], HOME_STAFF["receiver"]


class Reads:
    """The API, a token per person, and a dossier held at HOME with one scanned page, to be
    resolved at AGENCY (so its official may read it)."""

    def __init__(self, services: Services) -> None:
        self.custody: CustodyApplication = services.application()
        check_cast(self.custody.province())
        self.client: FlaskClient = create_app(services, {"TESTING": True}).test_client()
        self.tokens = Tokens(services)
        components = self.custody.province().procedure(PROCEDURE).required_components
        self.code: str = self.custody.receive(office=HOME, procedure=PROCEDURE,
                                              actor=RECEIVER, components=components,
                                              **APPLICANT)["code"]
        self.page = self.custody.objects.put(b"trang 1" * 400, "image/png").key
        self.custody.digitise(self.code, HOME_STAFF["operator"], [self.page])

    def get(self, path: str, staff: str) -> Any:
        response = self.client.get(f"/api/v1{path}", headers=self.tokens.header(staff))
        return response.status_code, response.get_json(silent=True)

    def log(self) -> list[dict[str, Any]]:
        status, rows = self.get(f"/access-log?dossier={self.code}", INSPECTOR)
        assert status == 200, rows
        return list(rows)


@pytest.fixture
def reads(services: Services) -> Reads:
    return Reads(services)


def test_an_officials_reads_are_logged_and_only_inspectors_list_them(
        reads: Reads, store_env: dict[str, str]) -> None:
    code, page = reads.code, reads.page
    # GIVEN an official of the resolving agency WHEN they read the history and a page
    assert reads.get(f"/dossiers/{code}/history", OFFICIAL)[0] == 200
    download = reads.client.get(f"/api/v1/dossiers/{code}/objects/{page}",
                                headers=reads.tokens.header(OFFICIAL))
    assert download.status_code == 200
    assert download.data == b"trang 1" * 400
    # THEN the inspector's listing shows both, naming who, how and what
    rows = reads.log()
    fields = ["staff", "role", "office", "credential", "what", "route", "dossier", "object_key"]
    assert [{f: row[f] for f in fields} for row in rows] == [
        {"staff": OFFICIAL, "role": "official", "office": AGENCY, "credential": "api",
         "what": "history", "route": "GET /api/v1/dossiers/<code>/history", "dossier": code,
         "object_key": None},
        {"staff": OFFICIAL, "role": "official", "office": AGENCY, "credential": "api",
         "what": "object", "route": "GET /api/v1/dossiers/<code>/objects/<path:key>",
         "dossier": code, "object_key": page},
    ]
    assert rows[0]["position"] < rows[1]["position"]
    # AND the server's CLI lists the same rows
    assert Hoso(store_env).ok("access-log", "--dossier", code) == rows
    # AND a receiver may not list them
    status, refused = reads.get(f"/access-log?dossier={code}", RECEIVER)
    assert (status, refused["error"]) == (403, "forbidden")


def test_reads_that_show_no_personal_data_are_not_logged(reads: Reads) -> None:
    code, page = reads.code, reads.page
    # GIVEN a courier of the office holding the dossier WHEN they read its status
    status, shown = reads.get(f"/dossiers/{code}", COURIER)
    # THEN they see where it is but not whose it is, and nothing is logged
    assert status == 200
    assert shown["custodian"] == RECEIVER
    assert not {"applicant_name", "applicant_id", "phone"} & set(shown)
    # AND reads refused by authorisation log nothing either
    assert reads.get(f"/dossiers/{code}/objects/{page}", COURIER)[0] == 403
    assert reads.get(f"/dossiers/{code}/history", AWAY_STAFF["official"])[0] == 403
    assert reads.get(f"/dossiers/{code}", HOME_STAFF["admin"])[0] == 403
    assert reads.log() == []
    # WHEN someone who may see the applicant reads the status THEN that read is logged
    assert reads.get(f"/dossiers/{code}", RECEIVER)[1]["applicant_name"] == "Lê Thị Mai"
    assert [(row["staff"], row["what"]) for row in reads.log()] == [(RECEIVER, "status")]


def test_the_access_records_are_in_the_tamper_evident_log(
        reads: Reads, services: Services, clock: ManualClock, tmp_path: Path) -> None:
    code = reads.code
    # GIVEN reads of personal data logged among the custody events
    reads.get(f"/dossiers/{code}/history", OFFICIAL)
    reads.get(f"/dossiers/{code}", INSPECTOR)
    rows = reads.log()
    assert len(rows) == 2
    # THEN every stored event, the access records included, is a leaf of the log's tree
    log = services.tamper_evident_log()
    records = {record.position: record for record in log.records()}
    leaves = {leaf.position: leaf for leaf in log.leaves()}
    assert log.size() == len(leaves) == len(records)
    for row in rows:
        record = records[row["position"]]
        assert record.topic == TOPIC
        assert leaves[row["position"]].hash == record.leaf()
    # AND a signed checkpoint over them audits intact
    private, public = generate_keypair(tmp_path / "keys")
    log.checkpoint(load_signer(private), clock())
    audit = log.audit(load_verifier(public), workers=1)
    assert audit.intact, audit.findings
    assert audit.events == audit.leaves == len(records)
