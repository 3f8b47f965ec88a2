"""The replay cache of the callback endpoint (issue 13 part 3), shared by every process: a push is
taken once per (channel, timestamp, nonce). The timestamp window (CALLBACK_MAX_AGE_SECONDS, either
way) refuses an old push; this refuses the same push again inside the window.

    claim(channel_id, timestamp, nonce, now=None, max_age=None) -> bool
                        True: first time, now held until the timestamp is no longer fresh (and
                        MARGIN_SECONDS more); False: held already, a replay
    release(channel_id, timestamp, nonce)
                        forget a claim (its handling failed: the same request may come again)
    redis_key(channel_id, timestamp, nonce) -> str
    Unavailable         the cache cannot be reached: the endpoint answers 503, takes nothing

Where: CMS_CALLBACK_NONCE_URL. Empty (the default) is the CMS database, table `callback_nonce`,
whose unique constraint makes two processes racing on one push take it once; each claim first
deletes the rows already expired. redis://host:6379/2 is Redis: SET key NX EX ttl, which expires by
itself.

Why not the signature in the key: `signature` is sha1(token, timestamp, nonce), one value per
timestamp and nonce on a channel, so it adds nothing; and `msg_signature` also covers the
ciphertext, which the same push re-encrypted changes, and a WeCom-style push carries no plain
`signature` at all. Keying on either would let the same push through again with a parameter
dropped or its body re-encrypted.

Claimed only once the push is authentic (its signature or msg_signature checked) and fresh: an
unsigned request stores nothing. WeChat signs each of its retries afresh (new timestamp and nonce),
so its retries are new requests here, kept once by CallbackEvent's MsgId/FromUserName+CreateTime
key; a sender retrying the very same request is refused after a success (nothing is lost: the
first was kept) and let through again after a failure (the claim is released)."""
from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError, OperationalError

from cms import workdays
from cms.callbacks import rules
from cms.callbacks.models import CallbackNonce
from cms.extensions import db

log = logging.getLogger(__name__)

MARGIN_SECONDS = 60
PREFIX = "cms:callback-nonce"

_clients: dict = {}  # url -> redis.Redis (a connection pool each), one per process
_clients_lock = threading.Lock()


class Unavailable(Exception):
    """The nonce cache cannot be reached."""


def _url() -> str:
    return str(current_app.config.get("CALLBACK_NONCE_URL") or "").strip()


def _max_age() -> float:
    return float(current_app.config.get("CALLBACK_MAX_AGE_SECONDS", 300))


def redis_key(channel_id: int, timestamp, nonce: str) -> str:
    return f"{PREFIX}:{int(channel_id)}:{int(str(timestamp))}:{nonce}"


def claim(channel_id: int, timestamp, nonce: str, *, now: float | None = None,
          max_age: float | None = None) -> bool:
    ts = int(str(timestamp))
    now = workdays.now().timestamp() if now is None else float(now)
    expires = rules.nonce_expiry(ts, _max_age() if max_age is None else max_age, MARGIN_SECONDS)
    url = _url()
    if url:
        return _redis_claim(url, redis_key(channel_id, ts, nonce), ttl=max(1, int(expires - now)))
    return _db_claim(channel_id, ts, nonce, now, expires)


def release(channel_id: int, timestamp, nonce: str) -> None:
    ts = int(str(timestamp))
    url = _url()
    try:
        if url:
            _redis(url).delete(redis_key(channel_id, ts, nonce))
        else:
            db.session.rollback()
            db.session.execute(delete(CallbackNonce).where(
                CallbackNonce.channel_id == channel_id, CallbackNonce.timestamp == ts, CallbackNonce.nonce == nonce))
            db.session.commit()
    except Exception:  # noqa: BLE001 - the claim then simply expires with its window
        db.session.rollback()
        log.exception("could not release the nonce of a callback for channel %s", channel_id)


# --- the database --------------------------------------------------------------------------------

def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _db_claim(channel_id: int, ts: int, nonce: str, now: float, expires: int) -> bool:
    """One short transaction of its own: prune, insert, commit. The unique constraint decides a race
    (the second insert waits for the first to commit, then fails)."""
    try:
        db.session.execute(delete(CallbackNonce).where(CallbackNonce.expires_at < _at(now)))
        db.session.add(CallbackNonce(channel_id=channel_id, timestamp=ts, nonce=nonce, expires_at=_at(expires)))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    except OperationalError as e:  # locked for longer than busy_timeout, or the server gone
        db.session.rollback()
        raise Unavailable(f"database: {type(e.orig).__name__}") from None
    return True


# --- Redis ---------------------------------------------------------------------------------------

def _redis(url: str):
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            import redis

            client = _clients[url] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        return client


def _redis_claim(url: str, key: str, ttl: int) -> bool:
    from redis.exceptions import RedisError

    try:
        return bool(_redis(url).set(key, b"1", nx=True, ex=ttl))
    except RedisError as e:
        raise Unavailable(f"redis: {type(e).__name__}") from None
