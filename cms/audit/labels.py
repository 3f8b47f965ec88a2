"""Chinese labels of the audit trail's action codes and target kinds (issue 19: the log showed raw
codes such as post.approved). A code not listed here shows as its object and state labels, or as
itself; tests/audit checks that every code the code base records has its label."""
from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "asset.uploaded": _l("Image uploaded"),
    "bundle.created": _l("多图文 bundle created"),
    "bundle.dissolved": _l("多图文 bundle dissolved"),
    "bundle.members_left_out": _l("Articles left out of a 多图文"),
    "callback.refused": _l("Platform callback refused"),
    "calendar_day.changed": _l("Holiday or working day entered"),
    "calendar_day.deleted": _l("Holiday or working day removed"),
    "channel.connection_tested": _l("Channel connection tested"),
    "channel.created": _l("Channel created"),
    "channel.secret_rotated": _l("Channel secret changed (C17)"),
    "channel.theme_changed": _l("Channel format changed (C10)"),
    "channel.updated": _l("Channel changed"),
    "department.created": _l("Department created"),
    "login": _l("Signed in"),
    "login.failed": _l("Sign-in failed"),
    "login.refused": _l("Sign-in refused"),
    "logout": _l("Signed out"),
    "post.created": _l("Post created"),
    "post.revised": _l("Post revised"),
    "post.submitted": _l("Post submitted for review"),
    "post.approved": _l("Review step approved"),
    "post.rejected": _l("Post returned to the author"),
    "post.withdrawn": _l("Post withdrawn from review"),
    "post.review_restarted": _l("Review chain restarted"),
    "post.step_reassigned": _l("Review step reassigned"),
    "post.confidential_cleared": _l("Confidential flag cleared (C5)"),
    "post.preview_sent": _l("Preview sent to a phone"),
    "post.publish_overdue": _l("Approved post not published on its day (C8)"),
    "post.scheduled": _l("Post scheduled"),
    "post.published": _l("Post published"),
    "post.unpublished": _l("Post taken down"),
    "post.reopened_for_correction": _l("Post reopened for correction"),
    "publication.scheduled": _l("Publication scheduled"),
    "publication.rescheduled": _l("Publication moved to another time"),
    "publication.retried": _l("Publication tried again"),
    "publication.sending": _l("Publication sending"),
    "publication.submitted": _l("Publication accepted by the platform"),
    "publication.published": _l("Published on a channel"),
    "publication.failed": _l("Publication failed"),
    "publication.cancelled": _l("Publication cancelled"),
    "publication.withdrawn": _l("Publication withdrawn"),
    "publication.removed_by_platform": _l("Removed by the platform"),
    "publication.callback": _l("Platform callback received"),
    "token.created": _l("API token created"),
    "token.revoked": _l("API token revoked"),
    "user.created": _l("User created"),
    "user.updated": _l("User changed"),
    "user.departed": _l("User departed (U4)"),
    "user.locked": _l("User locked (U3)"),
    "user.locked_after_failures": _l("User locked after failed sign-ins (U3)"),
    "user.unlocked": _l("User unlocked"),
    "user.password_changed": _l("Password changed (U2)"),
    "user.password_reset": _l("Password reset (U3)"),
    "user.roles_changed": _l("Roles changed"),
    "user.wechat_id_set": _l("WeChat ID set"),
    "withdrawal.requested": _l("Withdrawal requested"),
    "withdrawal.approved": _l("Withdrawal approved"),
    "withdrawal.rejected": _l("Withdrawal rejected"),
    "withdrawal.done": _l("Withdrawal done"),
    "withdrawal.failed": _l("Withdrawal failed"),
    "withdrawal.retried": _l("Withdrawal tried again"),
    "words.replaced": _l("Forbidden-word list changed (C15)"),
    "workflow.delegated": _l("Review steps delegated"),
    "workflow.delegation_revoked": _l("Delegation revoked"),
    "workflow.rule_deleted": _l("Chain rule deleted"),
    "workflow.rule_set": _l("Chain rule set"),
    "workflow.version_saved": _l("Review chain saved"),
    "archive.published": _l("Archived on publishing (C13)"),
    "archive.corrected": _l("Archived on correction (C13)"),
}

