"""Every page route asked by every role through a signed-in session, at the dossier's own
offices and at another district's: the pages' counterpart of ``test_role_matrix``'s table.

The columns are the people of ``test_role_matrix`` who sign in to pages (tokens do not open
pages): ``rcv opr cur off ins sup adm`` at HOME or the provincial centre, the primed ones in
another district, ``none`` not signed in. A cell is the answer's status, or ``in`` for a
redirect to the sign-in page. 302 is a form done (redirected to its outcome); 400 and 409 are
input and custody rules refusing on the page after the permission check let the request
through; 403 and 404 are error pages. Forms are sent without their CSRF token (CSRF is tested
in ``test_sign_in``) and with an idempotency key of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.districts import AGENCY, HOME_STAFF, PROCEDURE
from tests.integration.test_role_matrix import CALLERS, Scenario, Target
from tracker.bootstrap import Services
from tracker.domain.bag import new_bag_code
from tracker.web import create_app

MATRIX = """
row                   rcv opr cur off ins sup adm  rcv' opr' cur' off' ins' sup'  none
home                  200  200  200  200  200  200  200  200  200  200  200  200  200  in
sign-in               302  302  302  302  302  302  302  302  302  302  302  302  302  200
password              200  200  200  200  200  200  200  200  200  200  200  200  200  in
change-password       401  401  401  401  401  401  401  401  401  401  401  401  401  in
sign-in-wrongly       401  401  401  401  401  401  401  401  401  401  401  401  401  401
lookup                200  200  200  200  200  200  200  200  200  200  200  200  200  200
# the same for everyone, signed in or not: no checkpoint is signed in this store, so no proof yet
lookup-proof          503  503  503  503  503  503  503  503  503  503  503  503  503  503
# the counter receives at the receiver's own office, whatever the applicant's locality
counter               200  403  403  403  403  200  403  200  403  403  403  403  200  in
counter-form          200  403  403  403  403  200  403  200  403  403  403  403  200  in
counter-receive       302  403  403  403  403  302  403  302  403  403  403  403  302  in
counter-refuse        302  403  403  403  403  302  403  302  403  403  403  403  302  in
counter-card          200  403  403  403  403  200  403  200  403  403  403  403  200  in
counter-papers        200  403  403  403  403  200  403  200  403  403  403  403  200  in
counter-received      200  403  403  403  403  200  403  403  403  403  403  403  403  in
queue                 200  200  200  200  200  200  403  200  200  200  200  200  200  in
# cur: couriers see the dossier's page without the applicant (test_role_matrix checks fields)
dossier               200  200  200  200  200  200  403  403  403  403  403  200  403  in
dossier-of-carried    403  403  200  200  200  200  403  403  403  403  403  200  403  in
dossier-unknown       404  404  404  404  404  404  403  404  404  404  404  404  404  in
slip                  200  200  403  200  200  200  403  403  403  403  403  200  403  in
accept                403  403  403  302  403  403  403  403  403  403  403  403  403  in
# opr: RULES let an operator hand over at their office; custody wants the custodian (409)
handover              302  409  403  403  403  302  403  403  403  403  403  403  403  in
resolve               403  403  403  302  403  403  403  403  403  403  403  403  403  in
reschedule            403  403  403  302  403  403  403  403  403  403  403  403  403  in
return                302  403  403  403  403  302  403  403  403  403  403  403  403  in
# the dossier is looked up only for those who may read it: the others are refused first
no-such-action        404  404  404  404  404  404  403  403  403  403  403  404  403  in
courier               200  200  200  200  200  200  403  200  200  200  200  200  200  in
# the service worker's script is code, the same for everyone
courier-sw            200  200  200  200  200  200  200  200  200  200  200  200  200  200
# off: a bag from the agency to itself is refused (409); officials send results back in bags
make-bag              302  302  403  409  403  302  403  302  302  403  302  403  302  in
# a bag's code opens the bag where it may be read, and accepts it at its destination (off)
scan-bag              302  302  302  302  302  302  403  403  403  403  403  302  403  in
bag                   200  200  200  200  200  200  403  403  403  403  403  200  403  in
bag-scan              200  200  403  403  403  200  403  403  403  403  403  403  403  in
bag-handover          302  409  403  403  403  302  403  403  403  403  403  403  403  in
bag-accept            403  403  403  302  403  403  403  403  403  403  403  403  403  in
bag-manifest          200  200  200  200  200  200  403  403  403  403  403  200  403  in
# the inspector's pages: inspectors anywhere, supervisors over their subtree (RULES "inspect")
inspect-search        403  403  403  403  200  200  403  403  403  403  403  200  200  in
inspect-dossier       403  403  403  403  200  200  403  403  403  403  403  200  403  in
inspect-pages         403  403  403  403  200  200  403  403  403  403  403  200  403  in
inspect-page          403  403  403  403  200  200  403  403  403  403  403  200  403  in
# no key of the log in this store: the export is refused after the permission check (503)
inspect-export        403  403  403  403  503  503  403  403  403  403  403  503  403  in
# no file sent: refused on the page after the permission check
inspect-verify        403  403  403  403  400  400  403  403  403  403  403  400  400  in
inspect-reads         403  403  403  403  200  403  403  403  403  403  403  200  403  in
# the report (RULES "report"): their own office, a supervisor's subtree, the province for an
# inspector; a named office outside that is refused
report                200  403  403  200  200  200  403  200  403  403  200  200  200  in
report-of-home        403  403  403  403  200  200  403  403  403  403  403  200  403  in
report-refused        400  403  403  400  400  400  403  400  403  403  400  400  400  in
report-csv            200  403  403  200  200  200  403  200  403  403  200  200  200  in
report-xlsx           200  403  403  200  200  200  403  200  403  403  200  200  200  in
# the scanning station's QC page (RULES "digitised"); no batch is staged in this store
qc                    200  200  403  403  403  200  403  200  200  403  403  403  200  in
qc-upload-empty       400  400  403  403  403  400  403  400  400  403  403  403  400  in
qc-batch-unknown      404  404  403  403  403  404  403  404  404  403  403  403  404  in
qc-thumbnail-unknown  404  404  403  403  403  404  403  404  404  403  403  403  404  in
qc-act-unknown        404  404  403  403  403  404  403  404  404  403  403  403  404  in
sign-out              in   in   in   in   in   in   in   in   in   in   in   in   in   in
"""
"""The expected answer of every page route (row) to every person (column)."""

PASSWORD = "mật khẩu cho bảng quyền 2026"
PEOPLE = [name for name, caller in CALLERS.items() if caller.kind == "api"]
IGNORED = ("/api/", "/static/", "/healthz", "/readyz", "/metrics")
"""Routes the API's own table covers, the files, the probes and the metrics (loopback or the
metrics token: tests/integration/test_metrics.py)."""


Form = Callable[[Scenario, Target], dict[str, Any]]


@dataclass(frozen=True)
class Row:
    """``method`` on ``rule`` about what ``setup`` makes; once per cell for forms (``fresh``)."""

    method: str
    rule: str
    setup: str = "unknown"
    form: Form | None = None
    fresh: bool = False
    query: str = ""
    action: str = ""


def sent(**fields: Any) -> Form:
    return lambda scenario, target: fields


def action(name: str, setup: str, form: Form | None = None) -> Row:
    return Row("POST", "/dossiers/<code>/<action>", setup, form or sent(), fresh=True,
               action=name)


def receipt(scenario: Scenario, target: Target) -> dict[str, Any]:
    """The counter's form as a receiver fills it in for HOME's procedure."""
    return {key: value for key, value in scenario.receipt().items() if key != "office"}


def refusal(scenario: Scenario, target: Target) -> dict[str, Any]:
    return {**receipt(scenario, target), "refusal_reason": "sai thủ tục"}


CARD = "036190007788||Nguyễn Thị Ánh Tuyết|02031990|Nữ|Xã Mộc Hoàn, Duy Tiên, Hà Nam|10052022"
"""Made up, in the shape of a chip ID card's QR code."""
BAG = "/courier/bags/<code>"
ROWS: dict[str, Row] = {
    "home": Row("GET", "/"),
    "sign-in": Row("GET", "/sign-in"),
    "password": Row("GET", "/password"),
    # a wrong current password: refused on the page, nothing changed
    "change-password": Row("POST", "/password", form=sent(current="not the password",
                                                            new="một mật khẩu mới đủ dài",
                                                            confirm="một mật khẩu mới đủ dài"),
                           fresh=True),
    # a wrong password for someone else's account: refused whoever asks
    "sign-in-wrongly": Row("POST", "/sign-in", form=sent(staff="pl-rcv-002", password="sai"),
                           fresh=True),
    "lookup": Row("GET", "/lookup", "held"),
    "lookup-proof": Row("GET", "/lookup/proof", "held", query="?code={code}&digits=0111"),
    "counter": Row("GET", "/counter/", query="?q=ho+tich"),
    "counter-form": Row("GET", "/counter/receive", query=f"?procedure={PROCEDURE}"),
    "counter-receive": Row("POST", "/counter/receive", form=receipt, fresh=True),
    "counter-refuse": Row("POST", "/counter/refuse", form=refusal, fresh=True),
    "counter-card": Row("POST", "/counter/card", form=sent(procedure=PROCEDURE, card=CARD)),
    "counter-received": Row("GET", "/counter/dossiers/<code>", "held"),
    "queue": Row("GET", "/queue"),
    "dossier": Row("GET", "/dossiers/<code>", "scanned"),
    "dossier-of-carried": Row("GET", "/dossiers/<code>", "carried"),
    "dossier-unknown": Row("GET", "/dossiers/<code>"),
    "slip": Row("GET", "/dossiers/<code>/slips/<kind>.pdf", "held"),
    "counter-papers": Row("POST", "/counter/papers",
                          form=sent(procedure=PROCEDURE, applicant_id="036190007788")),
    "accept": action("accept", "in_transit"),
    "handover": action("handover", "held", sent(courier=HOME_STAFF["courier"],
                                                to_office=AGENCY)),
    "resolve": action("resolve", "at_agency"),
    "reschedule": action("reschedule", "at_agency", sent(to="2026-12-31", reason="xác minh")),
    "return": action("return", "decided", sent(satisfaction="5")),
    "no-such-action": action("nonsense", "held"),
    "courier": Row("GET", "/courier/"),
    "courier-sw": Row("GET", "/courier/sw.js"),
    "make-bag": Row("POST", "/courier/bags", fresh=True,
                    form=lambda s, t: {"to_office": AGENCY, "key": new_bag_code()}),
    "scan-bag": Row("POST", "/courier/scan", "bag_in_transit",
                    lambda s, t: {"code": t.bag}, fresh=True),
    "bag": Row("GET", BAG, "open_bag"),
    "bag-scan": Row("POST", f"{BAG}/scan", "open_bag", lambda s, t: {"code": s.held().code},
                    fresh=True),
    "bag-handover": Row("POST", f"{BAG}/handover", "open_bag",
                        sent(courier=HOME_STAFF["courier"]), fresh=True),
    "bag-accept": Row("POST", f"{BAG}/accept", "bag_in_transit", sent(), fresh=True),
    "bag-manifest": Row("GET", f"{BAG}/manifest.pdf", "open_bag"),
    "inspect-search": Row("GET", "/inspect/", "held", query="?q={code}"),
    "inspect-dossier": Row("GET", "/inspect/dossiers/<code>", "scanned"),
    "inspect-pages": Row("GET", "/inspect/dossiers/<code>/pages", "scanned"),
    "inspect-page": Row("GET", "/inspect/dossiers/<code>/pages/<path:key>", "scanned"),
    "inspect-export": Row("GET", "/inspect/dossiers/<code>/export", "scanned",
                          query="?format=pdf"),
    "inspect-verify": Row("POST", "/inspect/verify", form=sent()),
    "inspect-reads": Row("GET", "/inspect/reads", query="?dossier={code}"),
    "report": Row("GET", "/report", "held", query="?from=2026-01-01&to=2026-12-31"),
    "report-of-home": Row("GET", "/report", query="?office=000.00.21.H40&subtree=on"),
    "report-refused": Row("GET", "/report", query="?from=2026-02-30"),
    "report-csv": Row("GET", "/report.csv", "held", query="?by=field"),
    "report-xlsx": Row("GET", "/report.xlsx", "held"),
    "qc": Row("GET", "/station/qc"),
    "qc-upload-empty": Row("POST", "/station/qc", form=sent()),
    "qc-batch-unknown": Row("GET", "/station/qc/<batch>"),
    "qc-thumbnail-unknown": Row("GET", "/station/qc/<batch>/pages/<page_id>.jpg"),
    "qc-act-unknown": Row("POST", "/station/qc/<batch>/<action>", form=sent(), action="move"),
    "sign-out": Row("POST", "/sign-out", form=sent()),  # last: it ends the sessions
}


