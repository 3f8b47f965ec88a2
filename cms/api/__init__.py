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


from cms.api import openapi, people, posts, publications, withdrawals  # noqa: E402,F401  (routes register on bp)
