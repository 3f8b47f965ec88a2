"""What the platform pushes to us (WECHAT_API.md 2), kept once and acted on: the two publishing
events fill in what the outbox could not learn itself (a push's article URLs come only with
MASSSENDJOBFINISH) and wake the worker for a publication still under way.

    callback_channel(id) -> Channel | None       a WeChat channel with a callback token, else None (404)
    receive(channel, incoming) -> Received       store once (CallbackEvent's unique key), handle, commit;
                                                 then enqueue the worker for active publications
    refuse(channel, mode, reason)                a signed push its channel's mode does not take
                                                 (rules.envelope_action): audited callback.refused
    handle(event) -> (matched, post ids)         the handlers, in the caller's transaction

Pure helpers (no Flask, no database): is_fresh, dedupe_key, job_id, items, mass_urls,
publish_info, owner_of_index, safe_url. The URL to enter in the MP console and the sandbox's
server configuration are the channel's: cms/channels/callback_config.py.

Dedupe: a message on its MsgId; an event on FromUserName + CreateTime (DESIGN.md "Lessons from the
field"), with the event's name and, for the two job events, the job's id (msg_id, publish_id and
status) added: every PUBLISHJOBFINISH comes from the same mphelper account, and two jobs finishing
in the same second must not pass for one retried delivery.

Handling is a few row updates, an audit entry and a Huey enqueue: small enough to do before
answering (WeChat waits 5 s). It shares one transaction with the stored event, so an event is either
stored and handled, or neither (and WeChat's retry gets another go). A job event that matches no
publication yet (the worker has not saved the msg_id or publish_id: it died between the platform's
answer and its commit) is tried again later by a Huey task (tasks.py)."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cms import workdays
from cms.audit.service import record
from cms.callbacks.models import CallbackEvent
from cms.channels.models import ACTIVE_STATES, Channel, Publication
from cms.extensions import db

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # a MASSSENDJOBFINISH of 8 articles is a few KB; a follower's text at most 2 KB
KEY_MAX = 128  # CallbackEvent.key
KIND_MAX = 40  # CallbackEvent.kind
URL_MAX = 1000  # Publication.url
MASS = "MASSSENDJOBFINISH"
PUBLISH = "PUBLISHJOBFINISH"
JOB_EVENTS = (MASS, PUBLISH)


# --- pure helpers --------------------------------------------------------------------------------

def is_fresh(timestamp, now: float, max_age: float) -> bool:
    """The push's timestamp within `max_age` seconds of our clock, either way (a replay of an old,
    once-valid request is refused; a platform clock a little ahead is not)."""
    try:
        ts = int(str(timestamp))
    except (TypeError, ValueError):
        return False
    return abs(now - ts) <= max_age


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def job_id(fields: dict) -> str:
    """The platform job a MASSSENDJOBFINISH (its msg_id) or PUBLISHJOBFINISH (publish_id and status)
    reports on; "" for anything else."""
    event = _text(fields.get("Event")).upper()
    if _text(fields.get("MsgType")) != "event":
        return ""
    if event == MASS:
        return _text(fields.get("MsgID") or fields.get("MsgId"))
    if event == PUBLISH:
        info = fields.get("PublishEventInfo")
        info = info if isinstance(info, dict) else {}
        publish_id = _text(info.get("publish_id"))
        return f"{publish_id}/{_text(info.get('publish_status'))}" if publish_id else ""
    return ""


def dedupe_key(fields: dict) -> str:
    """msg:<MsgId> for a message; evt:<FromUserName>:<CreateTime>:<Event>[:<job>] for an event;
    a SHA-256 when that is longer than the column."""
    msg_type = _text(fields.get("MsgType"))
    if msg_type != "event" and _text(fields.get("MsgId")):
        key = f"msg:{_text(fields.get('MsgId'))}"
    else:
        parts = ["evt", _text(fields.get("FromUserName")), _text(fields.get("CreateTime")),
                 _text(fields.get("Event")).upper() or msg_type]
        job = job_id(fields)
        if job:
            parts.append(job)
        key = ":".join(parts)
    if len(key) > KEY_MAX:
        key = "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()
    return key


def items(node) -> list[dict]:
    """The <item>s under a node as xmltodict gives them: one item is a dict, several a list, none
    None or ""."""
    if not isinstance(node, dict):
        return []
    found = node.get("item")
    if isinstance(found, dict):
        return [found]
    if isinstance(found, list):
        return [x for x in found if isinstance(x, dict)]
    return []


def _indexed(pairs) -> dict[int, str]:
    out: dict[int, str] = {}
    for idx, url in pairs:
        try:
            n = int(_text(idx))
        except ValueError:
            continue
        url = safe_url(url)
        if n >= 1 and url and n not in out:
            out[n] = url
    return out


def safe_url(value) -> str | None:
    """An article URL we keep: http(s), one line, short enough for the column."""
    url = _text(value)
    if not url.lower().startswith(("https://", "http://")) or len(url) > URL_MAX or any(c.isspace() for c in url):
        return None
    return url


def mass_urls(fields: dict) -> dict[int, str]:
    """MASSSENDJOBFINISH: {ArticleIdx (1-based): ArticleUrl} from ArticleUrlResult."""
    result = fields.get("ArticleUrlResult")
    result_list = result.get("ResultList") if isinstance(result, dict) else None
    return _indexed((i.get("ArticleIdx"), i.get("ArticleUrl")) for i in items(result_list))


@dataclass
class PublishInfo:
    publish_id: str
    status: int | None
    article_id: str
    urls: dict[int, str] = field(default_factory=dict)


def publish_info(fields: dict) -> PublishInfo:
    """PUBLISHJOBFINISH's PublishEventInfo: publish_id, publish_status, article_id and
    {idx (1-based): article_url} from article_detail."""
    info = fields.get("PublishEventInfo")
    info = info if isinstance(info, dict) else {}
    try:
        status = int(_text(info.get("publish_status")))
    except ValueError:
        status = None
    article_id = "".join(_text(info.get("article_id")).split())  # the official sample wraps it
    urls = _indexed((i.get("idx"), i.get("article_url")) for i in items(info.get("article_detail")))
    return PublishInfo(_text(info.get("publish_id")), status, article_id[:128], urls)


def owner_of_index(publications, idx: int):
    """The publication that article `idx` (1-based) of a message belongs to: the bundle member at
    bundle_index idx-1, or for idx 1 the lone publication (bundle_index None)."""
    for pub in publications:
        if pub.bundle_index is not None and pub.bundle_index == idx - 1:
            return pub
    if idx == 1:
        lone = [p for p in publications if p.bundle_index is None]
        if len(lone) == 1:
            return lone[0]
    return None


# --- channels ------------------------------------------------------------------------------------

def callback_channel(channel_id: int) -> Channel | None:
    channel = db.session.get(Channel, channel_id)
    if channel is None or channel.platform != "wechat" or not channel.has_callback_token:
        return None
    return channel


def max_age() -> float:
    return float(current_app.config.get("CALLBACK_MAX_AGE_SECONDS", 300))


# --- refusing -----------------------------------------------------------------------------------

def refuse(channel: Channel, mode: str, reason: str) -> None:
    """Audit a push signed with the channel's token that its mode refuses (a plaintext push to a
    safe-mode channel: a captured signature over a body of someone else's, or the MP console set to
    a weaker mode than the CMS). Only signed and fresh pushes get here, and each nonce once (the
    replay cache): an unsigned request, or the same one again, is only logged."""
    from cms.callbacks.rules import REASONS

    log.warning("callback for channel %s refused: %s", channel.id, REASONS.get(reason, reason))
    record("callback.refused", channel, after={"mode": mode, "reason": reason,
                                               "message": REASONS.get(reason, reason), "channel": channel.name})
    db.session.commit()


# --- receiving -----------------------------------------------------------------------------------

@dataclass
class Received:
    event_id: int | None
    duplicate: bool
    matched: bool = False
    post_ids: list[int] = field(default_factory=list)


def receive(channel: Channel, kind: str, fields: dict) -> Received:
    """Store the push once and handle it, in one transaction; then wake the worker for the posts
    whose publications are still under way. A key already stored is a retried delivery: nothing is
    done again."""
    payload = {k: v for k, v in fields.items() if k != "Encrypt"}
    event = CallbackEvent(channel_id=channel.id, key=dedupe_key(fields), kind=kind[:KIND_MAX], payload=payload,
                          received_at=workdays.now())
    db.session.add(event)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        log.info("callback for channel %s: %s already received", channel.id, kind)
        return Received(None, duplicate=True)
    matched, post_ids = handle(event)
    db.session.commit()
    _wake(post_ids)
    if not matched and kind.upper() in JOB_EVENTS:
        from cms.callbacks.tasks import schedule_rematch

        schedule_rematch(event.id)
    return Received(event.id, duplicate=False, matched=matched, post_ids=sorted(post_ids))


def _wake(post_ids) -> None:
    from cms.publishing.scheduling import enqueue

    for post_id in sorted(post_ids):
        enqueue(post_id)


def handle(event: CallbackEvent) -> tuple[bool, set[int]]:
    """Act on a stored event (in the caller's transaction): (matched a publication, post ids to
    wake). Other kinds go to the handler a package above registered (handlers.py: a follower's
    text message lands in cms/followers' inbox); without one they are only stored. A matched or
    handled event gets handled_at."""
    kind = event.kind.upper()
    if kind == MASS:
        pubs = _mass(event)
    elif kind == PUBLISH:
        pubs = _publish(event)
    else:
        from cms.callbacks.handlers import dispatch

        handled, woken = dispatch(event)  # what a package above registered (a follower's message, ...)
        if handled:
            event.handled_at = workdays.now()
        return handled, woken
    if not pubs:
        log.info("callback %s (%s) matches no publication of channel %s yet", event.id, kind, event.channel_id)
        return False, set()
    event.handled_at = workdays.now()
    return True, {p.post_id for p in pubs if p.state in ACTIVE_STATES}


def _publications(channel_id: int, condition) -> list[Publication]:
    """The channel's publications matching `condition`, with the other members of their bundles."""
    pubs = list(db.session.scalars(select(Publication).where(Publication.channel_id == channel_id, condition)))
    bundles = {p.bundle_id for p in pubs if p.bundle_id is not None}
    if bundles:
        known = {p.id for p in pubs}
        pubs += [p for p in db.session.scalars(select(Publication).where(
            Publication.channel_id == channel_id, Publication.bundle_id.in_(bundles))) if p.id not in known]
    return sorted(pubs, key=lambda p: (p.bundle_index if p.bundle_index is not None else -1, p.id))


def _mass(event: CallbackEvent) -> list[Publication]:
    """MASSSENDJOBFINISH: the URL of each article to its publication. A failed send (`send fail`,
    `err(N)`) carries none: the worker reads message/mass/get itself."""
    msg_id = job_id(event.payload)
    if not msg_id:
        return []
    pubs = _publications(event.channel_id, Publication.msg_id == msg_id)
    urls = _by_publication(pubs, mass_urls(event.payload))
    for pub in pubs:
        _fill(pub, event, url=urls.get(pub.id))
    return pubs


def _publish(event: CallbackEvent) -> list[Publication]:
    """PUBLISHJOBFINISH: article_id and each article's URL. A failed publish carries neither: the
    worker reads freepublish/get itself."""
    info = publish_info(event.payload)
    if not info.publish_id:
        return []
    pubs = _publications(event.channel_id, Publication.publish_id == info.publish_id)
    if info.status == 0:
        urls = _by_publication(pubs, info.urls)
        for pub in pubs:
            _fill(pub, event, article_id=info.article_id or None, url=urls.get(pub.id))
    return pubs


def _by_publication(pubs: list[Publication], urls: dict[int, str]) -> dict[int, str]:
    """{publication id: the URL of its article} from {article index: URL}."""
    out = {}
    for idx, url in urls.items():
        pub = owner_of_index(pubs, idx)
        if pub is not None:
            out[pub.id] = url
    return out


def _fill(pub: Publication, event: CallbackEvent, **values) -> None:
    """Set the remote ids the publication does not hold yet (never overwrite one), audited (U7)."""
    changed = {k: v for k, v in values.items() if v and not getattr(pub, k)}
    if not changed:
        return
    for k, v in changed.items():
        setattr(pub, k, v)
    pub.updated_at = workdays.now()
    record("publication.callback", pub, before={k: None for k in changed},
           after={**changed, "event": event.kind, "callback_event": event.id, "post": pub.post_id,
                  "channel": pub.channel_id, "state": pub.state})


def rematch(event_id: int) -> bool:
    """Handle a stored job event that matched nothing when it came (tasks.py). True when done (handled
    now or before, or gone)."""
    event = db.session.get(CallbackEvent, event_id)
    if event is None or event.handled_at is not None:
        return True
    matched, post_ids = handle(event)
    db.session.commit()
    _wake(post_ids)
    return matched



