"""Parsing helpers for the API: bad input is a 400/422 naming the field, never a 500."""
from datetime import date

from flask import jsonify, request
from flask_babel import gettext as _

from cms.errors import Refused


def json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Refused(_("Send a JSON object."), code="bad_request", status=400)
    return data


def field(data: dict, name: str, kind=str, *, required: bool = True, default=None):
    value = data.get(name, default)
    if value is None:
        if required:
            raise Refused(_("%(field)s is required.", field=name), code="invalid", status=400,
                          fields={name: [_("Required.")]})
        return default
    if kind is date:
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            raise Refused(_("%(field)s must be a date YYYY-MM-DD.", field=name), code="invalid", status=400,
                          fields={name: [_("Not a date.")]}) from None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise Refused(_("%(field)s has the wrong type.", field=name), code="invalid", status=400,
                      fields={name: [_("Wrong type.")]})
    return value


def page_args() -> tuple[int, int]:
    page = request.args.get("page", 1, type=int)
    per_page = request.args.get("per_page", 20, type=int)
    if page < 1 or not 1 <= per_page <= 100:
        raise Refused(_("page must be ≥ 1 and per_page between 1 and 100."), code="bad_request", status=400)
    return page, per_page


def listing(pagination, serialise):
    return jsonify(items=[serialise(x) for x in pagination.items], page=pagination.page,
                   per_page=pagination.per_page, total=pagination.total)
