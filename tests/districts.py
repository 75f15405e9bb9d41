"""Two districts of the demo province, by staff id, for the tests of who may do what where.

HOME is Phủ Lý's district one-stop: the one kind of office where a receiver, an operator, a
courier and a supervisor all work, so "a dossier at their own office" means the same office for
each. Its dossier goes to AGENCY, an agency under HOME that resolves PROCEDURE; COMMUNE is a ward
one-stop under HOME. AWAY is Duy Tiên's one-stop, in another district, with one of each role
too. The inspector and the admin of HOME_STAFF work at the provincial centre.
"""

from __future__ import annotations

from tracker.domain.province import Province
from tracker.identity.permissions import subtree

HOME = "000.00.21.H40"
COMMUNE = "000.21.11.H40"
AGENCY = "000.21.01.H40"
AWAY = "000.00.22.H40"
AWAY_AGENCY = "000.22.01.H40"
PROCEDURE = "1.004227"

HOME_STAFF = {"receiver": "pl-rcv-001", "operator": "pl-opr-001", "courier": "pl-cur-001",
              "official": "pl-off-001", "inspector": "hnm-ins-001", "supervisor": "pl-sup-001",
              "admin": "hnm-adm-001"}
AWAY_STAFF = {"receiver": "dt-rcv-001", "operator": "dt-opr-001", "courier": "dt-cur-001",
              "official": "dt-off-001", "inspector": "dt-ins-001", "supervisor": "dt-sup-001"}
COMMUNE_RECEIVER = "pl-rcv-003"

APPLICANT = {"applicant_name": "Lê Thị Mai", "applicant_id": "037195000111",
             "phone": "0912345678"}


def check_cast(province: Province) -> None:
    """Refuse, naming what changed, unless the province still has these people and places."""
    places = {**{role: HOME for role in HOME_STAFF}, "official": AGENCY,
              "inspector": "000.00.01.H40", "admin": "000.00.01.H40"}
    away = {**{role: AWAY for role in AWAY_STAFF}, "official": AWAY_AGENCY}
    wanted = [*((staff, role, places[role]) for role, staff in HOME_STAFF.items()),
              *((staff, role, away[role]) for role, staff in AWAY_STAFF.items()),
              (COMMUNE_RECEIVER, "receiver", COMMUNE)]
    wrong = [f"{staff} is no longer a {role} at {office}" for staff, role, office in wanted
             if (person := province.staff.get(staff)) is None
             or (person.role, person.office) != (role, office)]
    if province.procedure(PROCEDURE).resolving_office != AGENCY:
        wrong.append(f"{PROCEDURE} is not resolved at {AGENCY}")
    if not {COMMUNE, AGENCY} <= subtree(province, HOME) or AWAY in subtree(province, HOME):
        wrong.append(f"{COMMUNE} and {AGENCY} are not both under {HOME}, or {AWAY} is")
    if wrong:
        raise AssertionError("the demo province changed: " + "; ".join(wrong))
