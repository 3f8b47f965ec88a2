"""JSON API v1 (../shared/API.md): bearer tokens only, JSON errors always."""
from flask import Blueprint, g, request
from werkzeug.exceptions import Unauthorized

from cms.permissions import PUBLIC_ENDPOINTS

bp = Blueprint("api", __name__)


@bp.before_request
def bearer_only():
    """The API never trusts the session cookie (it is exempt from CSRF): a bearer token or 401."""
    from cms.auth.service import user_for_token

    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    auth = request.headers.get("Authorization", "")
    user = user_for_token(auth[7:].strip()) if auth.lower().startswith("bearer ") else None
    if user is None:
        raise Unauthorized()
    g._login_user = user  # Flask-Login's current_user for this request


@bp.before_request
def known_query_only():
    """A query parameter the operation does not take is refused (400 naming it), not ignored: a
    misspelt filter (`?stauts=draft`) would otherwise answer a list that looks filtered and is not.
    The operation's parameters are those its OpenAPI entry documents (cms/api/schemas.operation)."""
    from flask import current_app
    from flask_babel import gettext as _

    from cms.errors import Refused

    view = current_app.view_functions.get(request.endpoint)
    spec = getattr(view, "openapi", None)
    if spec is None:
        return
    nul = sorted({str(k) for k, v in [*request.args.items(multi=True), *request.form.items(multi=True)]
                  if "\x00" in str(k) or "\x00" in str(v)})
    if nul:  # PostgreSQL cannot store it, SQLite's search cannot parse it: refused, not a 500
        raise Refused(_("Text may not contain NUL characters."), code="bad_request", status=400,
                      fields={k.replace("\x00", ""): [_("Contains a NUL character.")] for k in nul})
    known = {p["name"] for p in spec["params"]}
    unknown = sorted(set(request.args) - known)
    if unknown:
        raise Refused(_("Unknown query parameter: %(names)s.", names=", ".join(unknown)), code="bad_request",
                      status=400, fields={name: [_("Not a parameter of this operation.")] for name in unknown})


from cms.api import (  # noqa: E402,F401  (routes register on bp)
    audit,
    channels,
    comments,
    followers,
    groups,
    openapi,
    payments,
    people,
    posts,
    publications,
    withdrawals,
)
