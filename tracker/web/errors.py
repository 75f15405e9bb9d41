"""Every error leaves the API as ``{"error": code, "message": …}`` with its status."""

from __future__ import annotations

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from storage.objects import StorageError
from tracker.domain.errors import HosoError


def _json_error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify({"error": code, "message": message}), status


def register(app: Flask) -> None:
    @app.errorhandler(HosoError)
    def refused(error: HosoError) -> tuple[Response, int]:
        return _json_error(error.http_status, error.code, str(error))

    @app.errorhandler(StorageError)
    def storage_failed(error: StorageError) -> tuple[Response, int]:
        return _json_error(error.http_status, error.code, str(error))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response, int]:
        code = (error.name or "error").lower().replace(" ", "_")
        return _json_error(error.code or 500, code, error.description or code)

    @app.errorhandler(Exception)
    def failure(error: Exception) -> tuple[Response, int]:
        app.logger.exception("unhandled error")
        return _json_error(500, "internal", f"{type(error).__name__}: {error}")
