"""Every API failure is JSON in one shape, {"error": {"code", "message", "fields"}} (API.md; the
"Error" schema of /api/v1/openapi.json), whatever raised it: a service's Refused, an HTTP error
(404 route, 405 method, 413 body) or a crash (500)."""
from flask import jsonify
from werkzeug.exceptions import HTTPException

from cms.errors import Refused


def error_response(status: int, code: str, message: str, fields: dict | None = None, extra: dict | None = None):
    body = {"error": {"code": code, "message": message, "fields": fields or {}, **(extra or {})}}
    return jsonify(body), status


def refused_response(e: Refused):
    return error_response(e.status, e.code, e.message, {k: [str(m) for m in v] for k, v in e.fields.items()},
                          e.extra)


def http_error_response(e: HTTPException, code: str, message: str):
    """The HTTP error's own headers kept (a 405's `Allow`, a 401's `WWW-Authenticate`), its HTML body not."""
    response, status = error_response(e.code, code, message)
    for name, value in e.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response, status
