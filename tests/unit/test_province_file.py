"""Province files: the sample loads; each kind of mistake is named with its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.domain.errors import ProvinceFileError
from tracker.domain.province import Province
from tracker.province_file import load_province_file

SAMPLE = Path(__file__).parent.parent / "samples" / "small_province.yaml"


def test_the_sample_loads_into_a_province() -> None:
    province = Province(load_province_file(SAMPLE))
    assert province.levels == ("province", "commune")
    assert province.procedure("2.000889").required_components == ("to-khai",)
    assert province.person("r1").office == "000.11.01.H99"


def broken(tmp_path: Path, old: str, new: str) -> Path:
    text = SAMPLE.read_text(encoding="utf-8")
    assert old in text, f"test set-up: {old!r} not in the sample"
    path = tmp_path / "province.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "line", "problem"), [
    ('parent: "000.00.01.H99"}\n  - {code: "000.11',
     'parent: "000.99.99.H99"}\n  - {code: "000.11', 7, "parent '000.99.99.H99' is not an office"),
    ("level: commune, kind: one_stop", "level: district, kind: one_stop", 8,
     "level 'district' is not one of province, commune"),
    ("role: official", "role: clerk", 11, "role 'clerk' is not one of"),
    ('office: "000.11.01.H99"}', 'office: "nowhere"}', 10, "'nowhere' is not a defined office"),
    ("days: 1", "days: 0", 17, "days must be a whole number ≥ 1"),
    ("fee: 8000", "fee: tám nghìn", 18, "fee must be a whole number ≥ 0"),
    ('code: "2.000889"', "code: 2.000889", 13,
     "procedure code '2.000889' was read as a number: put it in quotes"),
    ('cutoff: "15:00"', "cutoff: 15:00", 4, "cutoff '15:00' was read as a number"),
    ("{date: 2026-01-01,", "{date: 2026-01-01 08:00:00,", 25, "is not a date (YYYY-MM-DD)"),
    ("levels: [province, commune]", "levels: [province, province]", 3,
     "levels must not repeat"),
    ("field: civil_status", "field: weather", 15, "field 'weather' is not one of"),
    ("{date: 2026-01-01,", "{date: 2026-13-01,", 25,
     "'2026-13-01' cannot be read: month must be in 1..12"),
    ("  working_days: []", "  working_dayz: []", 26, "unknown key 'working_dayz'"),
    ("{id: o1,", "{id: r1,", 11, "staff id 'r1' is defined twice"),
    ("cutoff: \"15:00\"", "cutoff: \"25:00\"", 4, "cutoff '25:00' does not match"),
    ("levels: [province, commune]", "levels: [province, commune", 4, "not valid YAML"),
])
def test_mistakes_name_file_line_and_problem(
        tmp_path: Path, old: str, new: str, line: int, problem: str) -> None:
    path = broken(tmp_path, old, new)
    with pytest.raises(ProvinceFileError) as caught:
        load_province_file(path)
    assert caught.value.line == line, str(caught.value)
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_a_missing_section_is_named(tmp_path: Path) -> None:
    path = tmp_path / "province.yaml"
    path.write_text("province: {code: H1, name: X}\nlevels: [province]\n", encoding="utf-8")
    with pytest.raises(ProvinceFileError, match="the file is missing 'offices'"):
        load_province_file(path)


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ProvinceFileError, match="cannot read"):
        load_province_file(tmp_path / "absent.yaml")


@pytest.mark.parametrize(("hours", "expected"), [(" transit_hours: 48", 48), ("", 24)])
def test_an_office_may_set_how_long_a_handover_to_it_may_take(
        tmp_path: Path, hours: str, expected: int) -> None:
    """``transit_hours`` is optional; without it ``hoso queue`` flags transit beyond 24 h."""
    office = 'kind: one_stop, parent: "000.00.01.H99"'
    path = broken(tmp_path, office + "}", office + ("," + hours if hours else "") + "}")
    assert Province(load_province_file(path)).office("000.11.01.H99").transit_hours == expected


def test_a_transit_limit_is_a_positive_number_of_hours(tmp_path: Path) -> None:
    office = 'kind: one_stop, parent: "000.00.01.H99"'
    path = broken(tmp_path, office + "}", office + ", transit_hours: 0}")
    with pytest.raises(ProvinceFileError, match="transit_hours must be a whole number ≥ 1"):
        load_province_file(path)


@pytest.mark.parametrize(("flag", "expected"), [("", True), (", active: true", True),
                                                (", active: false", False)])
def test_a_staff_member_may_be_marked_inactive(tmp_path: Path, flag: str, expected: bool
                                               ) -> None:
    """``active: false`` keeps the person in the file (their history names them) but ends
    their sign-ins and tokens; without the key they are active."""
    person = 'role: receiver, office: "000.11.01.H99"'
    path = broken(tmp_path, person + "}", person + flag + "}")
    assert Province(load_province_file(path)).person("r1").active is expected


def test_active_is_true_or_false(tmp_path: Path) -> None:
    person = 'role: receiver, office: "000.11.01.H99"'
    path = broken(tmp_path, person + "}", person + ", active: maybe}")
    with pytest.raises(ProvinceFileError, match="active must be true or false"):
        load_province_file(path)
