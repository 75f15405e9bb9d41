"""``/api/v1/openapi.json``: the OpenAPI 3.1 description, generated from the command, query
and answer models, so it describes exactly what the server parses and answers.

Every operation needs a bearer token (``bearerAuth``, the station's with ``stationToken``) and
may answer 401 and 403, except those that say ``security: []`` (the citizen's lookup). Request
bodies leave out the fields the path gives and the actor, whom the token names."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel

from tracker.commands import answers
from tracker.commands.dossiers import (
    DOSSIER_COMMANDS,
    Command,
    Receive,
    RecordStationScan,
    RefuseAtCounter,
)
from tracker.commands.queries import (
    AccessLogQuery,
    HistoryQuery,
    PublicStatusQuery,
    QueueQuery,
    ReportQuery,
)
from tracker.commands.slips import REGISTER_FORMATS, SLIP_KINDS, RegisterPeriod, RegisterQuery
from tracker.domain import identifiers
from tracker.idempotency import KEY_PATTERN
from tracker.web import bags_api
from tracker.web.station import MAX_UPLOAD_FILES

blueprint = Blueprint("openapi", __name__)

REFUSALS = {
    "400": "malformed input: the message names each field and what it must be",
    "401": "no token, or one that is unknown, expired or revoked, or whose account is "
           "disabled (with a WWW-Authenticate: Bearer challenge)",
    "403": "the token's role, offices or kind do not allow this here",
    "404": "unknown office, procedure, staff member, component or dossier",
    "409": "refused by a custody rule, which the message names",
    "413": "the request body is larger than the limit",
    "422": "the Idempotency-Key was already used for a different request",
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Repeat a request with the same key and the same body: it is recorded once "
                   "and the first answer comes back. The same key with another body: 422.",
    "schema": {"type": "string", "pattern": KEY_PATTERN}}


SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer",
                   "description": "A staff member's token (hoso token create --staff S): the "
                                  "API acts as them, within their role and offices."},
    "stationToken": {"type": "http", "scheme": "bearer",
                     "description": "A scanning station's token (hoso token create --kind "
                                    "station --station S): bound to the station, its office "
                                    "and its operator."}}


class Spec:
    """One OpenAPI document under construction: its paths and the schemas they share."""

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}
        self.paths: dict[str, Any] = {}

    def ref(self, model: type[BaseModel]) -> dict[str, Any]:
        if model.__name__ not in self.schemas:
            self.schemas[model.__name__] = answers.schema_of(model, self.schemas)
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    def answers(self, ok: dict[str, Any], *refusals: str, ok_status: str = "200"
                ) -> dict[str, Any]:
        error = {"content": {"application/json": {"schema": self.ref(answers.Error)}}}
        return {ok_status: {"description": "done",
                            "content": {"application/json": {"schema": ok}}},
                **{status: {"description": REFUSALS[status], **error} for status in refusals}}

    def body(self, command: type[Command], path: tuple[str, ...] = ()) -> dict[str, Any]:
        """The command's schema without the fields its path gives and its actor, whom the
        token names."""
        schema = answers.schema_of(command, self.schemas)
        for name in (*path, command.actor_field):
            schema["properties"].pop(name)
            schema["required"] = [r for r in schema.get("required", []) if r != name]
        return {"required": True, "content": {"application/json": {"schema": schema}}}

    def parameters(self, query: type[BaseModel], where: str) -> list[dict[str, Any]]:
        schema = answers.schema_of(query, self.schemas)
        return [{"name": name, "in": where, "required": name in schema.get("required", []),
                 "schema": {k: v for k, v in prop.items() if k not in ("title", "default")},
                 **({"description": prop["description"]} if "description" in prop else {})}
                for name, prop in schema["properties"].items()]

    def command_path(self, command: type[Command], path: tuple[str, ...],
                     ok_status: str = "200") -> dict[str, Any]:
        code = [self.code_parameter()] if path else []
        return {"post": {
            "summary": (command.__doc__ or "").strip().splitlines()[0],
            "operationId": command.__name__, "parameters": [*code, IDEMPOTENCY_KEY],
            "requestBody": self.body(command, path),
            "responses": self.answers(self.ref(answers.Status), "400", "404", "409", "413",
                                      "422", ok_status=ok_status)}}

    def refuse_the_unauthenticated(self) -> None:
        """401 and 403 on every operation that needs a token (all but ``security: []``)."""
        error = {"content": {"application/json": {"schema": self.ref(answers.Error)}}}
        for operations in self.paths.values():
            for operation in operations.values():
                if operation.get("security") == []:
                    continue
                for status in ("401", "403"):
                    operation["responses"].setdefault(
                        status, {"description": REFUSALS[status], **error})

    def code_parameter(self) -> dict[str, Any]:
        prop = RecordStationScan.model_json_schema()["properties"]["code"]
        return {"name": "code", "in": "path", "required": True,
                "description": prop["description"],
                "schema": {"type": "string", "pattern": prop["pattern"]}}


@cache
def spec() -> dict[str, Any]:
    s = Spec()
    status = s.ref(answers.Status)
    s.paths["/dossiers"] = s.command_path(Receive, (), ok_status="201")
    s.paths["/refusals"] = s.command_path(RefuseAtCounter, (), ok_status="201")
    s.paths["/dossiers/{code}"] = {"get": {
        "summary": "Status of a dossier", "operationId": "status",
        "parameters": [s.code_parameter()], "responses": s.answers(status, "400", "404")}}
    s.paths["/dossiers/{code}/history"] = {"get": {
        "summary": "Custody history, optionally as of a moment", "operationId": "history",
        "parameters": [s.code_parameter(), *s.parameters(HistoryQuery, "query")],
        "responses": s.answers({"type": "array", "items": s.ref(answers.HistoryEntry)},
                               "400", "404")}}
    for command in DOSSIER_COMMANDS:
        s.paths[f"/dossiers/{{code}}/{command.action}"] = s.command_path(command, ("code",))
    for listing in ("offices", "staff", "procedures"):
        s.paths[f"/{listing}"] = {"get": {
            "summary": f"List {listing}", "operationId": listing,
            "responses": s.answers({"type": "array", "items": {"type": "object"}})}}
    s.paths["/access-log"] = {"get": {
        "summary": "Who read which applicant's data, when and through which route (oldest "
                   "first)", "operationId": "accessLog",
        "parameters": s.parameters(AccessLogQuery, "query"),
        "responses": s.answers({"type": "array", "items": s.ref(answers.AccessLogEntry)},
                               "400")}}
    s.paths["/queues/{who}"] = {"get": {
        "summary": "What an office or a person holds, what is coming, what is due or late",
        "operationId": "queue", "parameters": s.parameters(QueueQuery, "path"),
        "responses": s.answers(s.ref(answers.Queue), "400", "404")}}
    s.paths["/report"] = {"get": {
        "summary": "The provincial report for a period (local dates, both included)",
        "operationId": "report", "parameters": s.parameters(ReportQuery, "query"),
        "responses": s.answers(s.ref(answers.Report), "400", "404")}}
    s.paths.update(paper_paths(s))
    s.paths.update(bags_api.paths(s))
    s.paths.update(station_paths(s))
    s.paths.update(public_paths(s))
    s.refuse_the_unauthenticated()
    return {
        "openapi": "3.1.0",
        "info": {"title": "hoso custody API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": s.paths,
        "components": {"securitySchemes": SECURITY_SCHEMES, "schemas": s.schemas},
    }


def station_paths(s: Spec) -> dict[str, Any]:
    """The scanning station's routes, each behind a station token."""
    security: list[dict[str, list[str]]] = [{"stationToken": []}]
    unauthorised = {"401": {"description": REFUSALS["401"],
                            "content": {"application/json": {"schema": s.ref(answers.Error)}}},
                    "403": {"description": "not a station token, or the token belongs to "
                                           "another station or another office",
                            "content": {"application/json": {"schema": s.ref(answers.Error)}}}}
    record = s.command_path(RecordStationScan, ("code",))
    record["post"]["security"] = security
    record["post"]["responses"].update(unauthorised)
    known = {"type": "object", "required": ["code", "known"], "additionalProperties": False,
             "properties": {"code": {"type": "string"}, "known": {"type": "boolean"}}}
    return {
        "/station/dossiers/{code}": {"get": {
            "summary": "Whether a scanned code names a received dossier", "security": security,
            "operationId": "stationKnows", "parameters": [s.code_parameter()],
            "responses": {**s.answers(known, "400"), **unauthorised}}},
        "/station/dossiers/{code}/digitised": record,
        "/station/scans": {"post": {
            "summary": "Upload page files, processed as one batch by the tracker's machine",
            "security": security, "operationId": "stationUpload",
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["files"], "properties": {
                    "files": {"type": "array", "maxItems": MAX_UPLOAD_FILES,
                              "items": {"type": "string", "format": "binary"}},
                    "dossier": {"type": "string", "pattern": identifiers.DOSSIER_CODE}}}}}},
            "responses": {**s.answers({"type": "object"}, "400", "404", "413"),
                          **unauthorised, "503": {
                              "description": "the server is processing as many uploads as it "
                                             "takes at once: send them again later",
                              "content": {"application/json": {"schema": s.ref(answers.Error)}},
                              "headers": {"Retry-After": {
                                  "description": "Seconds to wait before sending again.",
                                  "required": True, "schema": {"type": "integer"}}}}}}},
    }


