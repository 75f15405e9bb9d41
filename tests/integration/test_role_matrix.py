"""Every ``/api/v1`` route asked by every role, at the dossier's own offices and at another
district's: the answer each should get is kept in one table, ``MATRIX``, and every cell that
differs is reported in one failure.

The people (tests/districts.py): the columns ``rcv opr cur off ins sup adm`` are a receiver, an
operator, a courier and a supervisor at HOME (Phủ Lý's one-stop), an official at AGENCY (under
HOME, resolving the procedure), an inspector and the admin at the provincial centre; ``stn`` is
the HOME operator's station token, ``hh`` the HOME courier's handheld token. The primed columns
are the same roles in another district (AWAY, Duy Tiên; its official at an agency under it).
``none`` sends no token. Each row says which dossier it asks about; "own" is then simply where
the row's dossier is, and the primed columns are always elsewhere; the register rows ask for HOME's
register.

Reading a cell: 401 and 403 are refusals by authentication and authorisation (with the API's
JSON error body). Anything else means the request got past them: 200/201 is done; 409 is a
custody rule refusing after the permission check let the request through (the row's comment
names the rule); 404 is a dossier that does not exist, said only to a role that may act on
dossiers; 400 is input refused after the token was let through. Rows that change a
dossier give every cell a fresh dossier made for it, so no cell sees another's effect; reads
share one dossier per row.

The whole table runs on SQLite and on PostgreSQL (a few seconds each): the decisions rest on
the status view and the accounts read back from the store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.districts import (
    AGENCY,
    APPLICANT,
    AWAY_STAFF,
    COMMUNE,
    COMMUNE_RECEIVER,
    HOME,
    HOME_STAFF,
    PROCEDURE,
    check_cast,
)
from tests.identities import Tokens
from tracker import bags
from tracker.application import CustodyApplication
from tracker.bootstrap import Services
from tracker.identity.permissions import PERSONAL_FIELDS
from tracker.web import create_app

MATRIX = """
row                   rcv opr cur off ins sup adm stn hh   rcv' opr' cur' off' ins' sup' stn'  none
receive               201 403 403 403 403 201 403 403 403  403  403  403  403  403  403  403   401
refuse                201 403 403 403 403 201 403 403 403  403  403  403  403  403  403  403   401
collect-fee           200 403 403 403 403 200 403 403 403  403  403  403  403  403  403  403   401
# taking papers again from an earlier dossier that does not exist: past the permission check
reuse                 404 403 403 403 403 404 403 403 403  403  403  403  403  403  403  403   401
# opr: RULES let an operator hand over at their office; custody wants the custodian (409)
handover              200 409 403 403 403 200 403 403 403  403  403  403  403  403  403  403   401
# sup: an override within the supervisor's subtree; sup' is another district's
handover-at-agency    403 403 403 200 403 200 403 403 403  403  403  403  403  403  403  403   401
# sup: an override at a commune of the subtree, not their own office
handover-at-commune   403 403 403 403 403 200 403 403 403  403  403  403  403  403  403  403   401
# a code never issued: 404 for those who may act on dossiers, 403 for those who may not
handover-unknown-code 404 404 403 404 403 404 403 403 403  404  404  403  404  403  404  403   401
accept                403 403 403 200 403 403 403 403 403  403  403  403  403  403  403  403   401
request-supplement    200 403 403 403 403 200 403 403 403  403  403  403  403  403  403  403   401
supplement-received   200 403 403 403 403 200 403 403 403  403  403  403  403  403  403  403   401
cancel                200 403 403 403 403 200 403 403 403  403  403  403  403  403  403  403   401
pause                 403 403 403 200 403 403 403 403 403  403  403  403  403  403  403  403   401
resume                403 403 403 200 403 403 403 403 403  403  403  403  403  403  403  403   401
reschedule            403 403 403 200 403 403 403 403 403  403  403  403  403  403  403  403   401
reject                403 403 403 200 403 403 403 403 403  403  403  403  403  403  403  403   401
resolve               403 403 403 200 403 403 403 403 403  403  403  403  403  403  403  403   401
return                200 403 403 403 403 200 403 403 403  403  403  403  403  403  403  403   401
digitise              403 403 403 403 403 403 403 200 403  403  403  403  403  403  403  403   401
station-digitised     403 403 403 403 403 403 403 200 403  403  403  403  403  403  403  403   401
# stn': any station may ask whether a code exists; nothing else is said
station-known         403 403 403 403 403 403 403 200 403  403  403  403  403  403  403  200   401
# stn, stn': no files sent, refused as input (400) once the token was let through
station-scans         403 403 403 403 403 403 403 400 403  403  403  403  403  403  403  400   401
status                200 200 200 200 200 200 403 403 200  403  403  403  403  200  403  403   401
# a code never issued, as above
status-unknown-code   404 404 404 404 404 404 403 403 404  404  404  404  404  404  404  403   401
# cur, hh: carries it from COMMUNE to AGENCY, works at neither, and reads it as its carrier
status-of-carried     403 403 200 200 200 200 403 403 200  403  403  403  403  200  403  403   401
history               200 200 200 200 200 200 403 403 200  403  403  403  403  200  403  403   401
download-page         200 200 403 200 200 200 403 403 403  403  403  403  403  200  403  403   401
# slips show the applicant: readers of the dossier but couriers
slip-receipt          200 200 403 200 200 200 403 403 403  403  403  403  403  200  403  403   401
slip-supplement       200 200 403 200 200 200 403 403 403  403  403  403  403  200  403  403   401
slip-refusal          200 200 403 200 200 200 403 403 403  403  403  403  403  200  403  403   401
slip-apology          200 200 403 200 200 200 403 403 403  403  403  403  403  200  403  403   401
# never rescheduled: slip-source-event refuses once the permission check let the request through
slip-apology-missing  409 409 403 409 409 409 403 403 403  403  403  403  403  409  403  403   401
slip-unknown-code     404 404 403 404 404 404 403 403 403  404  404  403  404  404  404  403   401
download-ocr-text     200 200 403 200 200 200 403 403 403  403  403  403  403  200  403  403   401
queue-of-home         200 200 200 403 200 200 403 403 200  403  403  403  403  200  403  403   401
queue-of-oneself      200 200 200 200 200 200 403 403 200  200  200  200  200  200  200  403   401
report-of-home        200 403 403 403 200 200 403 403 403  403  403  403  403  200  403  403   401
report-own-offices    200 403 403 200 200 200 403 403 403  200  403  403  200  200  200  403   401
register-pdf          200 403 403 403 200 200 403 403 403  403  403  403  403  200  403  403   401
register-csv          200 403 403 403 200 200 403 403 403  403  403  403  403  200  403  403   401
# bags, as the handover and acceptance of the dossiers inside; off, primed: the dossier is not
# held at their office (bag-at-origin, or bag-elsewhere for the destination's own official)
bag-create            201 201 403 409 403 201 403 403 403  409  409  403  409  403  409  403   401
bag-fill              200 200 403 403 403 200 403 403 403  403  403  403  403  403  403  403   401
# opr: RULES let an operator hand over at their office; custody wants the custodian (409)
bag-handover          200 409 403 403 403 200 403 403 403  403  403  403  403  403  403  403   401
bag-accept            403 403 403 200 403 403 403 403 403  403  403  403  403  403  403  403   401
# a bag lists codes and page counts: readers at either of its offices, couriers included
bag                   200 200 200 200 200 200 403 403 200  403  403  403  403  200  403  403   401
bag-manifest          200 200 200 200 200 200 403 403 200  403  403  403  403  200  403  403   401
offices               200 200 200 200 200 200 200 403 200  200  200  200  200  200  200  403   401
staff                 200 200 200 200 200 200 200 403 200  200  200  200  200  200  200  403   401
procedures            200 200 200 200 200 200 200 403 200  200  200  200  200  200  200  403   401
access-log            403 403 403 403 200 403 403 403 403  403  403  403  403  200  403  403   401
accounts              403 403 403 403 403 403 200 403 403  403  403  403  403  403  403  403   401
set-password          403 403 403 403 403 403 200 403 403  403  403  403  403  403  403  403   401
disable               403 403 403 403 403 403 200 403 403  403  403  403  403  403  403  403   401
enable                403 403 403 403 403 403 200 403 403  403  403  403  403  403  403  403   401
tokens                403 403 403 403 403 403 200 403 403  403  403  403  403  403  403  403   401
issue-token           403 403 403 403 403 403 201 403 403  403  403  403  403  403  403  403   401
revoke-token          403 403 403 403 403 403 200 403 403  403  403  403  403  403  403  403   401
openapi               200 200 200 200 200 200 200 200 200  200  200  200  200  200  200  200   200
public-status         200 200 200 200 200 200 200 200 200  200  200  200  200  200  200  200   200
"""
"""The expected answer of every route (row) to every caller (column); see the module doc."""

DENIALS = {401: "unauthorized", 403: "forbidden"}


@dataclass(frozen=True)
class Caller:
    staff: str | None
    kind: str = "api"
    station: str | None = None

    def me(self) -> str:
        return self.staff or HOME_STAFF["receiver"]


CALLERS = {
    "rcv": Caller(HOME_STAFF["receiver"]), "opr": Caller(HOME_STAFF["operator"]),
    "cur": Caller(HOME_STAFF["courier"]), "off": Caller(HOME_STAFF["official"]),
    "ins": Caller(HOME_STAFF["inspector"]), "sup": Caller(HOME_STAFF["supervisor"]),
    "adm": Caller(HOME_STAFF["admin"]),
    "stn": Caller(HOME_STAFF["operator"], "station", "st-phu-ly"),
    "hh": Caller(HOME_STAFF["courier"], "handheld"),
    "rcv'": Caller(AWAY_STAFF["receiver"]), "opr'": Caller(AWAY_STAFF["operator"]),
    "cur'": Caller(AWAY_STAFF["courier"]), "off'": Caller(AWAY_STAFF["official"]),
    "ins'": Caller(AWAY_STAFF["inspector"]), "sup'": Caller(AWAY_STAFF["supervisor"]),
    "stn'": Caller(AWAY_STAFF["operator"], "station", "st-duy-tien"),
    "none": Caller(None),
}
COURIERS = ("cur", "hh", "cur'")


def expectations() -> dict[str, dict[str, int]]:
    """MATRIX as {row: {column: status}}; refuses a table whose header or a row is malformed."""
    lines = [line.split() for line in MATRIX.strip().splitlines() if not line.startswith("#")]
    header, rows = lines[0][1:], lines[1:]
    if header != list(CALLERS):
        raise ValueError(f"MATRIX columns {header} are not {list(CALLERS)}")
    table = {}
    for name, *cells in rows:
        if len(cells) != len(header) or name in table:
            raise ValueError(f"MATRIX row {name!r} has {len(cells)} cells or is repeated")
        table[name] = dict(zip(header, map(int, cells), strict=True))
    return table


# -- the world the requests act on ----------------------------------------------------------


BYSTANDER = "pl-rcv-002"
"""Whose account the admin rows manage: a staff member none of the callers is."""


@dataclass(frozen=True)
class Target:
    code: str = HOME + "-260310-9999"  # a code never issued
    page: str = ""
    ocr_text: str = ""
    token_id: str = ""
    bag: str = "TUI-00000000"


class Scenario:
    """The app over the demo province, a token for every caller, and dossiers made to order by
    the application itself (as its own staff would, without going through the API)."""

    def __init__(self, services: Services) -> None:
        self.custody: CustodyApplication = services.application()
        check_cast(self.custody.province())
        self.client: FlaskClient = create_app(
            services, {"TESTING": True, "RATELIMIT_ENABLED": False}).test_client()
        self.accounts = services.accounts()
        tokens = Tokens(services)
        self.headers = {name: tokens.header(c.staff, c.kind, c.station) if c.staff else {}
                        for name, c in CALLERS.items()}
        self.components = list(self.custody.province().procedure(PROCEDURE).required_components)
        self.page = self.custody.objects.put(b"trang 1" * 400, "image/png").key
        self.ocr_text = self.custody.objects.put(
            '{"pages": [{"page": 1, "text": "Lê Thị Mai"}]}'.encode(), "application/json").key

    def receipt(self, office: str = HOME) -> dict[str, Any]:
        return {"office": office, "procedure": PROCEDURE, "components": self.components,
                **APPLICANT}

    # dossiers, each in the state a row needs
    def held(self, office: str = HOME, receiver: str = HOME_STAFF["receiver"]) -> Target:
        return Target(self.custody.receive(**self.receipt(office), actor=receiver)["code"])

    def at_commune(self) -> Target:
        return self.held(COMMUNE, COMMUNE_RECEIVER)

    def carried(self) -> Target:
        """On its way from COMMUNE to AGENCY with HOME's courier."""
        target = self.at_commune()
        self.custody.hand_over(target.code, COMMUNE_RECEIVER, AGENCY,
                               courier=HOME_STAFF["courier"])
        return target

    def in_transit(self) -> Target:
        target = self.held()
        self.custody.hand_over(target.code, HOME_STAFF["receiver"], AGENCY,
                               courier=HOME_STAFF["courier"])
        return target

    def at_agency(self) -> Target:
        target = self.in_transit()
        self.custody.accept(target.code, HOME_STAFF["official"], AGENCY)
        return target

    def paused(self) -> Target:
        target = self.at_agency()
        self.custody.pause(target.code, HOME_STAFF["official"], "chờ xác minh")
        return target

    def awaiting(self) -> Target:
        target = self.held()
        self.custody.request_supplement(target.code, HOME_STAFF["receiver"], "thiếu bản gốc")
        return target

    def rescheduled(self) -> Target:
        target = self.at_agency()
        self.custody.reschedule(target.code, HOME_STAFF["official"], date(2026, 12, 31),
                                "cần xác minh thêm")
        return target

    def rejected(self) -> Target:
        target = self.at_agency()
        self.custody.reject(target.code, HOME_STAFF["official"], "không đủ điều kiện",
                            reason_code="khong-du-dieu-kien")
        return target

    def decided(self) -> Target:
        target = self.held()
        self.custody.resolve(target.code, HOME_STAFF["supervisor"])
        return target

    def scanned(self) -> Target:
        target = self.held()
        self.custody.digitise(target.code, HOME_STAFF["operator"], [self.page],
                              ocr_text_key=self.ocr_text)
        return Target(target.code, self.page, self.ocr_text)

    def open_bag(self) -> Target:
        """A bag at HOME bound for AGENCY with one dossier HOME's receiver holds."""
        target = self.held()
        made = bags.create(self.custody, HOME_STAFF["receiver"], AGENCY, [target.code])
        return Target(target.code, bag=made["bag"])

    def bag_in_transit(self) -> Target:
        target = self.open_bag()
        bags.hand_over(self.custody, target.bag, HOME_STAFF["receiver"], HOME_STAFF["courier"])
        return target

    def unknown(self) -> Target:
        return Target()

    def disabled(self) -> Target:
        self.accounts.disable(BYSTANDER, "tests")
        return Target()

    def token(self) -> Target:
        grant, _ = self.accounts.issue_token(BYSTANDER, "api", "tests")
        return Target(token_id=grant.id)

    def ask(self, row: Row, target: Target, column: str) -> TestResponse:
        caller = CALLERS[column]
        path = (row.rule.replace("<code>", target.code)
                .replace("<path:key>", target.ocr_text if row.ocr_text else target.page)
                .replace("<who>", HOME if row.who_home else caller.me())
                .replace("<staff>", BYSTANDER).replace("<token_id>", target.token_id)
                .replace("<bag>", target.bag)
                .replace("<office>", HOME))
        body = row.body(self, target, caller) if row.body else None
        return self.client.open(path + row.query.format(code=target.code), method=row.method,
                                json=body, headers=self.headers[column])


