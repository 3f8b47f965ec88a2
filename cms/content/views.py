"""Posts in the browser: list, editor with autosave and merge on conflict, checks with one-click
fixes, history and diff, phone preview, the C11 request form, images and the C15 word list.
Thin views: every rule lives in cms.content.service and cms.content.policy."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from cms.articles.render import wrap_for_preview
from cms.auth.service import department_tree
from cms.channels.models import Channel
from cms.content import checks, images, service
from cms.content.diff import revision_diff
from cms.content.forms import (
    CATEGORY_LABELS,
    FIELD_MAP,
    STATUS_LABELS,
    ActionForm,
    PostForm,
    UploadForm,
    WordsForm,
    content_label,
)
from cms.content.models import STATUSES, Asset, Post
from cms.content.policy import can_create, can_edit
from cms.errors import Conflict, Refused
from cms.extensions import db
from cms.keyset import keyset_page
from cms.permissions import SELF
from cms.web import flash_refusal, requires

bp = Blueprint("content", __name__)

PREVIEW_CSP = ("default-src 'none'; img-src 'self' https: data:; style-src 'unsafe-inline' 'self'; "
               "script-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'")


@bp.app_template_filter("content_label")
def _content_label(code, kind="category"):
    return content_label(code, kind)


@bp.app_template_global("image_sources")
def _image_sources():
    """The image sources (C14) for the editor's image button, as {code: label}."""
    from cms.content.forms import IMAGE_SOURCE_LABELS

    return {k: str(v) for k, v in IMAGE_SOURCE_LABELS.items()}


@bp.app_template_filter("where_label")
def _where_label(where):
    return checks.where_label(where)


def _channels():
    return db.session.scalars(select(Channel).where(Channel.active).order_by(Channel.id)).all()


def _my_assets():
    return db.session.scalars(select(Asset).where(Asset.uploaded_by_id == current_user.id)
                              .order_by(Asset.id.desc())).all()


def _editor(post=None) -> PostForm:
    """The editor; its cover choices are the user's uploads and the images this post used. Another
    id typed in is refused by the service with a message naming it (asset_policy)."""
    form = PostForm()
    form.fill(_channels(), service.referable_assets(current_user, post))
    return form


def _draft_offer(post):
    """The autosaved draft if it is newer than the current revision (else None)."""
    buffer = service.autosaved(current_user, post)
    if buffer is None:
        return None
    if post is not None and (buffer.base_revision != post.current.number
                             or buffer.updated_at <= post.current.created_at):
        return None
    return buffer


# --- list ----------------------------------------------------------------------------------------

@bp.route("/posts")
@requires(SELF)
def posts():
    a = request.args
    status = a.get("status") or None
    if status not in (None, *STATUSES):
        status = None
    category = a.get("category") or None
    if category not in (None, *CATEGORY_LABELS):
        category = None
    filters = {"status": status, "channel": a.get("channel", type=int), "category": category,
               "department": a.get("department", type=int), "author": a.get("author", type=int),
               "q": (a.get("q") or "").strip()[:100] or None}
    page = keyset_page(service.list_posts(current_user, **filters), (Post.created_at, Post.id),
                       after=a.get("after"), before=a.get("before"))
    return render_template("content/posts.html", page=page, filters=filters, statuses=STATUS_LABELS,
                           categories=CATEGORY_LABELS, channels=_channels(), tree=department_tree(),
                           authors=service.post_authors(current_user), may_create=can_create(current_user))


# --- editor --------------------------------------------------------------------------------------

@bp.route("/posts/new", methods=["GET", "POST"])
@requires("post.create")
def post_new():
    form = _editor()
    if form.validate_on_submit():
        try:
            post = service.create_post(current_user, form.to_data())
        except Refused as e:
            flash_refusal(e, form, FIELD_MAP)
        else:
            flash(_("Draft saved as revision 1. The checks below run on every save."), "success")
            return redirect(url_for("content.post_view", post_id=post.id))
    return render_template("content/edit.html", form=form, post=None, draft=_draft_offer(None)), \
        400 if form.errors or request.method == "POST" else 200


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@requires(SELF)
def post_edit(post_id: int):
    post = service.get_post(current_user, post_id)
    if not can_edit(current_user, post):
        raise Refused(_("You may not edit this post in its current state."), code="forbidden", status=403)
    form = _editor(post)
    if request.method == "GET":
        form.load(post)
    elif form.validate_on_submit():
        base = form.base_revision.data
        try:
            service.save(current_user, post, form.to_data(), int(base) if str(base).isdigit() else None,
                         note=form.note.data or "")
        except Conflict as e:
            return _merge(post, form, e)
        except Refused as e:
            flash_refusal(e, form, FIELD_MAP)
        else:
            flash(_("Saved as revision %(n)d.", n=post.current.number), "success")
            return redirect(url_for("content.post_view", post_id=post.id))
    return render_template("content/edit.html", form=form, post=post,
                           draft=_draft_offer(post) if request.method == "GET" else None), \
        400 if request.method == "POST" else 200


