"""The moderators' pages (issue 15, C16): the queue, one comment with its reply box, the articles
(comments open or closed, "sync now"), saved replies and the response-time figures. Thin: each
action is one operation; a refusal is shown with the moderator's text kept."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cms import exports
from cms.comments import operations, queries, rules
from cms.comments.forms import ActionForm, DeleteForm, ReplyForm, TemplateForm
from cms.comments.policy import MODERATE
from cms.errors import NotFound, Refused
from cms.extensions import db
from cms.navigation import counted
from cms.web import flash_refusal, requires
from cms.worklist import provider

bp = Blueprint("comments", __name__)

STATE_LABELS = {"unanswered": "待回复", "overdue": "已超时", "answered": "已回复", "featured": "精选",
                "deleted": "已删除"}


@counted("comments.queue")
def unanswered_count(user) -> int:
    """Beside "留言管理": the unanswered comments of the user's channels."""
    return len(queries.queue(user)) if user.holds(MODERATE) else 0


@provider
def _waiting_comments(user):
    """My work: the unanswered comments of the moderator's channels, oldest first (C16)."""
    if not user.holds(MODERATE):
        return None
    rows = queries.queue(user)
    return {"title": _("Comments waiting for a reply"), "empty": _("No comment is waiting for a reply."),
            "items": [{"label": f"{r.comment.who}：{r.comment.content[:40]}（{r.comment.thread.title}）",
                       "url": url_for("comments.comment", comment_id=r.comment.id), "due": r.due_at,
                       "overdue": r.overdue} for r in rows[:20]]}


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value < 2**31 else None


def _refused(e: Refused, form=None):
    if e.status == 403:
        abort(403)
    if isinstance(e, NotFound):
        abort(404)
    flash_refusal(e, form)


def _comment(comment_id: int):
    try:
        return operations.get_comment(current_user, comment_id)
    except NotFound:
        abort(404)


@bp.route("/")
@requires(MODERATE)
def queue():
    state = request.args.get("state") or "unanswered"
    if state not in rules.STATES and state != "all":
        state = "unanswered"
    channel_id, thread_id = _int_arg("channel"), _int_arg("article")
    return render_template("comments/queue.html", rows=queries.queue(current_user, channel_id, thread_id, state),
                           channels=queries.moderated_channels(current_user), threads=queries.threads(current_user),
                           state=state, channel_id=channel_id, thread_id=thread_id, states=STATE_LABELS,
                           action=ActionForm(), hours=queries.reply_hours(), mode=queries.deadline_mode())


def _show(comment, form: ReplyForm, delete_form: DeleteForm | None = None, status: int = 200, findings=None):
    return render_template("comments/comment.html", row=queries.row(comment), form=form,
                           delete_form=delete_form or DeleteForm(prefix="del"), action=ActionForm(),
                           templates=queries.templates(), findings=findings or [], states=STATE_LABELS), status


@bp.route("/<int:comment_id>")
@requires(MODERATE)
def comment(comment_id: int):
    c = _comment(comment_id)
    form = ReplyForm()
    template_id = _int_arg("template")
    if template_id:
        template = db.session.get(operations.ReplyTemplate, template_id)
        if template is not None:
            form.text.data = template.text  # inserted into the reply box, still screened when sent
    return _show(c, form)


