"""Reception regardless of the applicant's locality, the ID card read instead of written, and
home appointments: where each dossier goes, how it is marked and counted, who holds it, and
how the CLI and the API take the same fields.

The demo province decides births by commune (each commune's one-stop for its residents) and
house building permits by district; ``CHAU_CAU`` is a ward one-stop of Phủ Lý, ``MOC_HOAN`` a
commune one-stop of Duy Tiên, ``LAM_HA_POST`` a post office of Phủ Lý.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from flask.testing import FlaskClient

from tests.conftest import ManualClock
from tests.districts import HOME, HOME_STAFF
from tests.hoso_cli import Hoso
from tests.identities import AsStaff, Tokens
from tracker.application import CustodyApplication
from tracker.bootstrap import Services
from tracker.cloudevents import fact_from_event
from tracker.domain.codes import DossierCode
from tracker.domain.dossier import Dossier
from tracker.domain.errors import RuleViolation
from tracker.projections.fold import Figure, fold
from tracker.projections.store import ADDED_COLUMNS, DOSSIERS_TABLE
from tracker.web import create_app

CHAU_CAU, CHAU_CAU_RECEIVER = "000.21.11.H40", "pl-rcv-003"
MOC_HOAN, MOC_HOAN_RECEIVER = "000.22.13.H40", "dt-rcv-005"
LAM_HA_POST, POSTAL_RECEIVER, POSTAL_COURIER = "000.21.91.H40", "pl-rcv-006", "pl-cur-002"
BIRTH = {"procedure": "1.001193", "components": ["to-khai", "giay-chung-sinh"]}
PERMIT = {"procedure": "1.009997", "components": ["don", "giay-to-dat", "ban-ve"]}
CARD = ("036190007788||Nguyễn Thị Ánh Tuyết|02031990|Nữ|Thôn Mỹ Tho, Xã Mộc Hoàn, Thị xã "
        "Duy Tiên, Hà Nam|10052022\r\n")
"""A made-up card in the shape chip ID cards' QR codes have, as a gun sends it."""
APPLICANT = {"applicant_name": "Lê Thị Mai", "applicant_id": "037195000111"}


def receive(custody: CustodyApplication, office: str, actor: str, **fields: object
            ) -> dict:
    return custody.receive(office=office, actor=actor, **{**APPLICANT, **fields})


def test_a_dossier_goes_to_the_office_deciding_it_where_the_applicant_lives(
        services: Services, custody: CustodyApplication, clock: ManualClock) -> None:
    """GIVEN births and building permits received at Châu Cầu and at Phủ Lý for applicants of
    several localities, and a land dossier decided by one office for everyone
    WHEN they are received
    THEN each goes to the office serving the applicant's locality, those received by an office
    that does not serve it are marked non-local, the views agree with the aggregate, and the
    report counts the non-local receipts of each receiving office."""
    local = receive(custody, CHAU_CAU, CHAU_CAU_RECEIVER, locality="chau-cau", **BIRTH)
    away = receive(custody, CHAU_CAU, CHAU_CAU_RECEIVER, locality="moc-hoan", **BIRTH)
    permit_away = receive(custody, HOME, HOME_STAFF["receiver"], locality="hoa-hau", **PERMIT)
    permit_here = receive(custody, HOME, HOME_STAFF["receiver"], locality="lam-ha", **PERMIT)
    land = receive(custody, CHAU_CAU, CHAU_CAU_RECEIVER, locality="moc-hoan",
                   procedure="1.004227", accept_incomplete=True)
    expected = {local["code"]: (CHAU_CAU, "chau-cau", False),
                away["code"]: (MOC_HOAN, "moc-hoan", True),
                permit_away["code"]: ("000.24.03.H40", "hoa-hau", True),
                permit_here["code"]: ("000.21.02.H40", "lam-ha", False),
                land["code"]: ("000.21.01.H40", "moc-hoan", False)}
    views = services.open_views()
    for code, (office, locality, non_local) in expected.items():
        for status in (custody.status(code), views.status(code)):
            assert (status["resolving_office"], status["locality"], status["non_local"]) == (
                office, locality, non_local), code
        received = custody.history(code)[0]
        assert (received["resolving_office"], received["non_local"]) == (office, non_local)
    day = clock().date()
    report = views.report(day, day)
    assert report["totals"]["received_non_local"] == 2
    by_office = {row["office"]: row["received_non_local"] for row in report["rows"]}
    assert by_office == {CHAU_CAU: 1, HOME: 1}
    assert views.report(day, day, by="field")["rows"][0]["received_non_local"] in (0, 1)


