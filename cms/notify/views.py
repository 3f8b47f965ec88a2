"""The notification list (/notifications), opening one (marks it read, then follows its link),
marking all read, and the bell's count as JSON. Everyone sees only their own."""
import re

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import cms.notify.tasks  # noqa: F401  (registers the Huey tasks in every process, the worker's too)
from cms.errors import NotFound
from cms.notify import service
from cms.permissions import SELF
from cms.web import requires

bp = Blueprint("notify", __name__)

_URL = re.compile(r"(?:https?://|(?<=：)/(?![/\\]))[^\s<>\"'，。；）]+")  # a full URL, or a site path after "："


@bp.app_template_filter("external_links")
def external_links(text: str) -> list[str]:
    """The addresses a notification's text names (a published article's URL, or the website
    feed's path after a full-width colon): the page
    shows them as links beside the notification's own (internal) link."""
    return _URL.findall(text or "")


@bp.route("/")
@requires(SELF)
def index():
    page = service.page(current_user, request.args.get("page", 1, type=int))
    return render_template("notify/index.html", page=page, unread=service.unread_count(current_user))


@bp.route("/<int:notification_id>/open", methods=["POST"])
@requires(SELF)
def open_notification(notification_id: int):
    try:
        row = service.get_own(current_user, notification_id)
    except NotFound:
        abort(404)
    service.mark_read(current_user, [row.id])
    # Links are checked when made; checked again here, so a bad row can never redirect elsewhere.
    if not service.is_internal_path(row.url):
        return redirect(url_for("notify.index"))
    return redirect(row.url)


@bp.route("/read-all", methods=["POST"])
@requires(SELF)
def read_all():
    count = service.mark_read(current_user)
    if count:
        flash(_("All notifications marked as read."), "success")
    return redirect(url_for("notify.index"))


@bp.route("/unread.json")
@requires(SELF)
def unread_json():
    response = jsonify({"unread": service.unread_count(current_user)})
    response.headers["Cache-Control"] = "no-store"
    return response