# -- how each row asks ----------------------------------------------------------------------

Body = Callable[[Scenario, Target, Caller], Any]


@dataclass(frozen=True)
class Row:
    """``method`` on ``rule`` about the dossier ``setup`` makes (a Scenario method's name):
    once per row for reads, once per cell for commands (``fresh``)."""

    method: str
    rule: str
    setup: str = "unknown"
    body: Body | None = None
    fresh: bool = False
    query: str = ""
    ocr_text: bool = False
    who_home: bool = False


def said(**fields: Any) -> Body:
    return lambda scenario, target, caller: fields


def command(action: str, setup: str, body: Body | None = None) -> Row:
    return Row("POST", f"/api/v1/dossiers/<code>/{action}", setup, body or said(), fresh=True)


DOSSIER = "/api/v1/dossiers/<code>"
OBJECT = "/api/v1/dossiers/<code>/objects/<path:key>"
SLIPS = "/api/v1/dossiers/<code>/slips"
PERIOD = "?from=2026-03-01&to=2026-03-31"
TO_AGENCY = said(courier=HOME_STAFF["courier"], to_office=AGENCY)

ROWS: dict[str, Row] = {
    "receive": Row("POST", "/api/v1/dossiers", body=lambda s, t, c: s.receipt()),
    "refuse": Row("POST", "/api/v1/refusals",
                  body=lambda s, t, c: {**s.receipt(), "reason": "sai thủ tục"}),
    "collect-fee": command("collect-fee", "held", said(amount=50_000)),
    "reuse": command("reuse", "held", said(source=f"{HOME}-250101-0001",
                                           components=["don"])),
    "handover": command("handover", "held", TO_AGENCY),
    "handover-at-agency": command("handover", "at_agency",
                                  said(courier=HOME_STAFF["courier"], to_office=HOME)),
    "handover-at-commune": command("handover", "at_commune", TO_AGENCY),
    "handover-unknown-code": Row("POST", "/api/v1/dossiers/<code>/handover", body=TO_AGENCY),
    "accept": command("accept", "in_transit", said(office=AGENCY)),
    "request-supplement": command("request-supplement", "held", said(reason="thiếu bản gốc")),
    "supplement-received": command("supplement-received", "awaiting"),
    "cancel": command("cancel", "held", said(reason="công dân rút hồ sơ",
                                             reason_code="cong-dan-rut")),
    "pause": command("pause", "at_agency", said(reason="chờ xác minh")),
    "resume": command("resume", "paused"),
    "reschedule": command("reschedule", "at_agency",
                          said(to="2026-12-31", reason="cần xác minh thêm")),
    "reject": command("reject", "at_agency", said(reason="không đủ điều kiện",
                                                  reason_code="khong-du-dieu-kien")),
    "resolve": command("resolve", "at_agency"),
    "return": command("return", "decided"),
    "digitise": command("digitise", "held", lambda s, t, c: {"pages": [s.page]}),
    "station-digitised": Row(
        "POST", "/api/v1/station/dossiers/<code>/digitised", "held",
        lambda s, t, c: {"pages": [s.page], "station": c.station or "st-phu-ly"}, fresh=True),
    "station-known": Row("GET", "/api/v1/station/dossiers/<code>", "held"),
    "station-scans": Row("POST", "/api/v1/station/scans"),
    "status": Row("GET", DOSSIER, "scanned"),
    "status-unknown-code": Row("GET", DOSSIER),
    "status-of-carried": Row("GET", DOSSIER, "carried"),
    "history": Row("GET", f"{DOSSIER}/history", "scanned"),
    "download-page": Row("GET", OBJECT, "scanned"),
    "download-ocr-text": Row("GET", OBJECT, "scanned", ocr_text=True),
    "slip-receipt": Row("GET", f"{SLIPS}/receipt.pdf", "held"),
    "slip-supplement": Row("GET", f"{SLIPS}/supplement.pdf", "awaiting"),
    "slip-refusal": Row("GET", f"{SLIPS}/refusal.pdf", "rejected"),
    "slip-apology": Row("GET", f"{SLIPS}/apology.pdf", "rescheduled"),
    "slip-apology-missing": Row("GET", f"{SLIPS}/apology.pdf", "held"),
    "slip-unknown-code": Row("GET", f"{SLIPS}/receipt.pdf"),
    "queue-of-home": Row("GET", "/api/v1/queues/<who>", who_home=True),
    "queue-of-oneself": Row("GET", "/api/v1/queues/<who>"),
    "report-of-home": Row("GET", "/api/v1/report", query=f"{PERIOD}&office={HOME}"),
    "report-own-offices": Row("GET", "/api/v1/report", query=PERIOD),
    "register-pdf": Row("GET", "/api/v1/offices/<office>/register.pdf", query=PERIOD),
    "register-csv": Row("GET", "/api/v1/offices/<office>/register.csv", query=PERIOD),
    "bag-create": Row("POST", "/api/v1/bags", "held",
                      lambda s, t, c: {"to_office": AGENCY, "codes": [t.code]}, fresh=True),
    "bag-fill": Row("POST", "/api/v1/bags/<bag>/fill", "open_bag",
                    lambda s, t, c: {"codes": [s.held().code]}, fresh=True),
    "bag-handover": Row("POST", "/api/v1/bags/<bag>/handover", "open_bag",
                        said(courier=HOME_STAFF["courier"]), fresh=True),
    "bag-accept": Row("POST", "/api/v1/bags/<bag>/accept", "bag_in_transit",
                      said(office=AGENCY), fresh=True),
    "bag": Row("GET", "/api/v1/bags/<bag>", "open_bag"),
    "bag-manifest": Row("GET", "/api/v1/bags/<bag>/manifest.pdf", "open_bag"),
    "offices": Row("GET", "/api/v1/offices"),
    "staff": Row("GET", "/api/v1/staff"),
    "procedures": Row("GET", "/api/v1/procedures"),
    "access-log": Row("GET", "/api/v1/access-log", "scanned", query="?dossier={code}"),
    "accounts": Row("GET", "/api/v1/accounts"),
    "set-password": Row("POST", "/api/v1/accounts/<staff>/password",
                        body=said(password="một câu mật khẩu đủ dài")),
    "disable": Row("POST", "/api/v1/accounts/<staff>/disable", fresh=True),
    "enable": Row("POST", "/api/v1/accounts/<staff>/enable", "disabled", fresh=True),
    "tokens": Row("GET", "/api/v1/tokens"),
    "issue-token": Row("POST", "/api/v1/tokens", body=said(staff=BYSTANDER, kind="api")),
    "revoke-token": Row("POST", "/api/v1/tokens/<token_id>/revoke", "token", fresh=True),
    "openapi": Row("GET", "/api/v1/openapi.json"),
    "public-status": Row("GET", "/api/v1/public/status", "scanned",
                         query="?code={code}&digits=0111"),
}


