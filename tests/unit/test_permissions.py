"""The permission table: complete for every command, scopes that mean what they say."""

from __future__ import annotations

import pytest

from tracker.commands.dossiers import DOSSIER_COMMANDS, Receive, RecordStationScan
from tracker.domain.errors import Forbidden
from tracker.domain.province import ROLES, Province
from tracker.identity.permissions import RULES, STATION_ACTIONS, allowed, require, subtree
from tracker.identity.principal import Identity
from tracker.province_file import demo_province_path, load_province_file


@pytest.fixture(scope="module")
def province() -> Province:
    return Province(load_province_file(str(demo_province_path())))


def test_every_command_has_a_row_naming_only_known_roles() -> None:
    actions = {c.action for c in (*DOSSIER_COMMANDS, Receive, RecordStationScan)}
    assert actions <= set(RULES)
    for action, roles in RULES.items():
        assert set(roles) <= set(ROLES), action


def test_scans_need_a_station_token_and_a_station_token_does_nothing_else() -> None:
    operator = Identity("op", "operator", "X", "api")
    station = Identity("op", "operator", "X", "station", station="st-1")
    with pytest.raises(Forbidden, match="needs a station token"):
        allowed(operator, "digitised")
    assert allowed(station, "digitised")
    for action in set(RULES) - STATION_ACTIONS:
        with pytest.raises(Forbidden):
            allowed(station, action)


def test_a_supervisors_subtree_is_their_office_and_everything_under_it(province: Province
                                                                       ) -> None:
    root = next(o.code for o in province.offices.values() if o.parent is None)
    assert subtree(province, root) == set(province.offices)
    district = next(o for o in province.offices.values() if o.parent == root
                    and any(c.parent == o.code for c in province.offices.values()))
    below = subtree(province, district.code)
    assert district.code in below
    assert root not in below
    assert all(province.offices[code].parent in below for code in below - {district.code})


def test_inspectors_read_everywhere_and_change_nothing(province: Province) -> None:
    inspector = Identity("i", "inspector", "000.00.22.H40", "api")
    anywhere = ("000.00.21.H40",)
    require(inspector, "status", province, anywhere)
    require(inspector, "download", province, anywhere)
    for command in DOSSIER_COMMANDS:
        with pytest.raises(Forbidden):
            require(inspector, command.action, province, anywhere)


def test_a_dossier_outside_every_office_in_scope_is_refused(province: Province) -> None:
    receiver = Identity("r", "receiver", "000.00.21.H40", "api")
    require(receiver, "status", province, (None, "000.00.21.H40"))
    with pytest.raises(Forbidden, match="outside the offices"):
        require(receiver, "status", province, ("000.00.22.H40", None))

