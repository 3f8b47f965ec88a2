"""The home page ("my work") and the health check."""
from flask import Blueprint, jsonify, render_template
from flask_login import current_user
from sqlalchemy import text

from cms.extensions import db
from cms.permissions import SELF
from cms.web import requires

bp = Blueprint("main", __name__)


@bp.route("/")
@requires(SELF)
def home():
    from cms.worklist import work_for

    return render_template("main/home.html", sections=work_for(current_user))


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask /favicon.ico of every site: the icon (cms/static/favicon.svg), public like the
    other static files, cached for a day."""
    from flask import current_app, send_from_directory

    response = send_from_directory(current_app.static_folder, "favicon.svg", mimetype="image/svg+xml",
                                   max_age=86400)
    return response


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as e:  # noqa: BLE001 - any database failure is "unhealthy"
        db.session.rollback()
        return jsonify(status="error", database=str(e.__class__.__name__)), 503
    return jsonify(status="ok", database="ok")