# -- what an answer must also show ---------------------------------------------------------


def personal_fields(document: Any) -> set[str]:
    rows = document if isinstance(document, list) else [document]
    return {field for row in rows for field in PERSONAL_FIELDS.intersection(row)}


def shows_the_applicant_only_to_non_couriers(column: str, document: Any) -> str | None:
    shown = personal_fields(document)
    if column in COURIERS and shown:
        return f"a courier was shown {sorted(shown)}"
    if column not in COURIERS and "applicant_name" not in shown:
        return "the applicant's name is missing"
    return None


CHECKS: dict[str, Callable[[str, Any], str | None]] = {
    "status": shows_the_applicant_only_to_non_couriers,
    "status-of-carried": shows_the_applicant_only_to_non_couriers,
    "history": shows_the_applicant_only_to_non_couriers,
}


# -- running the table ----------------------------------------------------------------------


def differences(scenario: Scenario) -> tuple[int, list[str]]:
    """Ask every cell of MATRIX: how many were asked, and each answer that differs."""
    asked, found = 0, []
    for name, cells in expectations().items():
        row = ROWS[name]
        make: Callable[[], Target] = getattr(scenario, row.setup)
        shared = None if row.fresh else make()
        for column, want in cells.items():
            response = scenario.ask(row, shared or make(), column)
            asked += 1
            if (problem := judged(name, column, want, response)) is not None:
                found.append(f"{name} as {column} ({CALLERS[column].staff}): {problem}")
    return asked, found