TARGET_LABELS = {
    "post": _l("post"),
    "publication": _l("publication"),
    "user": _l("user"),
    "channel": _l("channel"),
    "department": _l("department"),
    "asset": _l("image"),
    "bundle": _l("多图文"),
    "withdrawal": _l("withdrawal"),
    "apitoken": _l("API token"),
    "workflowtemplate": _l("review chain"),
    "workflowversion": _l("review chain version"),
    "delegation": _l("delegation"),
    "calendarday": _l("holiday entry"),
    "wordlist": _l("word list"),
    "submission": _l("submission"),
    "word_category": _l("forbidden-word category"),
    "archiverecord": _l("archive record"),
}

# the keys of an entry's before/after details
DETAIL_LABELS = {
    "status": _l("status"),
    "state": _l("state"),
    "revision": _l("revision"),
    "hash": _l("content hash"),
    "step": _l("step"),
    "role": _l("role"),
    "comment": _l("comment"),
    "on_behalf_of": _l("on behalf of"),
    "publish_day": _l("publishing day (C8)"),
    "push": _l("push (C18)"),
    "channels": _l("channels"),
    "channel": _l("channel"),
    "post": _l("post"),
    "at": _l("time"),
    "override_reason": _l("reason for another day (C8)"),
    "generation": _l("generation"),
    "due_at": _l("due"),
    "attempts": _l("attempts"),
    "url": _l("address"),
    "error": _l("error"),
    "title": _l("title"),
    "name": _l("name"),
    "roles": _l("roles"),
    "username": _l("username"),
    "real_name": _l("real name"),
    "department": _l("department"),
    "reason": _l("reason"),
    "reasons": _l("reasons"),
    "round": _l("round"),
    "escalate": _l("escalated"),
    "approved_at": _l("approved at"),
    "category": _l("category (C3)"),
    "ip": _l("IP"),
    "number": _l("number"),
    "version": _l("version"),
    "bundle": _l("多图文"),
    "bundle_index": _l("position in the 多图文"),
    "deputy": _l("deputy"),
    "starts_at": _l("from"),
    "ends_at": _l("until"),
    "previous": _l("previous revision"),
    "confidential": _l("confidential (C5)"),
    "important": _l("important"),
    "planned_date": _l("planned date"),
    "message": _l("message"),
    "code": _l("code"),
    "how": _l("how"),
    "to": _l("to"),
    "from": _l("from"),
    "terms": _l("terms"),
    "count": _l("count"),
    "kind": _l("kind"),
    "day": _l("day"),
    "source": _l("source (C9)"),
    "active": _l("active"),
    "platform": _l("platform"),
    "manager": _l("manager (C17)"),
    "fields": _l("fields"),
    "changed": _l("changed"),
    "user": _l("user"),
    "scope": _l("scope"),
}


def action_label(code: str) -> str:
    """The Chinese label of an action code; for a code not listed, its object's label and its last
    part (a state) through the same tables, else the code itself."""
    if code in ACTION_LABELS:
        return str(ACTION_LABELS[code])
    head, _sep, tail = (code or "").partition(".")
    if head in TARGET_LABELS and tail:
        return f"{TARGET_LABELS[head]}：{tail}"
    return code or ""


def target_label(kind: str) -> str:
    return str(TARGET_LABELS.get(kind, kind or ""))


def detail_lines(data) -> list[tuple[str, bool, str]]:
    """An entry's before/after as (key label, known, value) lines: the key in words where the table
    knows it (else the stored key, `known` False: the page shows it as code), the value as JSON
    without escapes (ensure_ascii=False), so Chinese reads as Chinese."""
    import json

    if data is None:
        return []
    if not isinstance(data, dict):
        return [("", True, json.dumps(data, ensure_ascii=False, default=str))]
    return [(str(DETAIL_LABELS.get(k, k)), k in DETAIL_LABELS,
             v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)) for k, v in data.items()]
