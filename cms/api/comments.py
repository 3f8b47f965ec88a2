"""Follower comments for moderators (API.md "Comments"): GET /comments, POST /comments/{id}/replies.
The same queue and the same operation as the pages (cms.comments): a reply is screened before it
is sent (422 C15 or C16 with the findings), warnings need confirm_warnings."""
from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from cms import workdays
from cms.api import bp
from cms.api.schemas import PAGE, enum, operation, query
from cms.api.util import choice_arg, field, id_arg, json_body, page_args
from cms.comments import operations, queries, rules
from cms.comments.policy import MODERATE
from cms.errors import Refused
from cms.web import requires


def _time(value):
    return workdays.local(value).isoformat() if value else None


def comment_json(r: queries.Row) -> dict:
    c = r.comment
    return {
        "id": c.id, "state": r.state, "featured": c.featured,
        "channel": {"id": c.channel_id, "name": c.channel.name},
        "article": {"id": c.thread_id, "title": c.thread.title, "url": c.thread.url,
                    "msg_data_id": c.msg_data_id, "index": c.index},
        "follower": {"openid": c.openid, "nickname": c.nickname},
        "text": c.content, "created_at": _time(c.created_at), "reply_due_at": _time(r.due_at),
        "reply": {"text": c.reply_text, "at": _time(c.replied_at),
                  "by": c.replied_by.username if c.replied_by else None} if c.reply_text else None,
    }


@bp.get("/comments")
@operation(answer="Comments", errors=(400,), params=[
    query("state", enum(rules.STATES), "unanswered (default; overdue included), overdue, answered, featured, deleted"),
    query("channel", {"type": "integer", "minimum": 1}, "a channel's id"),
    query("article", {"type": "integer", "minimum": 1}, "an article's (comment thread's) id"), *PAGE])
@requires(MODERATE)  # and only the channels the caller moderates
def comments_list():
    """Comments of the caller's channels: unanswered and overdue oldest first, each with reply_due_at (C16)."""
    page, per_page = page_args()
    rows = queries.queue(current_user, id_arg("channel"), id_arg("article"), choice_arg("state", rules.STATES))
    start = (page - 1) * per_page
    return jsonify(items=[comment_json(r) for r in rows[start:start + per_page]], page=page, per_page=per_page,
                   total=len(rows))


@bp.post("/comments/<int:comment_id>/replies")
@operation(ok=201, answer="CommentItem", body="ReplyInput", errors=(400, 403, 404, 409, 422))
@requires(MODERATE)
def comments_reply(comment_id: int):
    """Answer a comment: {text, confirm_warnings?} → 201; 422 C15/C16 with `findings`; 409 when it has a reply (88005)."""
    data = json_body()
    text = field(data, "text", str)
    confirm = data.get("confirm_warnings", False)
    if not isinstance(confirm, bool):
        raise Refused(_("confirm_warnings must be true or false."), code="invalid", status=400,
                      fields={"confirm_warnings": [_("Wrong type.")]})
    comment = operations.get_comment(current_user, comment_id)
    operations.reply(current_user, comment, text, confirm)
    return jsonify(comment_json(queries.row(operations.get_comment(current_user, comment_id)))), 201
