"""Posts, revisions, diffs and images (API.md)."""
from dataclasses import asdict

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from cms.api import bp
from cms.api.util import json_body, listing, page_args
from cms.content import service
from cms.errors import Refused
from cms.extensions import db
from cms.permissions import SELF
from cms.web import requires


@bp.post("/posts")
@requires("post.create")
def posts_create():
    """File a new draft (revision 1)."""
    post = service.create_post(current_user, json_body())
    return jsonify(service.post_json(post)), 201


@bp.get("/posts")
@requires(SELF)
def posts_list():
    """Posts the caller may see, newest first; filter by status, channel, category, q."""
    page, per_page = page_args()
    a = request.args
    query = service.list_posts(current_user, status=a.get("status"), channel=a.get("channel", type=int),
                               category=a.get("category"), author=a.get("author", type=int),
                               department=a.get("department", type=int), q=a.get("q"))
    return listing(db.paginate(query, page=page, per_page=per_page, error_out=False),
                   lambda p: service.post_json(p, full=False))


@bp.get("/posts/<int:post_id>")
@requires(SELF)
def posts_get(post_id: int):
    """The post with its current revision, rendered HTML and checks."""
    return jsonify(service.post_json(service.get_post(current_user, post_id)))


@bp.patch("/posts/<int:post_id>")
@requires(SELF)
def posts_patch(post_id: int):
    """Edit: a new revision; 409 with both versions if base_revision is not the latest."""
    data = json_body()
    post = service.get_post(current_user, post_id)
    service.save(current_user, post, data, data.get("base_revision"), note=str(data.get("note", ""))[:200])
    return jsonify(service.post_json(post))


@bp.get("/posts/<int:post_id>/revisions/<int:a>/diff/<int:b>")
@requires(SELF)
def posts_diff(post_id: int, a: int, b: int):
    """What changed between two revisions, per field, aligned for Chinese text."""
    rows = service.diff(service.get_post(current_user, post_id), a, b)
    return jsonify({"from": a, "to": b, "fields": {f: [asdict(r) for r in rs] for f, rs in rows.items()}})


@bp.post("/assets")
@requires("post.create")
def assets_create():
    """Upload an image (multipart `file`, `source`, `credit` for a reprint)."""
    upload = request.files.get("file")
    if upload is None:
        raise Refused(_("Send the image as multipart field 'file'."), code="invalid", status=400,
                      fields={"file": [_("Required.")]})
    asset = service.upload_asset(current_user, upload.read(), request.form.get("source", ""),
                                 request.form.get("credit", ""))
    blob = asset.blob
    return jsonify({"id": asset.id, "width": blob.width, "height": blob.height, "format": blob.format,
                    "bytes": blob.bytes, "sha256": blob.sha256, "url": f"/assets/{asset.id}",
                    "warning": service.quality_warning(asset)}), 201


@bp.post("/posts/<int:post_id>/submit")
@requires(SELF)
def posts_submit(post_id: int):
    """Into review (C4): checks without errors; `reasons: {finding_id: text}` for every warning."""
    from cms.workflow import service as workflow

    data = json_body()
    reasons = data.get("reasons") or {}
    if not isinstance(reasons, dict):
        raise Refused(_("reasons maps finding ids to text."), code="invalid", status=400)
    post = service.get_post(current_user, post_id)
    workflow.submit(current_user, post, reasons)
    return jsonify(service.post_json(post))


@bp.post("/posts/<int:post_id>/reviews")
@requires("post.review")
def posts_review(post_id: int):
    """A decision at the current step on revision N (409 if N or its hash is not current);
    `push: {channel_id: bool}` at the step deciding push (C18), `escalate` where allowed."""
    from cms.workflow import queries as workflow_queries
    from cms.workflow import service as workflow

    post = service.get_post(current_user, post_id)
    review = workflow.decide(current_user, post, json_body())
    return jsonify({**service.post_json(post), "review": workflow_queries.review_json(review)}), 201


@bp.post("/posts/<int:post_id>/withdraw")
@requires(SELF)
def posts_withdraw(post_id: int):
    """The author's side takes a post out of review: it is a draft again."""
    from cms.workflow import service as workflow

    post = service.get_post(current_user, post_id)
    workflow.withdraw(current_user, post, str(json_body().get("reason", "")))
    return jsonify(service.post_json(post))