def _merge(post, form: PostForm, conflict: Conflict):
    """Someone saved meanwhile: both versions side by side; re-submitting goes on top of the current
    revision, and everything typed stays in the form."""
    db.session.expire_all()
    post = service.get_post(current_user, post.id)
    current = post.current
    yours = form.to_data()
    your_fields = {"title": yours["title"], "author": yours["author"], "digest": yours["digest"],
                   "body_source": yours["body"]["text"], "source_kind": yours["source"]["kind"],
                   "source_name": yours["source"]["name"], "source_url": yours["source"]["url"],
                   "source_author": yours["source"]["author"]}
    current_fields = {k: getattr(current, k) for k in your_fields}
    rows = revision_diff(current_fields, your_fields)
    typed_base = form.base_revision.data
    form.base_revision.data = str(current.number)
    form.base_revision.raw_data = None
    return render_template("content/merge.html", form=form, post=post, current=current, rows=rows,
                           message=conflict.message, typed_base=typed_base), 409


@bp.route("/posts/live-preview", methods=["POST"])
@requires(SELF)
def live_preview():
    """The phone preview of what the editor holds now (editor.js posts the form after a pause)."""
    form = _editor()
    form.validate()  # binds and coerces the fields; the preview shows whatever is there
    try:
        return jsonify({"html": service.preview_html(form.to_data())})
    except Refused as e:
        detail = "；".join(str(m) for messages in e.fields.values() for m in messages)
        return jsonify({"error": detail or e.message}), 400


@bp.route("/posts/new/autosave", methods=["POST"])
@requires("post.create")
def autosave_new():
    return _autosave(None)


@bp.route("/posts/<int:post_id>/autosave", methods=["POST"])
@requires(SELF)
def autosave(post_id: int):
    return _autosave(service.get_post(current_user, post_id))


