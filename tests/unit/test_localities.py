"""Where applicants live: the province file's localities, which offices serve them, and the
route of a receipt to the office that decides it for the applicant's locality."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.domain.errors import ProvinceFileError, RuleViolation, UnknownReference
from tracker.domain.province import Province, Route
from tracker.province_file import demo_province_path, load_province_file

SAMPLE = Path(__file__).parent.parent / "samples" / "small_province.yaml"
LOCALITIES = """localities:
  - {code: mot, name: Xã Một}
  - {code: hai, name: Xã Hai}
"""
TWO_COMMUNES = (
    '  - {code: "000.11.01.H99", name: UBND xã Một, level: commune, kind: one_stop, '
    'parent: "000.00.01.H99", serves: [mot]}\n'
    '  - {code: "000.12.01.H99", name: UBND xã Hai, level: commune, kind: one_stop, '
    'parent: "000.00.01.H99", serves: [hai]}\n')
BY_COMMUNE = ('    resolving_office: "000.11.01.H99"\n'
              '    resolving_by_locality: ["000.11.01.H99", "000.12.01.H99"]\n')


def sample(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    """The small sample with two communes, each serving itself, deciding its procedure by
    locality, then ``changes`` (old, new) made to it."""
    text = SAMPLE.read_text(encoding="utf-8")
    text = text.replace("offices:\n", LOCALITIES + "offices:\n", 1)
    one = [line for line in text.splitlines(keepends=True) if '"000.11.01.H99", name' in line]
    text = text.replace(one[0], TWO_COMMUNES, 1)
    text = text.replace('    resolving_office: "000.00.20.H99"\n', BY_COMMUNE, 1)
    for old, new in changes:
        assert old in text, f"test set-up: {old!r} not in the sample"
        text = text.replace(old, new, 1)
    path = tmp_path / "province.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_without_localities_loads_as_it_always_did() -> None:
    document = load_province_file(SAMPLE)
    assert "localities" not in document
    assert all("serves" not in office for office in document["offices"])
    assert all("resolving_by_locality" not in p for p in document["procedures"])
    province = Province(document)
    assert province.localities == {}
    office = province.office("000.11.01.H99")
    assert province.route(province.procedure("2.000889"), office, None) == Route(
        "000.00.20.H99")


def test_a_procedure_decided_by_locality_goes_where_the_applicant_lives(tmp_path: Path
                                                                        ) -> None:
    """GIVEN two communes, each deciding the procedure for its own residents
    WHEN a resident of each is received at the first commune's counter
    THEN each dossier goes to the applicant's commune, and the other commune's resident is
    received regardless of locality."""
    province = Province(load_province_file(sample(tmp_path)))
    procedure, counter = province.procedure("2.000889"), province.office("000.11.01.H99")
    assert province.route(procedure, counter, "mot") == Route("000.11.01.H99", "mot", False)
    assert province.route(procedure, counter, "hai") == Route("000.12.01.H99", "hai", True)
    centre = province.office("000.00.01.H99")  # serves no locality of its own
    assert province.route(procedure, centre, "mot").non_local
    with pytest.raises(RuleViolation) as unnamed:
        province.route(procedure, counter, None)
    assert unnamed.value.rule == "locality-named"
    with pytest.raises(UnknownReference):
        province.route(procedure, counter, "ba")


def test_the_demo_routes_every_commune_of_every_procedure_decided_by_locality() -> None:
    province = Province(load_province_file(demo_province_path()))
    larger = {item.within for item in province.localities.values()}
    communes = [code for code in province.localities if code not in larger]
    deciding = [p for p in province.procedures.values() if p.resolving_by_locality]
    assert len(communes) == 10
    assert {p.code for p in deciding} >= {"1.001193", "1.009997"}
    counter = province.office("000.00.01.H40")
    for procedure in deciding:
        for commune in communes:
            route = province.route(procedure, counter, commune)
            assert province.serves(province.office(route.resolving_office), commune)
    birth = province.procedure("1.001193")
    at_moc_hoan = province.office("000.22.13.H40")
    assert province.route(birth, at_moc_hoan, "chau-cau") == Route(
        "000.21.11.H40", "chau-cau", True)
    district = province.office("000.00.22.H40")  # Duy Tiên serves its communes
    assert not province.route(birth, district, "moc-hoan").non_local
    land = province.procedure("1.004227")  # decided by one office for everyone
    assert province.route(land, at_moc_hoan, "chau-cau") == Route(
        land.resolving_office, "chau-cau", False)


@pytest.mark.parametrize(("address", "locality"), [
    ("Thôn Mỹ Tho, Xã Mộc Hoàn, Thị xã Duy Tiên, Hà Nam", "moc-hoan"),
    ("Tổ 3, P. Châu Cầu, TP. Phủ Lý, Hà Nam", "chau-cau"),
    ("Số 12, Châu Cầu, Phủ Lý, Hà Nam", "chau-cau"),
    ("THÔN 2, XÃ HOÀ HẬU, HUYỆN LÝ NHÂN, HÀ NAM", "hoa-hau"),   # old tone placement
    ("Xã Khả Phong, Hà Nam", "kha-phong"),
    ("Xã Khả Phong, Thị xã Duy Tiên, Hà Nam", None),           # not within that district
    ("Thị xã Duy Tiên, Hà Nam", None),                          # no commune named
    ("Phường Quế Sơn, Quận Ngũ Hành Sơn, Đà Nẵng", None),
])
def test_an_address_names_its_commune(address: str, locality: str | None) -> None:
    province = Province(load_province_file(demo_province_path()))
    assert province.locality_in(address) == locality


@pytest.mark.parametrize(("old", "new", "problem"), [
    ("  - {code: hai, name: Xã Hai}", "  - {code: hai, name: Xã Hai, within: ba}",
     "locality hai: within 'ba' is not a locality defined above it"),
    ("  - {code: hai, name: Xã Hai}", "  - {code: mot, name: Xã Hai}",
     "locality code 'mot' is defined twice"),
    ("serves: [hai]", "serves: [ba]", "office 000.12.01.H99: serves: 'ba' is not a defined"),
    ("serves: [hai]", "serves: [hai, hai]", "'hai' is listed twice"),
    ("  - {code: hai, name: Xã Hai}", "  - {code: hai, name: Xã Hai}\n  - {code: ba, name: Ba}",
     "locality ba is served by none of them"),
    ("serves: [hai]", "serves: [mot, hai]",
     "locality mot is served by 000.11.01.H99 and 000.12.01.H99"),
    (', serves: [hai]}', '}', "office 000.12.01.H99 serves no locality"),
    ('resolving_by_locality: ["000.11.01.H99", "000.12.01.H99"]',
     'resolving_by_locality: ["000.12.01.H99"]', "does not list its resolving_office"),
    ('resolving_by_locality: ["000.11.01.H99", "000.12.01.H99"]',
     'resolving_by_locality: ["000.11.01.H99", "000.99.01.H99"]',
     "'000.99.01.H99' is not a defined office"),
])
def test_mistakes_in_localities_are_named(tmp_path: Path, old: str, new: str, problem: str
                                          ) -> None:
    with pytest.raises(ProvinceFileError) as caught:
        load_province_file(sample(tmp_path, (old, new)))
    assert problem in caught.value.problem, caught.value.problem
    assert caught.value.line is not None
