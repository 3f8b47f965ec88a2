"""Parsing helpers for the API: bad input is a 400/422 naming the field, never a 500."""
from datetime import date, datetime

from flask import jsonify, request
from flask_babel import gettext as _

from cms.dbtypes import DB_INT_MAX, db_int
from cms.errors import Refused


def _nul_in(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_nul_in(k) or _nul_in(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_nul_in(v) for v in value)
    return False


def json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Refused(_("Send a JSON object."), code="bad_request", status=400)
    bad = [k for k, v in data.items() if _nul_in(k) or _nul_in(v)]
    if bad:  # PostgreSQL cannot store it (a 500 there): refused naming the fields
        raise Refused(_("Text may not contain NUL characters."), code="bad_request", status=400,
                      fields={k.replace("\x00", ""): [_("Contains a NUL character.")] for k in bad})
    return data


def optional_json_body() -> dict:
    """The body of an action whose every field is optional: none, or a JSON object."""
    return json_body() if request.get_data() else {}


def _wrong_type(name: str):
    return Refused(_("%(field)s has the wrong type.", field=name), code="invalid", status=400,
                   fields={name: [_("Wrong type.")]})


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
    if kind is int:
        if not db_int(value):  # not a number, or past what a database id can be
            raise _wrong_type(name)
        return value
    if not isinstance(value, kind):
        raise _wrong_type(name)
    return value


def int_arg(name: str, default: int | None = None, *, low: int = 1, high: int = DB_INT_MAX) -> int | None:
    """A whole-number query parameter between low and high; absent → default; anything else (empty
    too: the API has no forms whose empty fields mean "not given") → 400 naming it."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise Refused(_("%(field)s must be a whole number from %(low)d to %(high)d.", field=name, low=low, high=high),
                      code="invalid", status=400, fields={name: [_("Not a valid number.")]})
    return value


def id_arg(name: str) -> int | None:
    """An id in the query (`?channel=3`): absent → None; not an id → 400."""
    return int_arg(name)


def choice_arg(name: str, choices) -> str | None:
    """One of `choices` in the query; absent → None; anything else (empty too) → 400 naming it."""
    raw = request.args.get(name)
    if raw is None:
        return None
    if raw not in choices:
        raise Refused(_("%(field)s must be one of: %(choices)s.", field=name, choices=", ".join(choices)),
                      code="invalid", status=400, fields={name: [_("Not one of the choices.")]})
    return raw


def date_arg(name: str) -> date | None:
    """A day YYYY-MM-DD in the query; absent → None; anything else → 400 naming it."""
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        return datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError:
        raise Refused(_("%(field)s must be a date YYYY-MM-DD.", field=name), code="invalid", status=400,
                      fields={name: [_("Not a date.")]}) from None


def page_args() -> tuple[int, int]:
    page = int_arg("page", 1, high=10**9)
    per_page = int_arg("per_page", 20, high=100)
    return page, per_page


def listing(pagination, serialise):
    return jsonify(items=[serialise(x) for x in pagination.items], page=pagination.page,
                   per_page=pagination.per_page, total=pagination.total)