def paper_paths(s: Spec) -> dict[str, Any]:
    """The printed papers as files: a dossier's slips (A5 PDF) and an office's register."""
    error = {"application/json": {"schema": s.ref(answers.Error)}}
    paths: dict[str, Any] = {}
    for kind in SLIP_KINDS:
        paths[f"/dossiers/{{code}}/slips/{kind}.pdf"] = {"get": {
            "summary": f"The dossier's {kind} slip (Circular 01/2018/TT-VPCP), an A5 PDF; the "
                       "read is recorded in the access log",
            "operationId": f"{kind}Slip", "parameters": [s.code_parameter()],
            "responses": {
                "200": {"description": "the slip", "content": {"application/pdf": {
                    "schema": {"type": "string", "format": "binary"}}}},
                **{status: {"description": REFUSALS[status], "content": error}
                   for status in ("400", "404")},
                "409": {"description": "the dossier has no event this slip is printed from "
                                       "(the message names it)", "content": error}}}}
    office = RegisterQuery.model_json_schema()["properties"]["office"]
    media = {"pdf": ("application/pdf", "an A4 landscape PDF"),
             "csv": ("text/csv", "CSV in UTF-8 with a byte-order mark, for spreadsheets")}
    for form in REGISTER_FORMATS:
        media_type, what = media[form]
        paths[f"/offices/{{office}}/register.{form}"] = {"get": {
            "summary": f"The office's dossier register (Mẫu 06) for a period, as {what}; each "
                       "dossier listed is recorded in the access log",
            "operationId": f"register{form.upper()}",
            "parameters": [{"name": "office", "in": "path", "required": True,
                            "description": office["description"],
                            "schema": {"type": "string", "pattern": office["pattern"]}},
                           *s.parameters(RegisterPeriod, "query")],
            "responses": {
                "200": {"description": "the register", "content": {media_type: {
                    "schema": {"type": "string", "format": "binary"}}}},
                **{status: {"description": REFUSALS[status], "content": error}
                   for status in ("400", "404")},
                "409": {"description": "a period longer than the register covers",
                        "content": error}}}}
    return paths


