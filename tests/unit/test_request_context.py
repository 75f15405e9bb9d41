"""The request id: taken from the client only when well formed, written into every JSON log
line and into the metadata of the events saved under it; events saved before metadata existed
(or outside a request) decode as before, with none."""

from __future__ import annotations

import json
import logging
from uuid import uuid4

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, Mapper, UUIDAsHex

from tracker.event_metadata import MetadataMapper, request_id_of
from tracker.logs import JsonFormatter
from tracker.request_context import current_request_id, request_id_from, serving


class Parcel(Aggregate):
    class Weighed(Aggregate.Event):
        grams: int


def weighed() -> Parcel.Weighed:
    parcel = Parcel()
    parcel.trigger_event(Parcel.Weighed, grams=120)
    return parcel.collect_events()[-1]  # type: ignore[return-value]


def mappers() -> tuple[Mapper, MetadataMapper]:  # type: ignore[type-arg]
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DatetimeAsISO())
    return Mapper(transcoder=transcoder), MetadataMapper(transcoder=transcoder)


def test_a_well_formed_request_id_is_kept_and_anything_else_replaced() -> None:
    assert request_id_from("5f0c1e2a-77aa-4b1e-9a53-3c8f5b1f2d10") == \
        "5f0c1e2a-77aa-4b1e-9a53-3c8f5b1f2d10"
    for sent in (None, "", "short", "a b c d e f g h", "Nguyễn-Văn-An-0912345678", "x" * 65,
                 "id\nforged-log-line"):
        made = request_id_from(sent)
        assert made != sent
        assert len(made) == 32


def test_events_saved_in_a_request_carry_its_id_and_older_ones_decode_with_none() -> None:
    """GIVEN an event stored by the library's own mapper (as every event before metadata)
    and one stored while serving a request
    THEN both decode with the mapper hoso uses: the first with no request id, the second with
    the request's; the event's own fields are unchanged."""
    plain, hoso = mappers()
    old = plain.to_stored_event(weighed())
    with serving("req-0001-abcdef"):
        new = hoso.to_stored_event(weighed())
    assert b"metadata" not in hoso.to_stored_event(weighed()).state  # outside a request
    decoded_old, decoded_new = hoso.to_domain_event(old), hoso.to_domain_event(new)
    assert request_id_of(decoded_old) is None
    assert request_id_of(decoded_new) == "req-0001-abcdef"
    assert decoded_old.grams == decoded_new.grams == 120  # type: ignore[attr-defined]


def test_a_log_line_is_one_json_object_with_the_request_id() -> None:
    record = logging.LogRecord("hoso.requests", logging.INFO, __file__, 1, "request", None, None)
    record.fields = {"method": "POST", "route": "/api/v1/dossiers", "status": 201}
    token = current_request_id.set(uuid4().hex)
    try:
        line = JsonFormatter().format(record)
        expected = current_request_id.get()
    finally:
        current_request_id.reset(token)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["request_id"] == expected
    assert (parsed["level"], parsed["logger"], parsed["message"], parsed["route"]) == (
        "info", "hoso.requests", "request", "/api/v1/dossiers")
    assert parsed["time"].endswith("Z")


def test_an_exception_is_logged_by_type_and_frames_not_by_its_message() -> None:
    """A library's message may quote the values it was given: only the type and the frames."""
    applicant_id = "0791" + "87001234"
    try:
        raise ValueError(f"applicant {applicant_id} refused")
    except ValueError as error:
        record = logging.LogRecord("hoso.web", logging.ERROR, __file__, 1, "incident %s",
                                   ("ab12",), (type(error), error, error.__traceback__))
    parsed = json.loads(JsonFormatter().format(record))
    assert parsed["message"] == "incident ab12"
    assert parsed["error"] == "ValueError"
    assert "test_an_exception_is_logged" in parsed["traceback"]
    assert applicant_id not in json.dumps(parsed, ensure_ascii=False)
