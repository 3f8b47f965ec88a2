"""Scheduling and the outbox (API.md): POST /posts/{id}/schedule, GET /posts/{id}/publications."""
from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from cms.api import bp
from cms.content import service as content
from cms.errors import Refused
from cms.permissions import SELF, requires
from cms.publishing import outbox


@bp.post("/posts/<int:post_id>/schedule")
@requires(SELF)  # the service decides: the channels' account administrator, or the supervisor
def posts_schedule(post_id: int):
    """Publish an approved post on its channels now or at `at` today (C8); a later day needs the supervisor's `override_reason`."""
    data = request.get_json(silent=True) if request.get_data() else {}
    if not isinstance(data, dict):
        raise Refused(_("Send a JSON object."), code="bad_request", status=400)
    reason = data.get("override_reason")
    if reason is not None and not isinstance(reason, str):
        raise Refused(_("%(field)s has the wrong type.", field="override_reason"), code="invalid", status=400,
                      fields={"override_reason": [_("Wrong type.")]})
    post = content.get_post(current_user, post_id)
    outbox.schedule(current_user, post, outbox.parse_at(data.get("at")), reason)
    return jsonify(items=[outbox.publication_json(p) for p in outbox.publications_for(post)],
                   post={"id": post.id, "status": post.status})


@bp.get("/posts/<int:post_id>/publications")
@requires(SELF)
def posts_publications(post_id: int):
    """Per channel: state, each step's progress, remote ids, attempts, last error (`?all=1`: every generation)."""
    post = content.get_post(current_user, post_id)
    every = request.args.get("all") in ("1", "true")
    return jsonify(items=[outbox.publication_json(p) for p in outbox.publications_for(post, all_generations=every)],
                   post={"id": post.id, "status": post.status})
