"""The audit trail, for auditors (U7): list and filter; never edit."""
from datetime import datetime, time, timedelta

from flask import Blueprint, render_template, request

from cms import workdays
from cms.audit import service
from cms.audit.labels import ACTION_LABELS, action_label, detail_lines, target_label
from cms.keyset import keyset_page
from cms.web import requires

bp = Blueprint("audit", __name__)


@bp.app_context_processor
def _audit_labels():
    return {"audit_action": action_label, "audit_target": target_label, "audit_details": detail_lines}


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
    start, end = _day_start(args.get("from")), _day_start(args.get("to"))
    q = service.entries(actor=args.get("actor"), action=args.get("action"), target_type=args.get("target_type"),
                        target_id=args.get("target_id"), start=start,
                        end=end + timedelta(days=1) if end is not None else None)
    page = keyset_page(q, (service.AuditEntry.seq,), after=args.get("after"), before=args.get("before"))
    return render_template("audit/index.html", page=page, args=args,
                           actions=sorted(ACTION_LABELS.items(), key=lambda kv: kv[0]))
