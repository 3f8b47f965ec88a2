"""GET /channels (API.md): the channels the caller may target."""
from flask import jsonify
from flask_login import current_user

from cms.api import bp
from cms.api.schemas import PAGE, enum, operation, query
from cms.api.serializers import channel_json
from cms.api.util import choice_arg, page_args
from cms.channels import policy as channels_policy
from cms.channels import service as channels
from cms.channels.models import PLATFORMS
from cms.permissions import SELF
from cms.web import requires


@bp.get("/channels")
@operation(answer="Channels", errors=(400,), params=[query("platform", enum(PLATFORMS)), *PAGE])
@requires(SELF)  # each channel is asked: channels_policy.can_target
def channels_list():
    """Channels the caller may target: id, name, platform, type, level, audience (C1 C2)."""
    page, per_page = page_args()
    platform = choice_arg("platform", PLATFORMS)
    found = [c for c in channels.channels() if channels_policy.can_target(current_user, c)
             and (platform is None or c.platform == platform)]
    start = (page - 1) * per_page
    return jsonify(items=[channel_json(c) for c in found[start:start + per_page]], page=page, per_page=per_page,
                   total=len(found))
