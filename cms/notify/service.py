"""Notifications: made in the caller's transaction, read in the browser, and, when WeCom is
configured, sent as WeCom application messages once that transaction has committed.

    notify(users, kind, text, url, *, post=None) -> list[Notification]
        Adds one row per distinct active user to the session; the caller commits (or rolls back:
        then nothing exists and nothing is sent). After the commit the WeCom messages are queued
        (Huey task `send_wecom`); a sweep every 5 minutes sends any whose queueing was lost.
    unread_count(user) -> int           one COUNT, for the bell
    recent(user, limit=20) -> list      newest first
    page(user, page, per_page)          the list page
    get_own(user, notification_id)      404 (NotFound) for anyone else's
    mark_read(user, ids=None) -> int    None: all of them; only the user's own; commits

WeCom: the userid of a user is their CMS username. A message is a textcard (title = the text, cut to
128 bytes; description = time and text; the link is CMS_PUBLIC_BASE_URL + url; button 详情). What
became of it is `Notification.wecom_status`: None (WeCom was not configured), "pending", "sending",
"sent" or "failed: <errcode>" ("failed: 81013" for a user WeCom does not know). A failure is logged and
recorded and never touches the in-app notification.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event, func, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session, selectinload

from cms import workdays
from cms.auth.models import User
from cms.errors import NotFound
from cms.extensions import db
from cms.notify.models import WECOM_PENDING, WECOM_SENDING, WECOM_SENT, Notification

log = logging.getLogger(__name__)

KIND_MAX, TEXT_MAX, URL_MAX, STATUS_MAX = 32, 500, 500, 16
_SESSION_KEY = "cms.notify.wecom"  # session.info: notifications to send once their transaction commits
RETRY_DELAYS = (30, 120, 300)  # seconds before the 2nd, 3rd and 4th try of a "backoff" failure
SWEEP_AFTER = timedelta(minutes=15)  # a pending message this old lost its task (or all its retries)
SWEEP_UNTIL = timedelta(days=1)  # older than this: too late to be useful, given up
REAL_WECOM_BASE = "https://qyapi.weixin.qq.com/cgi-bin/"
SANDBOX_CORP = {"corp_id": "wwsandbox0000001", "secret": "sandbox-secret", "agent_id": 1000002}


# --- making notifications ------------------------------------------------------------------------


def is_internal_path(url: str) -> bool:
    """A path on this site: "/..." but not "//host" or "/\\host" (browsers read both as another host),
    with no scheme, host or control characters."""
    if not isinstance(url, str) or not url.startswith("/") or url.startswith(("//", "/\\")):
        return False
    if any(ord(c) < 32 or c == "\x7f" for c in url) or "\\" in url:
        return False
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc


def notify(users: Iterable[User], kind: str, text: str, url: str, *, post=None) -> list[Notification]:
    """One notification for each distinct, active user in `users`, added to the session (not committed:
    the caller's commit makes them, its rollback unmakes them). `text` is shown as is (render it with
    gettext first; over 500 characters it is cut); `url` must be an internal path ("/posts/12");
    `post`: the Post (or its id) it is about, if any.
    When WeCom is configured each is also sent as a WeCom message after the commit."""
    if not kind or len(kind) > KIND_MAX:
        raise ValueError(f"kind must be 1-{KIND_MAX} characters")
    if not is_internal_path(url) or len(url) > URL_MAX:
        raise ValueError(f"a notification links to an internal path (at most {URL_MAX} characters), not {url!r}")
    text = " ".join(str(text).split())
    if not text:
        raise ValueError("a notification needs a text")
    if len(text) > TEXT_MAX:
        text = text[: TEXT_MAX - 1] + "…"
    wecom = wecom_settings() is not None
    seen: set = set()
    rows: list[Notification] = []
    for user in users:
        key = user.id if user is not None and user.id is not None else id(user)
        if user is None or key in seen or not user.is_active:
            continue
        seen.add(key)
        row = Notification(user=user, kind=kind, text=text, url=url,
                           wecom_status=WECOM_PENDING if wecom else None)
        if isinstance(post, int):
            row.post_id = post
        elif post is not None:
            row.post = post  # a Post, flushed or not
        rows.append(row)
    db.session.add_all(rows)
    if wecom and rows:
        db.session.info.setdefault(_SESSION_KEY, []).extend(rows)
    return rows


@event.listens_for(Session, "after_commit")
def _queue_after_commit(session: Session) -> None:
    rows = session.info.pop(_SESSION_KEY, None)
    if not rows:
        return
    # Only rows that reached the database: one added inside a savepoint that was rolled back has
    # no identity. (No SQL may run here: the ids come from the identity keys.)
    ids = []
    for row in rows:
        state = sa_inspect(row)
        if state.has_identity and not state.was_deleted:
            ids.append(state.identity[0])
    if ids:
        _enqueue(ids)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(_SESSION_KEY, None)


def _enqueue(ids: list[int]) -> None:
    """Queue the WeCom messages. The rows are committed already: a queue that fails loses nothing
    (they stay "pending" and the sweep sends them), so this never raises."""
    from cms.notify.tasks import send_wecom
    from cms.tasks import huey

    try:
        if huey.immediate:
            # The task runs right here, inside after_commit, where this session may not run SQL:
            # a new app context gives it a session of its own.
            with current_app.app_context():
                send_wecom(sorted(ids))
        else:
            send_wecom(sorted(ids))
    except Exception:
        log.exception("could not queue WeCom messages for notifications %s; the sweep will send them", ids)


# --- reading -------------------------------------------------------------------------------------


def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0


def recent(user: User, limit: int = 20) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def page(user: User, page: int = 1, per_page: int = 30):
    """A Flask-SQLAlchemy pagination of the user's notifications, newest first."""
    query = (
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def get_own(user: User, notification_id: int) -> Notification:
    """The user's notification; anyone else's is as absent as one that does not exist."""
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != user.id:
        raise NotFound(_("No such notification."), code="not_found")
    return row


def mark_read(user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read: those in `ids`, or all of them. Others' ids are ignored.
    Commits; returns how many changed."""
    stmt = (
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=workdays.now())
        .execution_options(synchronize_session="fetch")
    )
    if ids is not None:
        ids = [int(i) for i in ids]
        if not ids:
            return 0
        stmt = stmt.where(Notification.id.in_(ids))
    count = db.session.execute(stmt).rowcount
    db.session.commit()
    return count


# --- WeCom ---------------------------------------------------------------------------------------


def wecom_settings(app=None) -> dict | None:
    """{corp_id, secret, agent_id, base_url, public_base_url}, or None when WeCom is not configured.
    With CMS_SANDBOX on and no corp configured, the sandbox's own corp is used (make run), and the
    real host is never called: its base URL becomes the sandbox's."""
    config = (app or current_app).config
    corp = {
        "corp_id": str(config.get("WECOM_CORP_ID") or ""),
        "secret": str(config.get("WECOM_SECRET") or ""),
        "agent_id": config.get("WECOM_AGENT_ID"),
    }
    base_url = config.get("WECOM_API_BASE_URL") or REAL_WECOM_BASE
    if config.get("SANDBOX"):
        if not any(corp.values()):
            corp = dict(SANDBOX_CORP)
        if base_url == REAL_WECOM_BASE:
            base_url = urljoin(config.get("SANDBOX_URL") or "http://127.0.0.1:5000/", "qy/cgi-bin/")
    if not (corp["corp_id"] and corp["secret"] and corp["agent_id"] not in (None, "")):
        return None
    try:
        corp["agent_id"] = int(corp["agent_id"])
    except (TypeError, ValueError):
        log.error("CMS_WECOM_AGENT_ID must be a number, not %r: no WeCom messages", corp["agent_id"])
        return None
    return {**corp, "base_url": base_url, "public_base_url": config.get("PUBLIC_BASE_URL") or ""}


def _client(settings: dict):
    from cms.platforms import MemoryStorage, make_wecom_client

    # WeCom hands every gettoken the same token while it lasts, so one storage per process is safe
    # (processes do not retire each other's tokens, unlike the MP `token` call).
    storage = current_app.extensions.setdefault("wecom_token_storage", MemoryStorage())
    return make_wecom_client(
        settings["corp_id"],
        settings["secret"],
        base_url=settings["base_url"],
        session=storage,
        timeout=current_app.config.get("PLATFORM_TIMEOUT", 10),
    )


def _claim(ids: Iterable[int]) -> list[int]:
    """pending → sending, one row at a time, so two tasks holding the same id send it once."""
    claimed = []
    for nid in ids:
        result = db.session.execute(
            update(Notification)
            .where(Notification.id == nid, Notification.wecom_status == WECOM_PENDING)
            .values(wecom_status=WECOM_SENDING)
        )
        if result.rowcount == 1:
            claimed.append(nid)
    db.session.commit()
    return claimed


def _message(settings: dict, row: Notification) -> dict:
    from cms.platforms.wecom import TEXTCARD_TITLE_MAX, clip_bytes, textcard_description

    when = workdays.local(row.created_at).strftime("%Y-%m-%d %H:%M")
    link = settings["public_base_url"].rstrip("/") + row.url
    return {
        "title": clip_bytes(row.text, TEXTCARD_TITLE_MAX),
        "description": textcard_description([("gray", when), ("normal", row.text)]),
        "url": link,
        "btntxt": _("Details"),
    }


ALL_INVALID = 81013  # WeCom's code for recipients it does not know (all of them, or these)


def _failed(errcode) -> str:
    return f"failed: {errcode if errcode is not None else 'http'}"[:STATUS_MAX]


def deliver_wecom(ids: Iterable[int], *, attempt: int = 1) -> dict:
    """Send the WeCom messages of these notifications (those still "pending"), one message/send per
    distinct text and link to up to 1000 users. Returns {"sent", "failed", "retry": [ids], "delay"}:
    `retry` were left "pending" for another try after `delay` seconds (a busy platform or no answer;
    RETRY_DELAYS; from the last attempt on they fail)."""
    from cms.platforms import CallError
    from cms.platforms.wecom import TOUSER_MAX, classify_wecom, send_text_card

    outcome: dict = {"sent": 0, "failed": 0, "retry": [], "delay": None}
    settings = wecom_settings()
    if settings is None:
        return outcome
    claimed = _claim(ids)
    if not claimed:
        return outcome
    rows = list(
        db.session.scalars(
            select(Notification)
            .where(Notification.id.in_(claimed))
            .options(selectinload(Notification.user))
            .order_by(Notification.id)
        )
    )
    groups: dict[tuple[str, str], list[Notification]] = {}
    for row in rows:
        groups.setdefault((row.text, row.url), []).append(row)
    batches = []  # (message, {username: notification id})
    for grp in groups.values():
        for i in range(0, len(grp), TOUSER_MAX):
            chunk = grp[i : i + TOUSER_MAX]
            batches.append((_message(settings, chunk[0]), {row.user.username: row.id for row in chunk}))
    db.session.commit()  # no transaction open while the platform answers
    client = _client(settings)
    status: dict[int, str] = {}  # id -> new wecom_status ("retry": back to pending)
    for msg, users in batches:
        try:
            result = send_text_card(
                client, settings["agent_id"], list(users), msg["title"], msg["description"], msg["url"], msg["btntxt"]
            )
        except CallError as e:
            kind = classify_wecom(e.errcode, token_call=e.token_call)
            retry = kind in ("backoff", "refresh") and attempt <= len(RETRY_DELAYS)
            log.warning("WeCom message/send failed (%s %s) for notifications %s%s", e.errcode, e.errmsg,
                        sorted(users.values()), ", will retry" if retry else "")
            status.update(dict.fromkeys(users.values(), "retry" if retry else _failed(e.errcode)))
            continue
        except Exception:
            log.exception("WeCom message/send broke for notifications %s", sorted(users.values()))
            status.update(dict.fromkeys(users.values(), _failed("error")))
            continue
        for name, nid in users.items():
            status[nid] = _failed(ALL_INVALID) if name in result.invalid_users else WECOM_SENT
        if result.invalid_users:
            log.warning("WeCom did not deliver to %s", sorted(result.invalid_users))
    for nid, new in status.items():
        if new == "retry":
            outcome["retry"].append(nid)
        else:
            outcome["sent" if new == WECOM_SENT else "failed"] += 1
        db.session.execute(
            update(Notification)
            .where(Notification.id == nid, Notification.wecom_status == WECOM_SENDING)
            .values(wecom_status=WECOM_PENDING if new == "retry" else new)
        )
    db.session.commit()
    if outcome["retry"]:
        outcome["delay"] = RETRY_DELAYS[attempt - 1]
    return outcome


def sweep_wecom(limit: int = 500) -> dict:
    """Send the pending WeCom messages whose task was lost (made over SWEEP_AFTER ago); those that
    fail for a passing reason stay pending for the next sweep, until SWEEP_UNTIL: then they are
    given up ("failed: late")."""
    empty = {"sent": 0, "failed": 0, "retry": [], "delay": None, "late": 0}
    if wecom_settings() is None:
        return empty
    now = workdays.now()
    late = db.session.execute(
        update(Notification)
        .where(Notification.wecom_status == WECOM_PENDING, Notification.created_at < now - SWEEP_UNTIL)
        .values(wecom_status="failed: late")
    ).rowcount
    ids = list(
        db.session.scalars(
            select(Notification.id)
            .where(Notification.wecom_status == WECOM_PENDING, Notification.created_at < now - SWEEP_AFTER)
            .order_by(Notification.id)
            .limit(limit)
        )
    )
    db.session.commit()
    if not ids:
        return {**empty, "late": late}
    return {**deliver_wecom(ids), "late": late, "delay": None}
