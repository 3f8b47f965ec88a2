"""Scheduling and the outbox (API.md): POST /posts/{id}/schedule, GET /posts/{id}/publications, and
多图文 bundles."""
from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from cms.api import bp
from cms.api.schemas import operation, query
from cms.api.serializers import bundle_json, publication_json
from cms.api.util import choice_arg, field, optional_json_body
from cms.content import service as content
from cms.dbtypes import db_int
from cms.errors import Refused
from cms.permissions import SELF
from cms.publishing import policy as publishing_policy
from cms.publishing import queries, scheduling
from cms.web import requires


def _publications(post, every: bool = False):
    return jsonify(items=[publication_json(p) for p in queries.publications_for(post, all_generations=every)],
                   post={"id": post.id, "status": post.status})


@bp.post("/posts/<int:post_id>/schedule")
@operation(answer="Publications", body="ScheduleInput", body_optional=True, errors=(400, 403, 409, 422))
@requires(SELF)  # the service decides: the channels' account administrator, or the supervisor
def posts_schedule(post_id: int):
    """Publish an approved post on its channels now or at `at` today (C8); a later day needs the supervisor's `override_reason`."""
    data = optional_json_body()
    reason = field(data, "override_reason", str, required=False)
    post = content.get_post(current_user, post_id)
    scheduling.schedule(current_user, post, scheduling.parse_at(data.get("at")), reason)
    return _publications(post)


@bp.get("/posts/<int:post_id>/publications")
@operation(answer="Publications", errors=(400,), params=[
    query("all", {"type": "string", "enum": ["0", "1", "true", "false"]}, "every generation, not only the latest")])
@requires(SELF)
def posts_publications(post_id: int):
    """Per channel: state, each step's progress, remote ids, attempts, last error (`?all=1`: every generation)."""
    post = content.get_post(current_user, post_id)
    return _publications(post, every=choice_arg("all", ("0", "1", "true", "false")) in ("1", "true"))


@bp.post("/channels/<int:channel_id>/bundles")
@operation(ok=201, answer="Bundle", body="BundleInput", errors=(400, 403, 409, 422))
@requires(SELF)  # bundles.create decides: the channel's account administrator, or the supervisor
def channels_bundles_create(channel_id: int):
    """多图文: `posts` (ids, the headline first) pushed together on a WeChat channel now or at `at` today (C8 C18)."""
    from cms.channels import service
    from cms.publishing import bundles

    data = optional_json_body()
    posts = data.get("posts")
    if not isinstance(posts, list) or not all(db_int(i) for i in posts):
        raise Refused(_("posts must be a list of post ids, the headline first."), code="invalid", status=400,
                      fields={"posts": [_("A list of post ids.")]})
    reason = field(data, "override_reason", str, required=False)
    bundle = bundles.create(current_user, service.get_channel(channel_id), posts, scheduling.parse_at(data.get("at")),
                            reason)
    return jsonify(bundle_json(bundle)), 201


@bp.get("/bundles/<int:bundle_id>")
@operation(answer="Bundle", errors=())
@requires(SELF)
def bundles_get(bundle_id: int):
    """A 多图文 bundle: its channel, due time, state and members in order with their publications."""
    from cms.publishing import bundles

    bundle = bundles.get(bundle_id)
    if not publishing_policy.bundle_policy.can_view(current_user, bundle):
        raise Refused(_("Only the channel's account administrator sees its bundles."), code="forbidden", status=403)
    return jsonify(bundle_json(bundle))


@bp.post("/bundles/<int:bundle_id>/dissolve")
@operation(answer="Bundle", errors=(403, 409, 422))
@requires(SELF)
def bundles_dissolve(bundle_id: int):
    """Take a bundle apart before it is sent: its posts stay approved."""
    from cms.publishing import bundles

    bundle = bundles.get(bundle_id)
    bundles.dissolve(current_user, bundle)
    return jsonify(bundle_json(bundle))
