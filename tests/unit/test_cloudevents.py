"""The CloudEvents mapping of dossier events: well-formed, stable ids, and back to the same fact."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import jsonschema
import pytest

from tracker.cloudevents import (
    CATALOGUE,
    EVENT_TYPES,
    Fact,
    from_cloudevent,
    source_of,
    to_cloudevent,
)
from tracker.domain.codes import dossier_id
from tracker.domain.errors import BadInput

SCHEMA = json.loads((Path(__file__).parents[1] / "samples" / "cloudevents"
                     / "cloudevents-1.0.schema.json").read_text(encoding="utf-8"))
CODE = "000.21.11.H40-260310-0001"


def handover(version: int = 3) -> Fact:
    return Fact(position=42, dossier_id=dossier_id(CODE), version=version, code=CODE,
                kind="HandedOver", time=datetime(2026, 3, 10, 2, 30, tzinfo=UTC),
                data={"actor": "pl-rcv-003", "office": "000.21.11.H40", "device": None,
                      "to_office": "000.21.01.H40", "carrier": "pl-cur-001",
                      "carrier_role": "courier", "manifest": None, "override": False,
                      "pages_counted": None})


def test_a_fact_becomes_a_valid_cloudevent_and_back():
    event = to_cloudevent(handover(), "hoso/custody-log")
    jsonschema.validate(event, SCHEMA)
    assert event["specversion"] == "1.0"
    assert event["type"] == "vn.hoso.dossier.handed_over.v1"
    assert event["subject"] == CODE
    assert event["source"] == "/hoso/custody-log"
    assert event["time"] == "2026-03-10T02:30:00Z"
    assert (event["hosoposition"], event["hosoversion"]) == (42, 3)
    assert event["hosodossierid"] == str(dossier_id(CODE))
    assert from_cloudevent(json.loads(json.dumps(event))) == handover()


def test_a_redelivered_event_keeps_its_id_and_another_version_does_not():
    first = to_cloudevent(handover(), "o")
    again = to_cloudevent(handover(), "o")
    later = to_cloudevent(handover(version=4), "o")
    assert first["id"] == again["id"] == f"{dossier_id(CODE)}:3"
    assert later["id"] != first["id"]


def test_every_catalogue_event_has_a_distinct_lower_case_type():
    types = [EVENT_TYPES[cls.__name__] for cls in CATALOGUE]
    assert len(set(types)) == len(CATALOGUE) == 16
    assert all(t == t.lower() and t.startswith("vn.hoso.dossier.") for t in types)
    assert EVENT_TYPES["ResultReturned"] == "vn.hoso.dossier.result_returned.v1"


def test_extension_attribute_names_follow_the_spec():
    names = set(to_cloudevent(handover(), "o")) - {
        "specversion", "id", "source", "type", "subject", "time", "datacontenttype", "data"}
    assert names == {"hosoposition", "hosodossierid", "hosoversion"}
    assert all(name.isalnum() and name.islower() and len(name) <= 20 for name in names)


def test_source_is_a_uri_reference_even_for_odd_origins():
    assert source_of("/tỉnh hà nam/log/") == "/t%E1%BB%89nh%20h%C3%A0%20nam/log"


@pytest.mark.parametrize(("change", "message"), [
    ({"specversion": "0.3"}, "not 1.0"),
    ({"type": "com.example.other"}, "not a hoso dossier event type"),
    ({"id": "something-else"}, "does not match"),
    ({"hosoversion": "3"}, "must be integers"),
    ({"data": "text"}, "JSON object"),
    ({"hosodossierid": "not-a-uuid"}, "malformed CloudEvent"),
    ({"time": "yesterday"}, "malformed CloudEvent"),
    ({"time": "2026-03-10T02:30:00"}, "no UTC offset"),
])
def test_malformed_cloudevents_are_refused_by_name(change, message):
    event = {**to_cloudevent(handover(), "o"), **change}
    with pytest.raises(BadInput, match=message):
        from_cloudevent(event)


def test_a_missing_attribute_is_named():
    event = to_cloudevent(handover(), "o")
    del event["subject"]
    with pytest.raises(BadInput, match="no 'subject' attribute"):
        from_cloudevent(event)


def test_dossier_ids_parse_back_as_uuids():
    assert isinstance(from_cloudevent(to_cloudevent(handover(), "o")).dossier_id, UUID)