def public_paths(s: Spec) -> dict[str, Any]:
    """The citizen's lookup: no token, limited per client address and per code."""
    error = {"application/json": {"schema": s.ref(answers.Error)}}
    seconds = {"type": "integer", "minimum": 0}
    limit_headers = {
        "X-RateLimit-Limit": {"description": "Lookups allowed in the window.",
                              "schema": seconds},
        "X-RateLimit-Remaining": {"description": "Lookups left in the window.",
                                  "schema": seconds},
        "X-RateLimit-Reset": {"description": "When the window frees a lookup (Unix time).",
                              "schema": seconds}}
    ok = s.answers(s.ref(answers.PublicStatus), "400")
    ok["200"]["headers"] = limit_headers
    return {"/public/status": {"get": {
        "summary": "A dossier's stage, due date and office, for its code and the last four "
                   "digits of the applicant's phone or ID number",
        "operationId": "publicStatus", "security": [],
        "parameters": s.parameters(PublicStatusQuery, "query"),
        "responses": {
            **ok,
            "404": {"description": "no dossier has that code and those digits (one answer "
                                   "for both)", "content": error, "headers": limit_headers},
            "429": {"description": "too many lookups from this address or of this code",
                    "content": error, "headers": {"Retry-After": {
                        "description": "Seconds until a lookup is allowed again.",
                        "required": True, "schema": seconds}}}}}}}


@blueprint.get("/openapi.json")
def openapi() -> Response:
    return jsonify(spec())