def test_the_deciding_office_sees_and_accepts_the_dossier_received_elsewhere(
        services: Services, custody: CustodyApplication) -> None:
    """GIVEN a birth of a Mộc Hoàn resident received at Châu Cầu
    WHEN Mộc Hoàn's receiver reads it, and it is sent there and accepted
    THEN Mộc Hoàn may read it before it arrives and holds it after."""
    code = receive(custody, CHAU_CAU, CHAU_CAU_RECEIVER, locality="moc-hoan", **BIRTH)["code"]
    client = AsStaff(create_app(services, {"TESTING": True}).test_client(), Tokens(services),
                     MOC_HOAN_RECEIVER)
    assert client.get(f"/api/v1/dossiers/{code}").status_code == 200
    custody.hand_over(code, CHAU_CAU_RECEIVER, MOC_HOAN, courier=HOME_STAFF["courier"])
    custody.accept(code, MOC_HOAN_RECEIVER, MOC_HOAN)
    status = custody.status(code)
    assert (status["office"], status["custodian"]) == (MOC_HOAN, MOC_HOAN_RECEIVER)


def test_a_procedure_decided_by_locality_needs_one(custody: CustodyApplication) -> None:
    position = custody.recorder.max_notification_id()
    for fields, rule in (({}, "locality-named"), ({"locality": "duy-tien"}, "competent-office")):
        with pytest.raises(RuleViolation) as refused:
            receive(custody, CHAU_CAU, CHAU_CAU_RECEIVER, **BIRTH, **fields)
        assert refused.value.rule == rule
    assert custody.recorder.max_notification_id() == position


def test_a_home_appointment_starts_custody_in_the_field(services: Services,
                                                       custody: CustodyApplication) -> None:
    """GIVEN a postal receiver at a citizen's home
    WHEN they receive a dossier there, collect the fee, then hand it over at their post office
    THEN custody starts with them, at their office, in the field, until the handover."""
    code = receive(custody, LAM_HA_POST, POSTAL_RECEIVER, channel="home", locality="lam-ha",
                   **BIRTH)["code"]
    custody.collect_fee(code, POSTAL_RECEIVER, 8_000)
    views = services.open_views()
    for status in (custody.status(code), views.status(code)):
        assert (status["custodian"], status["office"], status["in_field"], status["channel"]
                ) == (POSTAL_RECEIVER, LAM_HA_POST, True, "home")
        assert not status["non_local"]  # the post office serves Lam Hạ
    custody.hand_over(code, POSTAL_RECEIVER, "000.21.12.H40", courier=POSTAL_COURIER)
    for status in (custody.status(code), views.status(code)):
        assert (status["in_field"], status["in_transit"]) == (False, True)
    at_counter = receive(custody, LAM_HA_POST, POSTAL_RECEIVER, locality="lam-ha", **BIRTH)
    assert not at_counter["in_field"]


def test_receipts_stored_before_localities_read_back(services: Services,
                                                     custody: CustodyApplication) -> None:
    """GIVEN a receipt of class version 3 as the store holds it (no locality, no marks)
    WHEN read back and folded raw (a rebuild reads stored state without upcasting)
    THEN it names no locality, is not non-local, was not in the field, and counts as a local
    receipt."""
    code = receive(custody, HOME, HOME_STAFF["receiver"], procedure="1.004227",
                   accept_incomplete=True, channel="home")["code"]
    record = custody.recorder.select_events(DossierCode.parse(code).dossier_id)[0]
    state = json.loads(record.state)
    for name in ("locality", "non_local", "in_field"):
        del state[name]
    state["class_version"] = 3
    old = type(record)(record.originator_id, record.originator_version, record.topic,
                       json.dumps(state).encode())
    received = custody.mapper.to_domain_event(old)
    assert isinstance(received, Dossier.Received)
    assert (received.locality, received.non_local, received.in_field) == (None, False, False)
    figures: list[Figure] = []
    fact = fact_from_event(received, 1, code)
    data = {k: v for k, v in fact.data.items() if k not in ("locality", "non_local", "in_field")}
    row, _ = fold(None, fact._replace(data=data), figures)
    assert (row["locality"], row["non_local"], row["in_field"]) == (None, 0, 0)
    assert figures[0].amount == 0


