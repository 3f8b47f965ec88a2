"""Every state change of follower comments (issue 15, C16): each an `@operation` (it commits
itself; anything it raises rolls back) that asks the policy, calls the platform through
cms/platforms (comments.py) and leaves an audit entry.

    ensure_threads()                        a CommentThread per published WeChat article
    sync_article(thread) / sync_channel / sync_all    comment/list → stored rows (idempotent, concurrent-safe)
    reply(user, comment, text, confirm_warnings)      screened first (C15 C16), then comment/reply/add
    delete_reply, feature, unfeature, delete_comment(user, comment, reason)
    open_comments(user, thread) / close_comments(user, thread)
    save_template(user, template, title, text) / delete_template(user, template)
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cms import workdays
from cms.audit.service import record
from cms.channels.models import Channel, Publication
from cms.comments import policy, rules, screening
from cms.comments.models import CommentThread, FollowerComment, ReplyTemplate
from cms.content.checks import ERROR
from cms.errors import Conflict, NotFound, Refused
from cms.extensions import db
from cms.platforms import CallError, describe
from cms.platforms import comments as platform
from cms.transactions import operation

ALREADY_REPLIED = 88005


# --- helpers --------------------------------------------------------------------------------------

def _client(channel: Channel):
    from cms.channels.clients import mp_client

    return mp_client(channel)


def _platform_refusal(e: CallError) -> Refused:
    """The platform's refusal in Chinese (errors.describe), with its code."""
    text = _("WeChat refused: %(text)s", text=describe(e.errcode, e.errmsg))
    extra = {"errcode": e.errcode}
    if e.errcode == ALREADY_REPLIED:
        return Conflict(text + " " + _("Sync the comments to see the reply it already has."), code="88005",
                        extra=extra, fields={"text": [text]})
    return Refused(text, code="platform", status=422, extra=extra, fields={"text": [text]})


def _call(channel: Channel, fn, *args) -> None:
    try:
        fn(_client(channel), *args)
    except CallError as e:
        raise _platform_refusal(e) from e


def _require(allowed: bool) -> None:
    if not allowed:
        raise Refused(_("You do not moderate this channel's comments."), code="forbidden", status=403)


THREAD_KEY = ["channel_id", "msg_data_id", "index"]
COMMENT_KEY = ["channel_id", "msg_data_id", "index", "user_comment_id"]


