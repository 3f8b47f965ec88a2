"""Every API failure is JSON: {"error": {"code", "message", "fields"}} (API.md)."""
from flask import jsonify

from cms.errors import Refused


def error_response(status: int, code: str, message: str, fields: dict | None = None, extra: dict | None = None):
    body = {"error": {"code": code, "message": message, "fields": fields or {}, **(extra or {})}}
    return jsonify(body), status


def refused_response(e: Refused):
    return error_response(e.status, e.code, e.message, {k: [str(m) for m in v] for k, v in e.fields.items()},
                          e.extra)
