"""Withdrawing or correcting a published post (API.md style): POST /posts/{id}/withdrawals,
POST /withdrawals/{id}/decision, GET /posts/{id}/withdrawals. The same service and rules as the
pages (cms.publishing.withdrawals)."""
from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from cms.api import bp
from cms.api.schemas import operation
from cms.api.serializers import withdrawal_json
from cms.api.util import field, json_body
from cms.content import service as content
from cms.dbtypes import db_int
from cms.errors import Refused
from cms.permissions import SELF
from cms.publishing import withdrawals as service
from cms.web import requires


def _answer(w, status=200):
    return jsonify(withdrawal_json(w)), status


@bp.post("/posts/<int:post_id>/withdrawals")
@operation(ok=201, answer="Withdrawal", body="WithdrawalInput", errors=(400, 403, 409, 422))
@requires("publish.request_withdraw")  # and, per channel, its account administrator or supervisor
def posts_withdrawals_create(post_id: int):
    """Ask to withdraw or correct a published post: {kind: "withdraw"|"correct", reason, channels?: [id]} → 201."""
    data = json_body()
    post = content.get_post(current_user, post_id)
    kind = field(data, "kind", str, required=False, default="")
    reason = field(data, "reason", str, required=False, default="")
    channels = data.get("channels")
    if channels is not None and (not isinstance(channels, list) or not all(db_int(c) for c in channels)):
        raise Refused(_("channels must be a list of channel ids."), code="invalid", status=400,
                      fields={"channels": [_("A list of channel ids.")]})
    w = service.request(current_user, post, kind, reason, channels)
    return _answer(w, 201)


@bp.get("/posts/<int:post_id>/withdrawals")
@operation(answer="Withdrawals", errors=())
@requires(SELF)  # whoever may see the post (404 otherwise)
def posts_withdrawals_list(post_id: int):
    """The post's withdrawal and correction requests, newest first, each channel with its publication's state."""
    post = content.get_post(current_user, post_id)
    items = [withdrawal_json(w) for w in service.for_post(post)]
    return jsonify(items=items, page=1, per_page=max(len(items), 1), total=len(items),
                   post={"id": post.id, "status": post.status})


@bp.post("/withdrawals/<int:withdrawal_id>/decision")
@operation(answer="Withdrawal", body="WithdrawalDecision", errors=(400, 403, 409, 422))
@requires("publish.approve_withdraw")  # and a supervisor of every channel the request names
def withdrawals_decide(withdrawal_id: int):
    """The platform supervisor decides: {approve: bool, note} (a note is required to reject); approved → carried out."""
    data = json_body()
    approve = data.get("approve")
    if not isinstance(approve, bool):
        raise Refused(_("approve must be true or false."), code="invalid", status=400,
                      fields={"approve": [_("Required.")]})
    note = field(data, "note", str, required=False, default="")
    w = service.get_withdrawal(withdrawal_id)
    content.get_post(current_user, w.post_id)
    w = service.decide(current_user, w, approve, note)
    return _answer(w)


@bp.post("/withdrawals/<int:withdrawal_id>/retry")
@operation(answer="Withdrawal", errors=(403, 409, 422))
@requires("publish.request_withdraw")
def withdrawals_retry(withdrawal_id: int):
    """Carry out a failed request again: channels already withdrawn are not called again."""
    w = service.get_withdrawal(withdrawal_id)
    content.get_post(current_user, w.post_id)
    return _answer(service.retry(current_user, w))