def judged(name: str, column: str, want: int, response: TestResponse) -> str | None:
    got = response.status_code
    body = response.get_json(silent=True)
    message = body.get("message") if isinstance(body, dict) else None
    if got != want:
        kind = ("UNEXPECTED ALLOW" if want in DENIALS and got not in DENIALS else
                "unexpected deny" if got in DENIALS and want not in DENIALS else "wrong answer")
        return f"{kind}: expected {want}, got {got} ({message})"
    if got in DENIALS and (not isinstance(body, dict) or body.get("error") != DENIALS[got]):
        return f"a {got} without the JSON error body: {response.data[:200]!r}"
    if got == 401 and not response.headers.get("WWW-Authenticate", "").startswith("Bearer"):
        return "a 401 without a Bearer challenge"
    check = CHECKS.get(name)
    return check(column, body) if check and got < 300 else None


def report(asked: int, found: list[str]) -> str:
    allows = sum("UNEXPECTED ALLOW" in line for line in found)
    return (f"{len(found)} of {asked} cells differ from MATRIX ({allows} unexpected allows):\n"
            + "\n".join(found))


@pytest.fixture
def scenario(services: Services) -> Scenario:
    return Scenario(services)


def test_every_route_answers_every_caller_as_the_table_says(scenario: Scenario) -> None:
    asked, found = differences(scenario)
    assert not found, report(asked, found)


@pytest.mark.parametrize("backend", ["sqlite"])  # the routes served do not depend on the store
def test_the_table_has_a_row_for_every_route_served(scenario: Scenario) -> None:
    """GIVEN the routes the app serves under /api/v1 THEN each has a row in MATRIX, and each
    row asks a route that is served: a new route cannot ship without its row."""
    app = scenario.client.application
    served = {(method, rule.rule) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1"
              for method in rule.methods or () if method not in ("HEAD", "OPTIONS")}
    asked = {(row.method, row.rule) for row in ROWS.values()}
    assert sorted(served - asked) == [], "routes without a row in MATRIX"
    assert sorted(asked - served) == [], "rows for routes the app does not serve"
    assert set(expectations()) == set(ROWS)
