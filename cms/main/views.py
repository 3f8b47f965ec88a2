"""The home page ("my work"), the header's search and the health check."""
from flask import Blueprint, jsonify, render_template, request
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


@bp.route("/search")
@requires(SELF)
def search():
    """The header's search box (issue 19): posts the user may see (content.list_posts: titles and
    bodies), people (active accounts: real name, username, department, title; the edit link only for
    whoever manages users) and channels (active ones by name; the edit link only for whoever
    manages the channel)."""
    from sqlalchemy import or_, select

    from cms.auth.models import Department, User
    from cms.auth.policy import can_manage_users
    from cms.channels.models import Channel
    from cms.channels.policy import can_manage_channel
    from cms.content.service import list_posts

    q = (request.args.get("q") or "").strip()[:100]
    posts = people = channels = []
    if q:
        like = f"%{q.replace(chr(92), chr(92) * 2).replace('%', chr(92) + '%').replace('_', chr(92) + '_')}%"
        posts = db.session.scalars(list_posts(current_user, q=q).limit(20)).all()
        people = db.session.scalars(select(User).outerjoin(Department, Department.id == User.department_id).where(
            User.state == "active", or_(User.real_name.like(like, escape="\\"), User.username.like(like, escape="\\"),
                                        User.title.like(like, escape="\\"), Department.name.like(like, escape="\\")))
            .order_by(User.real_name).limit(20)).all()
        channels = db.session.scalars(select(Channel).where(Channel.active, Channel.name.like(like, escape="\\"))
                                      .order_by(Channel.name).limit(20)).all()
    return render_template("main/search.html", q=q, posts=posts, people=people, channels=channels,
                           manages_users=can_manage_users(current_user),
                           manages={c.id: can_manage_channel(current_user, c) for c in channels})


@bp.route("/policies.json")
@requires(SELF)
def policy_texts():
    """The rule texts (cms/policy_texts.py) for static/policy_refs.js: a policy ID on a page shows
    its rule on hover (issue 19). The same for everyone; cached for an hour."""
    from cms.policy_texts import POLICY_TEXTS

    response = jsonify(POLICY_TEXTS)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


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
