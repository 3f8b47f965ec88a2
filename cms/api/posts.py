"""Posts, revisions, diffs, images, submission and review (API.md)."""
from dataclasses import asdict

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from cms.api import bp
from cms.api.schemas import PAGE, enum, operation, query
from cms.api.serializers import post_json, review_json, revision_json
from cms.api.util import choice_arg, field, id_arg, json_body, listing, optional_json_body, page_args
from cms.content import service
from cms.content.models import CATEGORIES, STATUSES, Post
from cms.errors import Conflict, Refused
from cms.extensions import db
from cms.permissions import SELF
from cms.web import requires


@bp.post("/posts")
@operation(ok=201, answer="Post", body="PostInput", errors=(400, 403, 422))
@requires("post.create")
def posts_create():
    """File a new draft (revision 1)."""
    post = service.create_post(current_user, json_body())
    return jsonify(post_json(post)), 201


@bp.get("/posts")
@operation(answer="Posts", errors=(400,), params=[
    query("status", enum(STATUSES)), query("channel", {"type": "integer", "minimum": 1}, "a channel's id"),
    query("category", enum(CATEGORIES)), query("author", {"type": "integer", "minimum": 1}, "a user's id"),
    query("department", {"type": "integer", "minimum": 1}, "a department's id"),
    query("q", {"type": "string"}, "words in titles and bodies"), *PAGE])
@requires(SELF)
def posts_list():
    """Posts the caller may see, newest first; filter by status, channel, category, author, department, q."""
    page, per_page = page_args()
    query_ = service.list_posts(current_user, status=choice_arg("status", STATUSES), channel=id_arg("channel"),
                                category=choice_arg("category", CATEGORIES), author=id_arg("author"),
                                department=id_arg("department"), q=request.args.get("q"))
    query_ = query_.options(selectinload(Post.channels))  # each item names its channels: one query, not one each
    return listing(db.paginate(query_, page=page, per_page=per_page, error_out=False),
                   lambda p: post_json(p, full=False))


@bp.get("/posts/<int:post_id>")
@operation(answer="Post", errors=())
@requires(SELF)
def posts_get(post_id: int):
    """The post with its current revision, rendered HTML, checks, workflow, reviews and publications."""
    return jsonify(post_json(service.get_post(current_user, post_id)))


@bp.patch("/posts/<int:post_id>")
@operation(answer="Post", body="PostPatch", errors=(400, 403, 409, 422))
@requires(SELF)
def posts_patch(post_id: int):
    """Edit: a new revision; 409 with both versions (`current`, `yours`) if base_revision is not the latest."""
    data = json_body()
    post = service.get_post(current_user, post_id)
    note = field(data, "note", str, required=False, default="")
    try:
        service.save(current_user, post, data, data.get("base_revision"), note=note[:200])
    except Conflict as e:
        if e.code == "stale_revision":
            e.extra = {"current": revision_json(post.current), "yours": data}
        raise
    return jsonify(post_json(post))


@bp.get("/posts/<int:post_id>/revisions/<int:a>/diff/<int:b>")
@operation(answer="Diff", errors=())
@requires(SELF)
def posts_diff(post_id: int, a: int, b: int):
    """What changed between two revisions, per field, aligned for Chinese text."""
    rows = service.diff(service.get_post(current_user, post_id), a, b)
    return jsonify({"from": a, "to": b, "fields": {f: [asdict(r) for r in rs] for f, rs in rows.items()}})


@bp.post("/assets")
@operation(ok=201, answer="Asset", body="AssetUpload", multipart=True, errors=(400, 403, 413, 422))
@requires("post.create")
def assets_create():
    """Upload an image (multipart `file`, `source`, `credit` for a reprint) (C14)."""
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
@operation(answer="Post", body="Submit", body_optional=True, errors=(400, 403, 409, 422))
@requires(SELF)
def posts_submit(post_id: int):
    """Into review (C4): checks without errors; `reasons: {finding_id: text}` for every warning."""
    from cms.workflow import service as workflow

    data = optional_json_body()
    reasons = data.get("reasons") or {}
    if not isinstance(reasons, dict) or not all(isinstance(v, str) for v in reasons.values()):
        raise Refused(_("reasons maps finding ids to text."), code="invalid", status=400,
                      fields={"reasons": [_("Wrong type.")]})
    post = service.get_post(current_user, post_id)
    workflow.submit(current_user, post, reasons)
    return jsonify(post_json(post))


@bp.post("/posts/<int:post_id>/reviews")
@operation(ok=201, answer="Reviewed", body="Decision", errors=(400, 403, 409, 422))
@requires("post.review")
def posts_review(post_id: int):
    """A decision at the current step on revision N (409 if N or its hash is not current);
    `push: {channel_id: bool}` at the step deciding push (C18), `escalate` where allowed."""
    from cms.workflow import service as workflow

    post = service.get_post(current_user, post_id)
    review = workflow.decide(current_user, post, json_body())
    return jsonify({**post_json(post), "review": review_json(review)}), 201


@bp.post("/posts/<int:post_id>/withdraw")
@operation(answer="Post", body="WithdrawReason", body_optional=True, errors=(400, 403, 409, 422))
@requires(SELF)
def posts_withdraw(post_id: int):
    """The author's side takes a post out of review: it is a draft again."""
    from cms.workflow import service as workflow

    reason = field(optional_json_body(), "reason", str, required=False, default="")
    post = service.get_post(current_user, post_id)
    workflow.withdraw(current_user, post, reason)
    return jsonify(post_json(post))