class Pages:
    """The app with a signed-in client per person, over ``test_role_matrix``'s scenario."""

    def __init__(self, services: Services) -> None:
        self.scenario = Scenario(services)
        app = create_app(services, {"TESTING": True, "WTF_CSRF_ENABLED": False,
                                    "RATELIMIT_ENABLED": False})
        accounts = services.accounts()
        self.clients: dict[str, FlaskClient] = {}
        for column in PEOPLE:
            client = app.test_client()
            staff = CALLERS[column].staff
            if staff is not None:
                accounts.set_password(staff, PASSWORD, "tests")
                signed = client.post("/sign-in", data={"staff": staff, "password": PASSWORD})
                assert signed.status_code == 302, f"{staff} could not sign in"
            self.clients[column] = client
        self.app = app

    def ask(self, row: Row, target: Target, column: str, cell: int) -> TestResponse:
        code = target.bag if row.rule.startswith(BAG) else target.code
        path = (row.rule.replace("<code>", code).replace("<kind>", "receipt")
                .replace("<action>", row.action).replace("<path:key>", target.page))
        form = row.form(self.scenario, target) if row.form else None
        if form is not None:
            form = {"key": f"matrix-{column}-{cell}", **form}
        return self.clients[column].open(path + row.query.format(code=target.code),
                                         method=row.method, data=form)