def _autosave(post):
    """JSON {data, base_revision} from editor.js (CSRF token in the X-CSRFToken header)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        return jsonify({"error": _("Send JSON {data, base_revision}.")}), 400
    base = body.get("base_revision")
    base = base if isinstance(base, int) and not isinstance(base, bool) else None
    try:
        buffer = service.autosave(current_user, post, body["data"], base)
    except Refused as e:
        return jsonify({"error": e.message}), e.status
    return jsonify({"saved_at": buffer.updated_at.isoformat()})


# --- one post ------------------------------------------------------------------------------------

@bp.route("/posts/<int:post_id>")
@requires(SELF)
def post_view(post_id: int):
    post = service.get_post(current_user, post_id)
    rev = post.current
    findings = service.findings(post)
    return render_template("content/post.html", post=post, rev=rev, findings=findings,
                           errors=sum(f.severity == checks.ERROR for f in findings),
                           editable=can_edit(current_user, post), action=ActionForm(),
                           theme=service.theme_for(post))


@bp.route("/posts/<int:post_id>/fix", methods=["POST"])
@requires(SELF)
def post_fix(post_id: int):
    post = service.get_post(current_user, post_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    base = form.base_revision.data
    try:
        rev = service.apply_fix(current_user, post, form.fix.data or "", int(base) if str(base).isdigit() else None)
    except Refused as e:
        flash(e.message, "danger")
    else:
        flash(_("Fixed: saved as revision %(n)d.", n=rev.number), "success")
    return redirect(url_for("content.post_view", post_id=post_id))


@bp.route("/posts/<int:post_id>/clear-confidential", methods=["POST"])
@requires("post.clear_confidential")
def post_clear_confidential(post_id: int):
    post = service.get_post(current_user, post_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        service.clear_confidential(current_user, post, request.form.get("reason", ""))
    except Refused as e:
        flash(e.message, "danger")
    else:
        flash(_("The confidential flag is cleared (C5)."), "success")
    return redirect(url_for("content.post_view", post_id=post_id))


@bp.route("/posts/<int:post_id>/revisions/<int:number>/restore", methods=["POST"])
@requires(SELF)
def post_restore(post_id: int, number: int):
    post = service.get_post(current_user, post_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        rev = service.restore(current_user, post, number)
    except Refused as e:
        flash(e.message, "danger")
    else:
        flash(_("Revision %(old)d restored as revision %(n)d.", old=number, n=rev.number), "success")
    return redirect(url_for("content.post_view", post_id=post_id))


@bp.route("/posts/<int:post_id>/revisions/<int:a>/diff/<int:b>")
@requires(SELF)
def post_diff(post_id: int, a: int, b: int):
    post = service.get_post(current_user, post_id)
    rows = service.diff(post, a, b)
    return render_template("content/diff.html", post=post, a=a, b=b, rows=rows)


@bp.route("/posts/<int:post_id>/preview")
@requires(SELF)
def post_preview(post_id: int):
    post = service.get_post(current_user, post_id)
    rev = post.current
    html = wrap_for_preview(rev.html, rev.title, rev.author, service.theme_for(post))
    response = Response(render_template("content/preview.html", post=post, rev=rev, html=html))
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    return response


@bp.route("/posts/<int:post_id>/request-form")
@requires(SELF)
def post_request_form(post_id: int):
    post = service.get_post(current_user, post_id)
    return render_template("content/request_form.html", post=post, rev=post.current)


# --- images --------------------------------------------------------------------------------------

@bp.route("/assets/<int:asset_id>")
@requires(SELF)
def asset(asset_id: int):
    blob = service.get_asset(current_user, asset_id).blob
    mimetype = images.MIME.get(blob.format, "application/octet-stream")
    response = Response(blob.data, mimetype=mimetype)
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    response.headers["Content-Disposition"] = "inline"
    response.set_etag(blob.sha256)
    return response.make_conditional(request)


@bp.route("/posts/<int:post_id>/cover/<any('2.35:1', '1:1'):ratio>")
@requires(SELF)
def post_cover(post_id: int, ratio: str):
    """The cover as WeChat will crop it; ?x=&y= (percent) tries another focus without saving."""
    post = service.get_post(current_user, post_id)
    x, y = request.args.get("x", type=int), request.args.get("y", type=int)
    focus = (x / 100, y / 100) if x is not None and y is not None else None
    img = service.cover_crop(current_user, post, ratio, focus)
    response = Response(img.data, mimetype=img.mime)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/assets/upload", methods=["GET", "POST"])
@requires("post.create")
def asset_upload():
    form = UploadForm()
    form.fill()
    if request.method == "POST" and request.headers.get("X-Requested-With") == "fetch":
        return _upload_json(form)  # the editor's image button, drop and paste (static/editor_images.js)
    if form.validate_on_submit():
        try:
            found = _store_upload(form)
        except Refused as e:
            flash_refusal(e, form)
        else:
            flash(_("Image uploaded. Paste this into the body: %(md)s",
                    md=f"![]({url_for('content.asset', asset_id=found.id)})"), "success")
            warning = service.quality_warning(found)
            if warning:
                flash(warning, "warning")
            return redirect(url_for("content.asset_upload"))
    return render_template("content/upload.html", form=form, assets=_my_assets()), \
        400 if request.method == "POST" else 200


def _store_upload(form: UploadForm):
    """The uploaded image stored as the current user's asset (C14: its source), or Refused."""
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        raise Refused(_("Choose an image file."), code="invalid", fields={"file": [_("Required.")]})
    return service.upload_asset(current_user, upload.read(), form.source.data or "", form.credit.data or "")


def _upload_json(form: UploadForm):
    """The same upload for the editor's script: JSON {id, url, markdown, warning} (201), or
    {error, fields} with 400 (a bad CSRF token, no file) or the refusal's status (C14: the image's
    source; size and type limits), in Chinese."""
    from flask import jsonify

    if not form.validate_on_submit():
        return jsonify(error=_("The upload was refused: reload the page and try again."),
                       fields={k: [str(m) for m in v] for k, v in form.errors.items()}), 400
    try:
        found = _store_upload(form)
    except Refused as e:
        return jsonify(error=e.message, code=e.code, fields=e.fields or {}), e.status
    url = url_for("content.asset", asset_id=found.id)
    return jsonify(id=found.id, url=url, markdown=f"![]({url})", warning=service.quality_warning(found)), 201


# --- forbidden words (C15) -----------------------------------------------------------------------

@bp.route("/admin/words", methods=["GET", "POST"])
@requires("settings.manage")
def words():
    form = WordsForm()
    current = service.word_lists()
    categories = sorted(set(current) | set(checks.load_seed_terms()))
    if form.validate_on_submit():
        new = (form.new_category.data or "").strip()
        lists = {c: request.form.get(f"words-{c}", "").splitlines() for c in categories}
        if new and new not in categories:
            lists[new] = request.form.get("new_terms", "").splitlines()
        try:
            changed = service.set_word_lists(lists)
        except Refused as e:
            flash(e.message, "danger")
        else:
            flash(_("Saved: %(n)d lists changed.", n=changed), "success")
            return redirect(url_for("content.words"))
    return render_template("content/words.html", form=form, categories=categories, current=current), \
        400 if request.method == "POST" else 200