def _insert_new(table, values: dict, key: list[str]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING on the row's unique key: True if this call stored it. Two
    syncs at once (two workers, two app instances) never store a row twice. Reads come before:
    on SQLite the insert is the first statement of its transaction, so it waits for the write
    lock instead of failing on a stale snapshot."""
    dialect = db.session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        stmt = insert(table).values(**values).on_conflict_do_nothing(index_elements=key).returning(table.c.id)
        return db.session.execute(stmt).scalar() is not None
    try:
        with db.session.begin_nested():
            db.session.execute(table.insert().values(**values))
        return True
    except IntegrityError:
        return False


# --- threads and the sync -------------------------------------------------------------------------

@operation
def ensure_threads() -> int:
    """A CommentThread for every published WeChat article with a msg_data_id (its comments' key);
    comments open as the post asked when it was published (need_open_comment). New ones counted."""
    rows = db.session.execute(
        select(Publication).join(Channel, Publication.channel_id == Channel.id).outerjoin(
            CommentThread, (CommentThread.channel_id == Publication.channel_id)
            & (CommentThread.msg_data_id == Publication.msg_data_id)
            & (CommentThread.index == db.func.coalesce(Publication.bundle_index, 0))).where(
            Channel.platform == "wechat", Publication.state == "published", Publication.msg_data_id.is_not(None),
            CommentThread.id.is_(None))).scalars().all()
    values = [{"channel_id": pub.channel_id, "publication_id": pub.id, "msg_data_id": pub.msg_data_id,
               "index": pub.bundle_index or 0, "title": (pub.post.current.title if pub.post.current else "")[:200],
               "url": pub.url, "open": bool(pub.post.open_comments), "sync_error": "", "created_at": workdays.now()}
              for pub in rows]
    made = sum(_insert_new(CommentThread.__table__, v, THREAD_KEY) for v in values)
    db.session.commit()
    return made


@dataclass
class SyncResult:
    thread_id: int
    inserted: int = 0
    updated: int = 0
    gone: int = 0
    error: str = ""


@operation
def sync_article(thread: CommentThread) -> SyncResult:
    """Read every comment of the article (pages of at most 49) and store what changed: new
    comments, replies and 精选 made or removed on the platform, comments gone from it. A failure
    is kept on the thread (in Chinese) and returned, never raised: the next sync tries again."""
    result = SyncResult(thread.id)
    try:
        items = list(platform.list_all(_client(thread.channel), thread.msg_data_id, thread.index,
                                       page_size=int(current_app.config.get("COMMENT_PAGE_SIZE") or rules.PAGE_SIZE)))
    except CallError as e:
        result.error = describe(e.errcode, e.errmsg)
    except Refused as e:  # no credentials yet
        result.error = e.message
    if result.error:
        thread.sync_error = result.error
        db.session.commit()
        return result
    rows = {c.user_comment_id: c for c in db.session.scalars(
        select(FollowerComment).where(FollowerComment.thread_id == thread.id).order_by(FollowerComment.id))}
    diff = rules.sync_diff([rules.Stored(c.user_comment_id, c.content, c.featured, c.reply_text, c.gone_on_platform,
                                         c.deleted_at is not None) for c in rows.values()], items)
    now = workdays.now()
    for values in diff.inserts:
        values = {**values, "created_at": values["created_at"] or now}
        stored = _insert_new(FollowerComment.__table__, {**values, "thread_id": thread.id, "channel_id": thread.channel_id,
                              "msg_data_id": thread.msg_data_id, "index": thread.index, "first_seen_at": now,
                              "updated_at": now, "gone_on_platform": False, "delete_reason": ""},
                             COMMENT_KEY)
        result.inserted += int(stored)
    for ucid, change in diff.updates.items():
        row = rows[ucid]
        for name, value in change.items():
            setattr(row, name, value)
        row.updated_at = now
        result.updated += 1
    for ucid in diff.deletions:
        rows[ucid].gone_on_platform = True
        rows[ucid].updated_at = now
        result.gone += 1
    thread.synced_at, thread.sync_error = now, ""
    if result.inserted or result.updated or result.gone:
        record("comments.synced", thread, after={"inserted": result.inserted, "updated": result.updated,
                                                 "gone": result.gone})
    db.session.commit()
    return result


def _to_sync(*conditions) -> list[CommentThread]:
    """Articles with comments open that are still out there (a withdrawn publication's are not)."""
    return db.session.scalars(
        select(CommentThread).join(Channel, CommentThread.channel_id == Channel.id)
        .outerjoin(Publication, CommentThread.publication_id == Publication.id)
        .where(CommentThread.open.is_(True), Channel.platform == "wechat",
               Publication.id.is_(None) | (Publication.state == "published"), *conditions)
        .order_by(CommentThread.id)).all()


def sync_channel(user, channel: Channel) -> list[SyncResult]:
    """"Sync now" on a channel: its articles with comments open (a moderator of the channel)."""
    _require(user is None or policy.moderates(user, channel.id))
    ensure_threads()
    return [sync_article(t) for t in _to_sync(CommentThread.channel_id == channel.id)]


def sync_all() -> list[SyncResult]:
    """The periodic sync (tasks.py): every active WeChat channel's articles with comments open."""
    ensure_threads()
    return [sync_article(t) for t in _to_sync(Channel.active.is_(True))]


# --- replies --------------------------------------------------------------------------------------

def _live(comment: FollowerComment) -> None:
    if comment.deleted:
        raise Conflict(_("This comment was deleted."), code="deleted")


@operation
def reply(user, comment: FollowerComment, text: str, confirm_warnings: bool = False) -> FollowerComment:
    """Answer a comment (one reply per comment: 88005). The reply is screened BEFORE it is sent:
    an error (C15 forbidden word or personal data, C16 confidential term) refuses it; warnings
    need `confirm_warnings`."""
    _require(policy.can_reply(user, comment))
    _live(comment)
    text = (text or "").strip()
    if not text:
        raise Refused(_("Write the reply first."), code="invalid", fields={"text": [_("Required.")]})
    if comment.reply_text:
        raise Conflict(_("This comment already has a reply: each comment takes one (delete it first)."),
                       code="88005", fields={"text": [_("Already answered.")]})
    findings = screening.screen(text)
    errors = [f for f in findings if f.severity == ERROR]
    listed = {"findings": [screening.finding_json(f) for f in findings]}
    if errors:
        code = "C16" if any(f.policy == "C16" for f in errors) else "C15"
        raise Refused(_("The reply was not sent (%(code)s): %(text)s", code=code, text=errors[0].message),
                      code=code, fields={"text": [f.message for f in errors]}, extra=listed)
    warnings = [f for f in findings if f.severity != ERROR]
    if warnings and not confirm_warnings:
        raise Refused(_("The reply was not sent: confirm the warnings first (C16)."), code="C16",
                      fields={"confirm_warnings": [f.message for f in warnings]}, extra=listed)
    _call(comment.channel, platform.reply, comment.msg_data_id, comment.index, comment.user_comment_id, text)
    now = workdays.now()
    comment.reply_text, comment.replied_at, comment.replied_by_id, comment.updated_at = text, now, user.id, now
    record("comment.replied", comment, after={"text": text, "warnings_confirmed": [f.id for f in warnings]})
    db.session.commit()
    return comment


@operation
def delete_reply(user, comment: FollowerComment) -> FollowerComment:
    _require(policy.can_moderate(user, comment))
    _live(comment)
    if not comment.reply_text:
        raise Conflict(_("This comment has no reply."), code="88009")
    _call(comment.channel, platform.delete_reply, comment.msg_data_id, comment.index, comment.user_comment_id)
    before = {"text": comment.reply_text}
    comment.reply_text = comment.replied_at = comment.replied_by_id = None
    comment.updated_at = workdays.now()
    record("comment.reply_deleted", comment, before=before)
    db.session.commit()
    return comment


def _set_featured(user, comment: FollowerComment, featured: bool) -> FollowerComment:
    _require(policy.can_moderate(user, comment))
    _live(comment)
    if comment.featured == featured:
        return comment
    _call(comment.channel, platform.mark_featured, comment.msg_data_id, comment.index, comment.user_comment_id,
          featured)
    comment.featured, comment.updated_at = featured, workdays.now()
    record("comment.featured" if featured else "comment.unfeatured", comment,
           before={"featured": not featured}, after={"featured": featured})
    db.session.commit()
    return comment


@operation
def feature(user, comment: FollowerComment) -> FollowerComment:
    """精选 (comment/markelect): shown to every reader under the article."""
    return _set_featured(user, comment, True)


@operation
def unfeature(user, comment: FollowerComment) -> FollowerComment:
    return _set_featured(user, comment, False)


@operation
def delete_comment(user, comment: FollowerComment, reason: str) -> FollowerComment:
    """Delete a follower's comment on the platform (comment/delete), with the reason (audited)."""
    _require(policy.can_moderate(user, comment))
    _live(comment)
    reason = (reason or "").strip()
    if not reason:
        message = _("Give the reason for deleting this comment.")
        raise Refused(message, code="invalid", fields={"reason": [message]})
    if len(reason) > 500:
        raise Refused(_("The reason is at most 500 characters."), code="invalid", fields={"reason": [_("Too long.")]})
    _call(comment.channel, platform.delete, comment.msg_data_id, comment.index, comment.user_comment_id)
    now = workdays.now()
    comment.deleted_at, comment.deleted_by_id, comment.delete_reason, comment.updated_at = now, user.id, reason, now
    record("comment.deleted", comment, before={"content": comment.content}, after={"reason": reason})
    db.session.commit()
    return comment


# --- an article's comments open or closed ---------------------------------------------------------

def _set_open(user, thread: CommentThread, is_open: bool) -> CommentThread:
    _require(policy.thread_policy.can_open(user, thread))
    if thread.open == is_open:
        return thread
    _call(thread.channel, platform.set_open, thread.msg_data_id, thread.index, is_open)
    thread.open = is_open
    record("comments.opened" if is_open else "comments.closed", thread, before={"open": not is_open},
           after={"open": is_open})
    db.session.commit()
    return thread


@operation
def open_comments(user, thread: CommentThread) -> CommentThread:
    return _set_open(user, thread, True)


@operation
def close_comments(user, thread: CommentThread) -> CommentThread:
    return _set_open(user, thread, False)


# --- saved replies --------------------------------------------------------------------------------

@operation
def save_template(user, template: ReplyTemplate | None, title: str, text: str) -> ReplyTemplate:
    """A new saved reply (template None) or a change to one; titles are unique."""
    _require(policy.can_use_templates(user))
    title, text = (title or "").strip(), (text or "").strip()
    problems = {}
    if not title or len(title) > 64:
        problems["title"] = [_("A title of 1 to 64 characters.")]
    if not text or len(text) > 2000:
        problems["text"] = [_("A text of 1 to 2000 characters.")]
    clash = db.session.scalar(select(ReplyTemplate).where(ReplyTemplate.title == title))
    if clash is not None and clash is not template:
        problems["title"] = [_("A saved reply with this title exists.")]
    if problems:
        raise Refused(_("The saved reply was not saved."), code="invalid", fields=problems)
    before = None if template is None else {"title": template.title, "text": template.text}
    if template is None:
        template = ReplyTemplate(created_by_id=user.id)
        db.session.add(template)
    template.title, template.text, template.updated_at = title, text, workdays.now()
    db.session.flush()
    record("reply_template.saved", template, before=before, after={"title": title, "text": text})
    db.session.commit()
    return template


@operation
def delete_template(user, template: ReplyTemplate) -> None:
    _require(policy.can_use_templates(user))
    record("reply_template.deleted", template, before={"title": template.title, "text": template.text})
    db.session.delete(template)
    db.session.commit()


# --- lookups the views share ----------------------------------------------------------------------

def get_comment(user, comment_id: int) -> FollowerComment:
    """The comment, if the user moderates its channel; 404 otherwise, as for a missing one."""
    from cms.dbtypes import db_int

    comment = db.session.get(FollowerComment, comment_id) if db_int(comment_id) else None
    if comment is None or not policy.can_view(user, comment):
        raise NotFound(_("No such comment."), code="not_found")
    return comment


def get_thread(user, thread_id: int) -> CommentThread:
    from cms.dbtypes import db_int

    thread = db.session.get(CommentThread, thread_id) if db_int(thread_id) else None
    if thread is None or not policy.thread_policy.can_view(user, thread):
        raise NotFound(_("No such article."), code="not_found")
    return thread


def get_template(template_id: int) -> ReplyTemplate:
    from cms.dbtypes import db_int

    template = db.session.get(ReplyTemplate, template_id) if db_int(template_id) else None
    if template is None:
        raise NotFound(_("No such saved reply."), code="not_found")
    return template