def expectations() -> dict[str, dict[str, str]]:
    lines = [line.split() for line in MATRIX.strip().splitlines() if not line.startswith("#")]
    header, rows = lines[0][1:], lines[1:]
    if header != PEOPLE:
        raise ValueError(f"MATRIX columns {header} are not {PEOPLE}")
    table = {}
    for name, *cells in rows:
        if len(cells) != len(header) or name in table:
            raise ValueError(f"MATRIX row {name!r} has {len(cells)} cells or is repeated")
        table[name] = dict(zip(header, cells, strict=True))
    return table


def answer(response: TestResponse) -> str:
    if response.status_code == 302 and response.headers["Location"].startswith("/sign-in"):
        return "in"
    return str(response.status_code)


def differences(pages: Pages) -> tuple[int, list[str], dict[str, dict[str, str]]]:
    asked, found = 0, []
    seen: dict[str, dict[str, str]] = {}
    for name, cells in expectations().items():
        row = ROWS[name]
        make: Callable[[], Target] = getattr(pages.scenario, row.setup)
        shared = None if row.fresh else make()
        seen[name] = {}
        for column, want in cells.items():
            asked += 1
            got = answer(pages.ask(row, shared or make(), column, asked))
            seen[name][column] = got
            if got != want:
                found.append(f"{name} as {column} ({CALLERS[column].staff}): expected {want}, "
                             f"got {got}")
    return asked, found, seen