@bp.route("/<int:comment_id>/reply", methods=["POST"])
@requires(MODERATE)
def reply(comment_id: int):
    c = _comment(comment_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        operations.reply(current_user, c, form.text.data or "", bool(form.confirm_warnings.data))
    except Refused as e:
        _refused(e, form)
        c = _comment(comment_id)
        return _show(c, form, status=422, findings=e.extra.get("findings", []))
    flash(_("The reply is sent."), "success")
    return redirect(url_for("comments.comment", comment_id=comment_id))


def _action(comment_id: int, op, done: str, *args):
    c = _comment(comment_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        op(current_user, c, *args)
        flash(done, "success")
    except Refused as e:
        _refused(e)
    return redirect(url_for("comments.comment", comment_id=comment_id))


@bp.route("/<int:comment_id>/reply/delete", methods=["POST"])
@requires(MODERATE)
def delete_reply(comment_id: int):
    return _action(comment_id, operations.delete_reply, _("The reply is deleted."))


@bp.route("/<int:comment_id>/feature", methods=["POST"])
@requires(MODERATE)
def feature(comment_id: int):
    return _action(comment_id, operations.feature, _("The comment is featured (精选)."))


@bp.route("/<int:comment_id>/unfeature", methods=["POST"])
@requires(MODERATE)
def unfeature(comment_id: int):
    return _action(comment_id, operations.unfeature, _("The comment is no longer featured."))


@bp.route("/<int:comment_id>/delete", methods=["POST"])
@requires(MODERATE)
def delete(comment_id: int):
    c = _comment(comment_id)
    form = DeleteForm(prefix="del")
    if not form.validate_on_submit():
        if not form.reason.errors:  # the CSRF token: nothing of the moderator's to keep
            abort(400)
        # a reason over 500 characters: shown on the form with the reason kept (issue 18), not a bare 400
        return _show(c, ReplyForm(formdata=None), delete_form=form, status=422)
    try:
        operations.delete_comment(current_user, c, form.reason.data or "")
    except Refused as e:
        _refused(e, form)
        return _show(_comment(comment_id), ReplyForm(formdata=None), delete_form=form, status=422)
    flash(_("The comment is deleted on the platform."), "success")
    return redirect(url_for("comments.queue"))


# --- articles and the sync ------------------------------------------------------------------------

@bp.route("/articles")
@requires(MODERATE)
def articles():
    operations.ensure_threads()
    return render_template("comments/articles.html", threads=queries.threads(current_user, _int_arg("channel")),
                           channels=queries.moderated_channels(current_user), action=ActionForm())


def _flash_sync(results) -> None:
    failed = [r for r in results if r.error]
    inserted = sum(r.inserted for r in results)
    flash(_("Synced %(n)d articles: %(new)d new comments.", n=len(results), new=inserted), "success")
    for r in failed:
        flash(_("An article could not be synced: %(text)s", text=r.error), "danger")


@bp.route("/sync", methods=["POST"])
@requires(MODERATE)
def sync():
    if not ActionForm().validate_on_submit():
        abort(400)
    channel_id = request.form.get("channel_id", type=int)
    channel = next((c for c in queries.moderated_channels(current_user) if c.id == channel_id), None)
    if channel is None:
        abort(404)
    _flash_sync(operations.sync_channel(current_user, channel))
    return redirect(request.form.get("back") == "articles" and url_for("comments.articles")
                    or url_for("comments.queue", channel=channel.id))


def _thread(thread_id: int):
    try:
        return operations.get_thread(current_user, thread_id)
    except NotFound:
        abort(404)


@bp.route("/articles/<int:thread_id>/sync", methods=["POST"])
@requires(MODERATE)
def sync_article(thread_id: int):
    thread = _thread(thread_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    _flash_sync([operations.sync_article(thread)])
    return redirect(url_for("comments.articles"))


@bp.route("/articles/<int:thread_id>/<any(open, close):what>", methods=["POST"])
@requires(MODERATE)
def set_open(thread_id: int, what: str):
    thread = _thread(thread_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        if what == "open":
            operations.open_comments(current_user, thread)
            flash(_("Comments are open on this article."), "success")
        else:
            operations.close_comments(current_user, thread)
            flash(_("Comments are closed on this article."), "success")
    except Refused as e:
        _refused(e)
    return redirect(url_for("comments.articles"))


# --- saved replies --------------------------------------------------------------------------------

@bp.route("/templates", methods=["GET", "POST"])
@requires(MODERATE)
def templates():
    form = TemplateForm()
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            operations.save_template(current_user, None, form.title.data, form.text.data)
            flash(_("The saved reply is saved."), "success")
            return redirect(url_for("comments.templates"))
        except Refused as e:
            _refused(e, form)
            status = 422
    return render_template("comments/templates.html", templates=queries.templates(), form=form,
                           action=ActionForm()), status


@bp.route("/templates/<int:template_id>/edit", methods=["GET", "POST"])
@requires(MODERATE)
def template_edit(template_id: int):
    try:
        template = operations.get_template(template_id)
    except NotFound:
        abort(404)
    form = TemplateForm(obj=template if request.method == "GET" else None)
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            operations.save_template(current_user, template, form.title.data, form.text.data)
            flash(_("The saved reply is saved."), "success")
            return redirect(url_for("comments.templates"))
        except Refused as e:
            _refused(e, form)
            return render_template("comments/template_edit.html", template=template, form=form), 422
    return render_template("comments/template_edit.html", template=template, form=form)


@bp.route("/templates/<int:template_id>/delete", methods=["POST"])
@requires(MODERATE)
def template_delete(template_id: int):
    try:
        template = operations.get_template(template_id)
    except NotFound:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    operations.delete_template(current_user, template)
    flash(_("The saved reply is deleted."), "success")
    return redirect(url_for("comments.templates"))


# --- figures --------------------------------------------------------------------------------------

@bp.route("/figures")
@requires(MODERATE)
def figures():
    return render_template("comments/figures.html", figures=queries.figures(current_user),
                           hours=queries.reply_hours(), mode=queries.deadline_mode())


@bp.route("/figures.csv")
@requires(MODERATE)
def figures_csv():
    data = queries.figures(current_user)
    head = ["类别", "名称", "回复数", "回复用时中位数（小时）", "回复用时平均数（小时）", "超时回复数", "当前超时未回复"]
    rows = [[label, r.label, r.count, r.median_hours, r.mean_hours, r.late, r.overdue if kind == "channels" else ""]
            for kind, label in (("moderators", "审核员"), ("channels", "渠道")) for r in data[kind]]
    return Response(exports.csv_text(head, rows), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=comment-figures.csv"})