def test_init_adds_the_columns_to_a_store_made_before_them(services: Services,
                                                           custody: CustodyApplication) -> None:
    """GIVEN a view store whose dossiers table lacks the locality columns, holding a receipt
    WHEN ``hoso init`` sets the store up again THEN the columns are there and the row reads as
    a receipt made before them."""
    code = receive(custody, HOME, HOME_STAFF["receiver"], procedure="1.004227",
                   accept_incomplete=True)["code"]
    views = services.open_views()
    views.status(code)
    store = services.backend.view_store(custody.recorder)
    table = getattr(store, "dossiers", DOSSIERS_TABLE)
    added = ("locality", "non_local", "in_field")
    assert set(added) <= set(ADDED_COLUMNS)
    with store.datastore.transaction(commit=True) as cursor:
        for name in added:
            cursor.execute(f"ALTER TABLE {table} DROP COLUMN {name}")
    store.create_table()
    (row,) = store.query("SELECT * FROM {dossiers}")
    assert (row["locality"], row["non_local"], row["in_field"]) == (None, 0, 0)
    assert services.open_views().status(code)["non_local"] is False


def test_the_cli_reads_the_card_and_takes_the_locality(custody: CustodyApplication,
                                                       store_env: dict[str, str]) -> None:
    """GIVEN the hoso command WHEN a birth is received with --card-qr (given, or '-' for
    standard input) and --locality THEN the applicant comes from the card and the dossier goes
    to the commune; a text that is no card is refused with exit 2 without echoing it."""
    hoso = Hoso(store_env)
    common = ["receive", "--office", CHAU_CAU, "--actor", CHAU_CAU_RECEIVER, "--procedure",
              BIRTH["procedure"], *(f"--component={c}" for c in BIRTH["components"])]
    done = hoso.ok(*common, "--card-qr", CARD, "--locality", "moc-hoan")
    status = custody.status(done["code"])
    assert (status["applicant_name"], status["resolving_office"], status["non_local"]) == (
        "Nguyễn Thị Ánh Tuyết", MOC_HOAN, True)
    assert custody.history(done["code"])[0]["applicant_id"] == "036190007788"
    piped = subprocess.run([sys.executable, "-m", "tracker.cli.main", *common, "--card-qr", "-",
                            "--locality", "chau-cau", "--json"], input=CARD, env=hoso.env,
                           capture_output=True, text=True, timeout=120, check=True)
    assert custody.status(json.loads(piped.stdout)["code"])["applicant_name"] == (
        "Nguyễn Thị Ánh Tuyết")
    bad = hoso(*common, "--card-qr", "03619000778||Nguyễn Thị Ánh Tuyết", "--locality",
               "chau-cau", "--json")
    assert bad.code == 2
    assert "12 digits" in bad.stderr
    assert "03619000778" not in bad.stderr + bad.stdout
    unnamed = hoso(*common, "--card-qr", CARD, "--json")
    assert unnamed.code == 2
    assert "locality-named" in unnamed.stderr


def test_the_api_reads_the_card_and_takes_the_locality(services: Services,
                                                       custody: CustodyApplication) -> None:
    client: FlaskClient = create_app(services, {"TESTING": True}).test_client()
    api = AsStaff(client, Tokens(services), CHAU_CAU_RECEIVER)
    body = {"office": CHAU_CAU, **BIRTH, "locality": "moc-hoan", "id_card": CARD}
    made = api.post("/api/v1/dossiers", json=body)
    assert made.status_code == 201, made.get_json()
    assert (made.get_json()["resolving_office"], made.get_json()["non_local"]) == (MOC_HOAN, True)
    assert made.get_json()["applicant_name"] == "Nguyễn Thị Ánh Tuyết"
    agreeing = api.post("/api/v1/dossiers", json={**body, "applicant_name": "NGUYỄN THỊ ÁNH TUYẾT"})
    assert agreeing.status_code == 201
    for change, status, word in (({"applicant_id": "036190007789"}, 409, "card-agrees"),
                                 ({"id_card": "036190007788|1|Tuyết"}, 400, "old ID number"),
                                 ({"id_card": None}, 400, "id_card"),
                                 ({"locality": "ha-noi"}, 404, "locality"),
                                 ({"locality": None}, 409, "locality-named")):
        answer = api.post("/api/v1/dossiers", json={**body, **change},
                          headers={"Accept-Language": "en"})
        assert answer.status_code == status, (change, answer.get_json())
        assert word in answer.get_json()["message"]
        assert "036190007788" not in answer.get_json()["message"]
    typed = api.post("/api/v1/dossiers", json={"office": CHAU_CAU, **BIRTH, **APPLICANT,
                                               "locality": "chau-cau"})
    assert typed.status_code == 201
    assert custody.status(typed.get_json()["code"])["non_local"] is False