def table(seen: dict[str, dict[str, str]]) -> str:
    """What was seen, in MATRIX's layout, to read next to it."""
    lines = [f"{'row':22}" + " ".join(f"{c:4}" for c in PEOPLE)]
    lines += [f"{name:22}" + " ".join(f"{cells[c]:4}" for c in PEOPLE)
              for name, cells in seen.items()]
    return "\n".join(lines)


@pytest.fixture
def pages(services: Services) -> Pages:
    return Pages(services)


def test_every_page_answers_every_person_as_the_table_says(pages: Pages) -> None:
    asked, found, seen = differences(pages)
    assert not found, (f"{len(found)} of {asked} cells differ from MATRIX:\n" + "\n".join(found)
                       + "\n\nseen:\n" + table(seen))


@pytest.mark.parametrize("backend", ["sqlite"])  # the routes served do not depend on the store
def test_the_table_has_a_row_for_every_page_served(pages: Pages) -> None:
    """GIVEN the pages the app serves THEN each has a row in MATRIX, and each row asks a page
    that is served: a new page cannot ship without its row."""
    served = {(method, rule.rule) for rule in pages.app.url_map.iter_rules()
              if not rule.rule.startswith(IGNORED)
              for method in rule.methods or () if method not in ("HEAD", "OPTIONS")}
    asked = {(row.method, row.rule) for row in ROWS.values()}
    assert sorted(served - asked) == [], "pages without a row in MATRIX"
    assert sorted(asked - served) == [], "rows for pages the app does not serve"
    assert set(expectations()) == set(ROWS)

