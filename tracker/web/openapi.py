"""``/api/v1/openapi.json``: the OpenAPI 3.1 description of the JSON API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from tracker.web.station import station_paths
from tracker.web.views import view_paths

blueprint = Blueprint("openapi", __name__)

ERROR = {"$ref": "#/components/schemas/Error"}
STATUS = {"$ref": "#/components/schemas/Status"}


def _body(required: list[str], **properties: Any) -> dict[str, Any]:
    schema = {"type": "object", "required": required,
              "properties": {name: {"type": kind} for name, kind in properties.items()}}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def json_of(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _answers(ok: dict[str, Any], ok_status: str = "200") -> dict[str, Any]:
    return {
        ok_status: {"description": "done", **json_of(ok)},
        "400": {"description": "malformed input", **json_of(ERROR)},
        "404": {"description": "unknown office, procedure, staff member or dossier",
                **json_of(ERROR)},
        "409": {"description": "refused by a custody rule", **json_of(ERROR)},
    }


CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"},
        "description": "<office code>-<yymmdd>-<NNNN>"}
ACTIONS: dict[str, dict[str, Any]] = {
    "handover": _body(["by", "to_office"], by="string", courier="string", to="string",
                      to_office="string", manifest="string", device="string",
                      pages="integer"),
    "accept": _body(["by", "office"], by="string", office="string", device="string"),
    "request-supplement": _body(["by", "reason"], by="string", reason="string"),
    "supplement-received": _body(["by"], by="string"),
    "pause": _body(["by", "reason"], by="string", reason="string"),
    "resume": _body(["by"], by="string"),
    "reschedule": _body(["by", "to", "reason"], by="string", to="string", reason="string"),
    "reject": _body(["by", "reason"], by="string", reason="string"),
    "resolve": _body(["by"], by="string"),
    "return": _body(["by"], by="string", by_post="boolean"),
    "cancel": _body(["by", "reason"], by="string", reason="string"),
    "collect-fee": _body(["by", "amount"], by="string", amount="integer"),
    "digitise": _body(["by", "pages"], by="string", pages="array", pdf_key="string",
                      ocr_text_key="string", quality="string", device="string",
                      cleaned="array", dpi="integer", blank_pages="array",
                      quality_notes="array"),
}


def spec() -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/dossiers": {"post": {
            "summary": "Receive a paper dossier",
            "requestBody": _body(
                ["office", "procedure", "applicant_name", "applicant_id", "actor"],
                office="string", procedure="string", applicant_name="string",
                applicant_id="string", phone="string", components="array",
                accept_incomplete="boolean", actor="string", device="string"),
            "responses": _answers(STATUS, "201")}},
        "/dossiers/{code}": {"get": {"summary": "Status of a dossier", "parameters": [CODE],
                                     "responses": _answers(STATUS)}},
        "/dossiers/{code}/history": {"get": {
            "summary": "Custody history, optionally as of a time",
            "parameters": [CODE, {"name": "as_of", "in": "query", "schema": {"type": "string"},
                                  "description": "ISO-8601; local Vietnamese time if no offset"}],
            "responses": _answers({"type": "array", "items": {"type": "object"}})}},
    }
    for action, body in ACTIONS.items():
        paths[f"/dossiers/{{code}}/{action}"] = {"post": {
            "summary": action.replace("-", " ").capitalize(), "parameters": [CODE],
            "requestBody": body, "responses": _answers(STATUS)}}
    for listing in ("offices", "staff", "procedures"):
        paths[f"/{listing}"] = {"get": {"summary": f"List {listing}", "responses": _answers(
            {"type": "array", "items": {"type": "object"}})}}
    paths.update(station_paths(_answers, ERROR))  # the scanning station's routes (issue 7)
    paths.update(view_paths(_answers))  # queues and the report (issue 5)
    return {
        "openapi": "3.1.0",
        "info": {"title": "hoso custody API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {"securitySchemes": {"stationToken": {"type": "http", "scheme": "bearer"}},
                       "schemas": {
            "Error": {"type": "object", "required": ["error", "message"],
                      "properties": {"error": {"type": "string"},
                                     "message": {"type": "string"}}},
            "Status": {"type": "object", "required": ["code", "stage", "custodian", "due"],
                       "properties": {"code": {"type": "string"}, "stage": {"type": "string"},
                                      "custodian": {"type": "string"},
                                      "office": {"type": ["string", "null"]},
                                      "in_transit": {"type": "boolean"},
                                      "due": {"type": "string", "format": "date"},
                                      "timeliness": {"type": ["string", "null"]}}},
        }},
    }


@blueprint.get("/openapi.json")
def openapi() -> Response:
    return jsonify(spec())
