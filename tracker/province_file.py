"""Loads and validates a province YAML file (format: docs/province-file.md).

Every problem is reported as ``FILE:LINE: what is wrong`` through ProvinceFileError; a valid file
becomes the plain document that ``tracker.domain.province.Province`` reads and the event store
keeps. Validation walks PyYAML's node tree rather than the loaded objects because only the nodes
know their line numbers.
"""

from __future__ import annotations

import contextlib
import re
from datetime import date, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from tracker.domain.calendar import WEEKDAYS
from tracker.domain.errors import ProvinceFileError
from tracker.domain.province import OFFICE_KINDS, REASON_KINDS, ROLES

DEMO_PROVINCE = "demo_province.yaml"
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
OFFICE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.]*$")
CUTOFF = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
FIELDS = ("land", "construction", "civil_status", "business_registration", "social_insurance")


def demo_province_path() -> Path:
    return Path(str(files("tracker") / "data" / DEMO_PROVINCE))


def load_province_file(path: str | Path) -> dict[str, Any]:
    """Read ``path`` and return the validated province document."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ProvinceFileError(name, None, f"cannot read: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ProvinceFileError(name, None, "not UTF-8 text") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else None
        raise ProvinceFileError(name, line, f"not valid YAML: {error.problem}") from None
    return _Validator(name).province(root)


class _Validator:
    """Turns the node tree into a document, checking shapes, values and cross-references."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.constructor = yaml.SafeLoader("")

    def fail(self, node: yaml.Node | None, problem: str) -> ProvinceFileError:
        line = node.start_mark.line + 1 if node is not None else None
        return ProvinceFileError(self.path, line, problem)

    # -- shapes ------------------------------------------------------------------------------

    def mapping(self, node: yaml.Node | None, where: str, required: tuple[str, ...],
                optional: tuple[str, ...] = ()) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{where} must be a mapping")
        fields: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key not in required and key not in optional:
                raise self.fail(key_node, f"{where} has unknown key {key!r}")
            if key in fields:
                raise self.fail(key_node, f"{where} repeats key {key!r}")
            fields[key] = value_node
        for key in required:
            if key not in fields:
                raise self.fail(node, f"{where} is missing {key!r}")
        return fields

    def sequence(self, node: yaml.Node, where: str, non_empty: bool = True) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{where} must be a list")
        if non_empty and not node.value:
            raise self.fail(node, f"{where} must not be empty")
        return list(node.value)

    def scalar(self, node: yaml.Node, where: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, f"{where} must be a single value")
        try:
            return self.constructor.construct_object(node)
        except (ValueError, yaml.YAMLError) as error:
            raise self.fail(node, f"{where} {node.value!r} cannot be read: {error}") from None

    def text(self, node: yaml.Node, where: str, pattern: re.Pattern[str] | None = None) -> str:
        value = self.scalar(node, where)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise self.fail(node, f"{where} {node.value!r} was read as a number: put it in quotes")
        if not isinstance(value, str) or not value.strip():
            raise self.fail(node, f"{where} must be non-empty text")
        if pattern is not None and not pattern.match(value):
            raise self.fail(node, f"{where} {value!r} does not match {pattern.pattern}")
        return value.strip()

    def choice(self, node: yaml.Node, where: str, allowed: tuple[str, ...]) -> str:
        value = self.text(node, where)
        if value not in allowed:
            raise self.fail(node, f"{where} {value!r} is not one of {', '.join(allowed)}")
        return value

    def integer(self, node: yaml.Node, where: str, minimum: int) -> int:
        value = self.scalar(node, where)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(node, f"{where} must be a whole number ≥ {minimum}")
        return value

    def boolean(self, node: yaml.Node, where: str) -> bool:
        value = self.scalar(node, where)
        if not isinstance(value, bool):
            raise self.fail(node, f"{where} must be true or false")
        return value

    def unique(self, seen: set[str], value: str, node: yaml.Node, where: str) -> str:
        if value in seen:
            raise self.fail(node, f"{where} {value!r} is defined twice")
        seen.add(value)
        return value

    # -- sections ----------------------------------------------------------------------------

    def province(self, root: yaml.Node | None) -> dict[str, Any]:
        top = self.mapping(root, "the file",
                           ("province", "levels", "offices", "staff", "procedures", "calendar"),
                           ("cutoff", "localities", "reasons"))
        head = self.mapping(top["province"], "province", ("code", "name"))
        province = {"code": self.text(head["code"], "province code", OFFICE_CODE),
                    "name": self.text(head["name"], "province name")}
        levels = [self.text(n, "a level", SLUG) for n in self.sequence(top["levels"], "levels")]
        if len(set(levels)) != len(levels):
            raise self.fail(top["levels"], "levels must not repeat")
        cutoff = self.text(top["cutoff"], "cutoff", CUTOFF) if "cutoff" in top else "15:00"
        localities = self.localities(top["localities"]) if "localities" in top else {}
        offices = self.offices(top["offices"], levels, localities)
        document = {
            "province": province,
            "levels": levels,
            "cutoff": cutoff,
            "offices": offices,
            "staff": self.staff(top["staff"], {o["code"] for o in offices}),
            "procedures": self.procedures(top["procedures"], {o["code"]: o for o in offices},
                                          localities),
            "calendar": self.calendar(top["calendar"]),
        }
        if "localities" in top:  # absent: the stored document stays as it was
            document["localities"] = list(localities.values())
        if "reasons" in top:
            document["reasons"] = self.reasons(top["reasons"])
        return document

    def reasons(self, node: yaml.Node) -> dict[str, list[dict[str, str]]]:
        """The code lists of the reasons a dossier is rejected or cancelled for."""
        f = self.mapping(node, "reasons", (), REASON_KINDS)
        lists: dict[str, list[dict[str, str]]] = {}
        for kind in REASON_KINDS:
            if kind not in f:
                continue
            codes: set[str] = set()
            lists[kind] = []
            for item in self.sequence(f[kind], f"reasons.{kind}"):
                entry = self.mapping(item, f"a {kind} reason", ("code", "name"), ())
                lists[kind].append({
                    "code": self.unique(codes, self.text(entry["code"], "reason code", SLUG),
                                        entry["code"], f"reasons.{kind}: code"),
                    "name": self.text(entry["name"], "reason name")})
        return lists

    def localities(self, node: yaml.Node) -> dict[str, dict[str, Any]]:
        """Communes, wards and districts, each ``within`` one listed above it."""
        found: dict[str, dict[str, Any]] = {}
        seen: set[str] = set()
        for item in self.sequence(node, "localities"):
            f = self.mapping(item, "a locality", ("code", "name"), ("within",))
            code = self.unique(seen, self.text(f["code"], "locality code", SLUG), f["code"],
                               "locality code")
            found[code] = {"code": code, "name": self.text(f["name"], f"locality {code}: name")}
            if "within" in f:
                within = self.text(f["within"], f"locality {code}: within", SLUG)
                if within not in found or within == code:
                    raise self.fail(f["within"], f"locality {code}: within {within!r} is not a "
                                                 "locality defined above it")
                found[code]["within"] = within
        return found

    def codes(self, node: yaml.Node, where: str, known: dict[str, Any] | set[str],
              kind: str) -> list[str]:
        """A non-empty list of distinct codes, each one of ``known``."""
        codes: list[str] = []
        for item in self.sequence(node, where):
            value = self.text(item, f"{where}: a {kind}")
            if value not in known:
                raise self.fail(item, f"{where}: {value!r} is not a defined {kind}")
            if value in codes:
                raise self.fail(item, f"{where}: {value!r} is listed twice")
            codes.append(value)
        return codes

    def offices(self, node: yaml.Node, levels: list[str],
                localities: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        offices: list[dict[str, Any]] = []
        codes: set[str] = set()
        for item in self.sequence(node, "offices"):
            f = self.mapping(item, "an office", ("code", "name", "level", "kind", "parent"),
                             ("transit_hours", "serves"))
            code = self.unique(codes, self.text(f["code"], "office code", OFFICE_CODE),
                               f["code"], "office code")
            parent = (None if self.scalar(f["parent"], "parent") is None
                      else self.text(f["parent"], f"office {code}: parent", OFFICE_CODE))
            if parent is not None and parent not in codes - {code}:
                raise self.fail(f["parent"], f"office {code}: parent {parent!r} is not an office "
                                             "defined above it")
            offices.append({
                "code": code,
                "name": self.text(f["name"], "office name"),
                "level": self.choice(f["level"], f"office {code}: level", tuple(levels)),
                "kind": self.choice(f["kind"], f"office {code}: kind", OFFICE_KINDS),
                "parent": parent,
            })
            if "transit_hours" in f:  # absent: the default in Office, documents unchanged
                offices[-1]["transit_hours"] = self.integer(
                    f["transit_hours"], f"office {code}: transit_hours", 1)
            if "serves" in f:
                offices[-1]["serves"] = self.codes(f["serves"], f"office {code}: serves",
                                                   localities, "locality")
        roots = [o["code"] for o in offices if o["parent"] is None]
        if len(roots) != 1:
            raise self.fail(node, f"the org tree needs exactly one root office, found {roots}")
        return offices

    def staff(self, node: yaml.Node, offices: set[str]) -> list[dict[str, Any]]:
        people: list[dict[str, Any]] = []
        ids: set[str] = set()
        for item in self.sequence(node, "staff"):
            f = self.mapping(item, "a staff member", ("id", "name", "role", "office"),
                             ("active",))
            staff_id = self.unique(ids, self.text(f["id"], "staff id", SLUG), f["id"], "staff id")
            people.append({
                "id": staff_id,
                "name": self.text(f["name"], "staff name"),
                "role": self.choice(f["role"], f"staff {staff_id}: role", ROLES),
                "office": self.reference(f["office"], f"staff {staff_id}: office", offices),
            })
            if "active" in f:  # absent: active, and the stored document stays as it was
                people[-1]["active"] = self.boolean(f["active"], f"staff {staff_id}: active")
        return people

    def procedures(self, node: yaml.Node, offices: dict[str, dict[str, Any]],
                   localities: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        procedures: list[dict[str, Any]] = []
        codes: set[str] = set()
        for item in self.sequence(node, "procedures"):
            f = self.mapping(item, "a procedure", ("code", "name", "field", "resolving_office",
                                                   "days", "fee", "components"),
                             ("resolving_by_locality",))
            code = self.unique(codes, self.text(f["code"], "procedure code", OFFICE_CODE),
                               f["code"], "procedure code")
            procedures.append({
                "code": code,
                "name": self.text(f["name"], "procedure name"),
                "field": self.choice(f["field"], f"procedure {code}: field", FIELDS),
                "resolving_office": self.reference(
                    f["resolving_office"], f"procedure {code}: resolving_office", set(offices)),
                "days": self.integer(f["days"], f"procedure {code}: days", 1),
                "fee": self.integer(f["fee"], f"procedure {code}: fee", 0),
                "components": self.components(f["components"], code),
            })
            if "resolving_by_locality" in f:
                procedures[-1]["resolving_by_locality"] = self.by_locality(
                    f["resolving_by_locality"], procedures[-1], offices, localities)
        return procedures

    def by_locality(self, node: yaml.Node, procedure: dict[str, Any],
                    offices: dict[str, dict[str, Any]], localities: dict[str, dict[str, Any]]
                    ) -> list[str]:
        """Offices that each decide ``procedure`` for the localities they serve: together they
        serve every locality that has none within it, each exactly once."""
        where = f"procedure {procedure['code']}: resolving_by_locality"
        listed = self.codes(node, where, offices, "office")
        for code, item in zip(listed, node.value, strict=True):
            if not offices[code].get("serves"):
                raise self.fail(item, f"{where}: office {code} serves no locality")
        if procedure["resolving_office"] not in listed:
            raise self.fail(node, f"{where} does not list its resolving_office "
                                  f"{procedure['resolving_office']}")
        parents = {item.get("within") for item in localities.values()}
        for locality in (code for code in localities if code not in parents):
            around: set[str] = set()
            here: str | None = locality
            while here is not None:
                around.add(here)
                here = localities[here].get("within")
            serving = [code for code in listed if around & set(offices[code]["serves"])]
            if len(serving) != 1:
                raise self.fail(node, f"{where}: locality {locality} is served by "
                                      f"{' and '.join(serving) or 'none of them'}")
        return listed

    def components(self, node: yaml.Node, procedure: str) -> list[dict[str, Any]]:
        components: list[dict[str, Any]] = []
        codes: set[str] = set()
        for item in self.sequence(node, f"procedure {procedure}: components"):
            f = self.mapping(item, "a component", ("code", "name"), ("required",))
            required = self.scalar(f["required"], "required") if "required" in f else True
            if not isinstance(required, bool):
                raise self.fail(f["required"], "required must be true or false")
            components.append({
                "code": self.unique(codes, self.text(f["code"], "component code", SLUG),
                                    f["code"], f"procedure {procedure}: component"),
                "name": self.text(f["name"], "component name"),
                "required": required,
            })
        return components

    def calendar(self, node: yaml.Node) -> dict[str, Any]:
        f = self.mapping(node, "calendar", ("weekend", "holidays"), ("working_days",))
        weekend = [self.choice(n, "a weekend day", WEEKDAYS)
                   for n in self.sequence(f["weekend"], "weekend", non_empty=False)]
        return {
            "weekend": weekend,
            "holidays": self.days(f["holidays"], "holidays"),
            "working_days": self.days(f["working_days"], "working_days")
            if "working_days" in f else [],
        }

    def days(self, node: yaml.Node, where: str) -> list[dict[str, str]]:
        days: list[dict[str, str]] = []
        seen: set[str] = set()
        for item in self.sequence(node, where, non_empty=False):
            f = self.mapping(item, f"an entry of {where}", ("date", "name"))
            value = self.day(f["date"], where)
            days.append({"date": self.unique(seen, value.isoformat(), f["date"], f"{where} date"),
                         "name": self.text(f["name"], f"{where} name")})
        return days

    def day(self, node: yaml.Node, where: str) -> date:
        """A YYYY-MM-DD date, quoted or not; a date with a time of day is refused."""
        value = self.scalar(node, "date")
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = date.fromisoformat(value.strip())
        if not isinstance(value, date) or isinstance(value, datetime):
            raise self.fail(node, f"{where}: {node.value!r} is not a date (YYYY-MM-DD)")
        return value

    def reference(self, node: yaml.Node, where: str, known: set[str]) -> str:
        value = self.text(node, where)
        if value not in known:
            raise self.fail(node, f"{where} {value!r} is not a defined office")
        return value
