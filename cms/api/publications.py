"""Scheduling and the outbox (API.md): POST /posts/{id}/schedule, GET /posts/{id}/publications."""
from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from cms.api import bp
from cms.channels import policy as channels_policy
from cms.content import service as content
from cms.errors import Refused
from cms.permissions import SELF
from cms.publishing import queries, scheduling
from cms.web import requires


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
    scheduling.schedule(current_user, post, scheduling.parse_at(data.get("at")), reason)
    return jsonify(items=[queries.publication_json(p) for p in queries.publications_for(post)],
                   post={"id": post.id, "status": post.status})


@bp.get("/posts/<int:post_id>/publications")
@requires(SELF)
def posts_publications(post_id: int):
    """Per channel: state, each step's progress, remote ids, attempts, last error (`?all=1`: every generation)."""
    post = content.get_post(current_user, post_id)
    every = request.args.get("all") in ("1", "true")
    return jsonify(items=[queries.publication_json(p) for p in queries.publications_for(post, all_generations=every)],
                   post={"id": post.id, "status": post.status})


@bp.post("/channels/<int:channel_id>/bundles")
@requires(SELF)  # bundles.create decides: the channel's account administrator, or the supervisor
def channels_bundles_create(channel_id: int):
    """多图文: `posts` (ids, the headline first) pushed together on a WeChat channel now or at `at` today (C8 C18)."""
    from cms.channels import service
    from cms.publishing import bundles

    data = request.get_json(silent=True) if request.get_data() else {}
    if not isinstance(data, dict):
        raise Refused(_("Send a JSON object."), code="bad_request", status=400)
    posts = data.get("posts")
    if not isinstance(posts, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in posts):
        raise Refused(_("posts must be a list of post ids, the headline first."), code="invalid", status=400,
                      fields={"posts": [_("A list of post ids.")]})
    reason = data.get("override_reason")
    if reason is not None and not isinstance(reason, str):
        raise Refused(_("%(field)s has the wrong type.", field="override_reason"), code="invalid", status=400,
                      fields={"override_reason": [_("Wrong type.")]})
    bundle = bundles.create(current_user, service.get_channel(channel_id), posts, scheduling.parse_at(data.get("at")),
                            reason)
    return jsonify(bundles.bundle_json(bundle)), 201


@bp.get("/bundles/<int:bundle_id>")
@requires(SELF)
def bundles_get(bundle_id: int):
    """A 多图文 bundle: its channel, due time, state and members in order with their publications."""
    from cms.publishing import bundles

    bundle = bundles.get(bundle_id)
    if not channels_policy.can_publish_on(current_user, bundle.channel):
        raise Refused(_("Only the channel's account administrator sees its bundles."), code="forbidden", status=403)
    return jsonify(bundles.bundle_json(bundle))


@bp.post("/bundles/<int:bundle_id>/dissolve")
@requires(SELF)
def bundles_dissolve(bundle_id: int):
    """Take a bundle apart before it is sent: its posts stay approved."""
    from cms.publishing import bundles

    bundle = bundles.get(bundle_id)
    bundles.dissolve(current_user, bundle)
    return jsonify(bundles.bundle_json(bundle))
