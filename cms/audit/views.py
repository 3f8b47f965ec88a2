"""The audit trail, for auditors (U7): list and filter; never edit."""
from datetime import datetime, time, timedelta

from flask import Blueprint, render_template, request
from sqlalchemy import select

from cms import workdays
from cms.audit.models import AuditEntry
from cms.extensions import db
from cms.web import requires

bp = Blueprint("audit", __name__)


def _day_start(text: str | None):
    try:
        day = datetime.strptime(text or "", "%Y-%m-%d").date()
    except ValueError:
        return None
    return datetime.combine(day, time(0), workdays.zone())


@bp.route("/")
@requires("audit.read")
def index():
    args = request.args
    q = select(AuditEntry).order_by(AuditEntry.seq.desc())
    if args.get("actor"):
        q = q.where(AuditEntry.actor_name == args["actor"].strip())
    if args.get("action"):
        q = q.where(AuditEntry.action.startswith(args["action"].strip()))
    if args.get("target_type"):
        q = q.where(AuditEntry.target_type == args["target_type"].strip())
    if args.get("target_id"):
        q = q.where(AuditEntry.target_id == args["target_id"].strip())
    if start := _day_start(args.get("from")):
        q = q.where(AuditEntry.at >= start)
    if end := _day_start(args.get("to")):
        q = q.where(AuditEntry.at < end + timedelta(days=1))
    page = db.paginate(q, per_page=50, error_out=False)
    return render_template("audit/index.html", page=page, args=args)
