"""Work-group pages (G1-G12): the registry, the filing form, a group with its members, tasks and
messages, the task dashboard, the acknowledgement link of the WeCom card, the monthly report.
Thin: the operations check, store and audit; a refusal is shown with the user's input kept."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from cms import workdays
from cms.auth.models import Department
from cms.errors import Refused
from cms.extensions import db
from cms.groups import messages, operations, policy, queries, report, wecom_sync
from cms.groups.forms import (
    ActionForm,
    ExtendForm,
    FilingForm,
    MemberForm,
    MessageForm,
    NicknameForm,
    ReasonForm,
    ShirkForm,
)
from cms.permissions import SELF
from cms.web import flash_refusal, requires
from cms.worklist import provider

bp = Blueprint("groups", __name__)


@provider
def _my_group_work(user):
    """My work: the open tasks of the groups the user owns (G3 G6 G7), and filings waiting for them
    to approve (the leader in charge) or record (the office) (G2)."""
    items = []
    for task in queries.owned_open_tasks(user):
        items.append({"label": f"{task.group.name}：{operations.task_label(task)}",
                      "url": url_for("groups.view", group_id=task.group_id), "due": task.due_at,
                      "overdue": task.due_at < workdays.now()})
    for group in queries.waiting_for(user):
        label = _("Approve the filing of %(name)s (G2)", name=group.name) if group.state == "filed" else \
            _("Record the filing of %(name)s (G2)", name=group.name)
        items.append({"label": label, "url": url_for("groups.view", group_id=group.id)})
    return {"title": _("Work groups"), "items": items} if items else None


def _group(group_id: int):
    group = queries.get_group(group_id)
    if not policy.can_view(current_user, group):
        abort(404)
    return group


def _page(group, status: int = 200, **forms):
    cats = queries.categories()
    members = group.current_members
    counts = queries.group_counts([m.user_id for m in members])
    limit = queries.settings().max_per_employee
    rows = [{"member": m, "matches": operations.rules.nickname_matches(m.expected_nickname, m.nickname),
             "groups": counts.get(m.user_id, 0), "over": operations.rules.over_group_limit(counts.get(m.user_id, 0),
                                                                                      limit),
             "form": NicknameForm(formdata=None, nickname=m.nickname)} for m in members]
    context = {
        "group": group, "category": cats.get(group.category), "rows": rows, "limit": limit,
        "tasks": queries.open_tasks(group), "task_label": operations.task_label, "now": workdays.now(),
        "messages": queries.messages(group), "penalties": queries.penalties(group),
        "answered_at": messages.answered_at, "answer_deadline": messages.answer_deadline,
        "notice": operations.notice_text(group, current_user) if operations.open_task(group, "dissolution") else None,
        "action": ActionForm(), "reason_form": forms.get("reason_form") or ReasonForm(formdata=None),
        "member_form": forms.get("member_form") or MemberForm(formdata=None),
        "extend_form": forms.get("extend_form") or ExtendForm(formdata=None),
        "message_form": forms.get("message_form") or MessageForm(formdata=None),
        "shirk_form": ShirkForm(formdata=None),
        "wecom_chat": wecom_sync.chat_of(group),  # cms/groups/wecom_sync.py
    }
    return render_template("groups/view.html", **context), status


def _refused(e: Refused, form) -> None:
    """The refusal's message on top (unless a field already says it all), each field's note beside it."""
    placed = []
    for name, notes in (e.fields or {}).items():
        field = getattr(form, name, None) if form is not None else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, *(str(n) for n in notes)]
            placed.extend(str(n) for n in notes)
    if e.message not in placed:
        flash(e.message, "danger")


def _back(group):
    return redirect(url_for("groups.view", group_id=group.id))


def _try(group, fn, success: str, form_key: str | None = None, form=None):
    """Run an operation; on a refusal show the group again with the form as the user filled it."""
    try:
        fn()
    except Refused as e:
        if e.status == 403:
            abort(403)
        _refused(e, form)
        return _page(group, 422 if e.status == 422 else e.status, **({form_key: form} if form_key else {}))
    flash(success, "success")
    return _back(group)


@bp.route("/")
@requires(SELF)  # lists only the groups the user may see (policy.can_view)
def index():
    groups = queries.visible_groups(current_user)
    return render_template("groups/index.html", groups=groups, labels=queries.categories(),
                           may_file=current_user.holds("group.file"))


def _filing_choices(form: FilingForm) -> None:
    form.category.choices = [(k, c.label) for k, c in queries.categories().items()]
    deps = db.session.query(Department).order_by(Department.id).all()
    form.department.choices = [(str(d.id), d.name) for d in deps if policy.can_file(current_user, d.id)]


@bp.route("/new", methods=["GET", "POST"])
@requires("group.file")
def new():
    form = FilingForm()
    _filing_choices(form)
    status = 200
    if request.method == "POST":
        form.validate()  # parses the date; the operation checks every value and names what is wrong
        dep = request.form.get("department", "")
        values = {"name": form.name.data, "category": form.category.data, "purpose": form.purpose.data,
                  "department": int(dep) if dep.isdigit() and len(dep) < 10 else None,
                  "owner": form.owner.data,
                  "ends_on": form.ends_on.data if not form.ends_on.errors else request.form.get("ends_on")}
        form.ends_on.errors = []
        try:
            group = operations.file_group(current_user, values)
        except Refused as e:
            if e.status == 403:
                abort(403)
            flash_refusal(e, form)
            status = 422
        else:
            flash(_("Filed: %(name)s waits for the approval of the leader in charge (G2).", name=group.name),
                  "success")
            return redirect(url_for("groups.view", group_id=group.id))
    elif not form.owner.data:
        form.owner.data = current_user.username
    return render_template("groups/new.html", form=form), status


@bp.route("/<int:group_id>")
@requires(SELF)  # the group's policy: owner, filer, its department's leader and filers, the office
def view(group_id: int):
    return _page(_group(group_id))


@bp.route("/<int:group_id>/approve", methods=["POST"])
@requires("group.approve")
def approve(group_id: int):
    group = _group(group_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _try(group, lambda: operations.approve(current_user, group),
                _("Approved. The administration office records it next (G2)."))


@bp.route("/<int:group_id>/refuse", methods=["POST"])
@requires("group.approve")
def refuse(group_id: int):
    group = _group(group_id)
    form = ReasonForm()
    return _try(group, lambda: operations.refuse(current_user, group, form.reason.data), _("Filing refused."),
                "reason_form", form)


@bp.route("/<int:group_id>/record", methods=["POST"])
@requires("group.admin")
def record(group_id: int):
    group = _group(group_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _try(group, lambda: operations.record(current_user, group),
                _("Recorded: the group is active and its owner may create it."))


@bp.route("/<int:group_id>/members", methods=["POST"])
@requires(SELF)
def add_member(group_id: int):
    group = _group(group_id)
    form = MemberForm()
    out = {}

    def run():
        out["member"], out["warnings"] = operations.add_member(
            current_user, group, username=form.username.data, external_name=form.external_name.data or "",
            nickname=form.nickname.data or "")

    answer = _try(group, run, _("Member added."), "member_form", form)
    for warning in out.get("warnings", []):
        flash(warning, "warning")
    return answer


def _member(member_id: int):
    member = queries.get_member(member_id)
    if not policy.can_view(current_user, member.group):
        abort(404)
    return member


@bp.route("/members/<int:member_id>/nickname", methods=["POST"])
@requires(SELF)
def set_nickname(member_id: int):
    member = _member(member_id)
    form = NicknameForm()
    out = {}

    def run():
        out["warnings"] = operations.set_nickname(current_user, member, form.nickname.data or "")

    answer = _try(member.group, run, _("Nickname saved."))
    for warning in out.get("warnings", []):
        flash(warning, "warning")
    return answer


@bp.route("/members/<int:member_id>/remove", methods=["POST"])
@requires(SELF)
def remove_member(member_id: int):
    member = _member(member_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _try(member.group, lambda: operations.remove_member(current_user, member), _("Member removed."))


@bp.route("/<int:group_id>/end", methods=["POST"])
@requires(SELF)
def end_work(group_id: int):
    group = _group(group_id)
    form = ReasonForm()
    return _try(group, lambda: operations.end_work(current_user, group, form.reason.data or ""),
                _("The work is marked ended: dissolve the group within 5 days (G7)."), "reason_form", form)


@bp.route("/<int:group_id>/extend", methods=["POST"])
@requires(SELF)
def extend(group_id: int):
    group = _group(group_id)
    form = ExtendForm()
    form.validate()
    return _try(group, lambda: operations.extend(current_user, group, form.until.data, form.reason.data or ""),
                _("Dissolution extended."), "extend_form", form)


@bp.route("/<int:group_id>/dissolve", methods=["POST"])
@requires(SELF)
def dissolve(group_id: int):
    group = _group(group_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _try(group, lambda: operations.dissolve(current_user, group), _("The group is dissolved."))


WECOM_ACTIONS = {  # cms/groups/wecom_sync.py: the WeCom chat of the group
    "enable": (wecom_sync.enable, _l("WeCom sync is on.")),
    "create": (wecom_sync.create_chat, _l("The WeCom chat is made.")),
    "removals": (wecom_sync.apply_removals, _l("The due removals are applied in WeCom (G6).")),
    "notice": (wecom_sync.send_dissolution_notice, _l("The dissolution notice is posted in the WeCom chat (G7).")),
}


@bp.route("/<int:group_id>/wecom/<any(enable, create, removals, notice):action>", methods=["POST"])
@requires(SELF)
def wecom(group_id: int, action: str):
    group = _group(group_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    fn, success = WECOM_ACTIONS[action]
    return _try(group, lambda: fn(current_user, group), str(success))


@bp.route("/<int:group_id>/review", methods=["POST"])
@requires(SELF)
def review(group_id: int):
    group = _group(group_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _try(group, lambda: operations.complete_review(current_user, group), _("Membership review recorded."))


@bp.route("/<int:group_id>/messages", methods=["POST"])
@requires(SELF)
def new_message(group_id: int):
    group = _group(group_id)
    form = MessageForm()
    return _try(group, lambda: messages.record_message(current_user, group, form.kind.data or "", form.text.data or "",
                                                       leader=form.leader.data or "",
                                                       responsible=form.responsible.data or ""),
                _("Recorded and sent as a WeCom card."), "message_form", form)


@bp.route("/messages/<int:message_id>/shirk", methods=["POST"])
@requires(SELF)
def shirk(message_id: int):
    message = queries.get_message(message_id)
    group = _group(message.group_id)
    form = ShirkForm()
    return _try(group, lambda: messages.mark_shirked(current_user, message, form.kind.data or ""),
                _("Penalty proposed for confirmation (G11)."))


def _ack(ack_id: int):
    ack = queries.get_ack(ack_id)
    if not policy._AckPolicy.can_view(current_user, ack):
        abort(404)
    return ack


@bp.route("/acks/<int:ack_id>")
@requires(SELF)  # the card's link: the recipient's own acknowledgement (others: 404)
def ack(ack_id: int):
    ack = _ack(ack_id)
    if ack.user_id == current_user.id:
        ack = messages.acknowledge(current_user, ack, "card")
    return render_template("groups/ack.html", ack=ack, message=ack.message)


@bp.route("/acks/<int:ack_id>/record", methods=["POST"])
@requires(SELF)
def owner_ack(ack_id: int):
    ack = _ack(ack_id)
    group = ack.message.group
    if not ActionForm().validate_on_submit():
        abort(400)
    return _try(group, lambda: messages.acknowledge(current_user, ack, "owner"), _("Acknowledgement recorded."))


@bp.route("/tasks")
@requires(SELF)  # only the tasks of groups the user may see
def tasks():
    state = request.args.get("state", "open")
    if state not in ("open", "overdue"):
        state = "open"
    board = queries.dashboard(current_user)
    shown = board["tasks"] if state == "open" else [t for t in board["tasks"] if t.due_at < board["now"]]
    return render_template("groups/tasks.html", board=board, tasks=shown, state=state,
                           task_label=operations.task_label)


@bp.route("/report")
@requires("group.admin")
def monthly_report():
    year, month = queries.month_of(workdays.now())
    raw = request.args.get("month", "")
    try:
        picked = date.fromisoformat(raw + "-01") if raw else None
    except ValueError:
        picked = None
    if picked:
        year, month = picked.year, picked.month
    rows = queries.assessment(year, month)
    fmt = request.args.get("format")
    name = f"work-groups-{year}-{month:02d}"
    if fmt == "csv":
        return Response(report.csv_bytes(rows), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={name}.csv"})
    if fmt == "xlsx":
        return Response(report.xlsx_bytes(rows), headers={"Content-Disposition": f"attachment; filename={name}.xlsx"},
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return render_template("groups/report.html", rows=rows, year=year, month=month, headers=report.headers())
