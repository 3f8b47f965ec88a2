"""The shared token storage: a wechatpy SessionStorage every process reads, so one access token per
account serves the web server and every worker (DESIGN.md: "never one per process").

    storage_for(url, engine=None, cache_seconds=0, keys=None)
                                    "" → DatabaseStorage (the default), redis://… → RedisStorage
    DatabaseStorage(engine=None, cache_seconds=0, keys=None)
                                    the `platform_token` table: key → sealed JSON value, expires_at
    RedisStorage(redis, prefix, cache_seconds=0, keys=None)
                                    wechatpy's RedisStorage with the same lock() and sealing
    storage.forget(*keys)           drop this process's cached copies (all when no key is named)
    share_refresh(client)           one refresh at a time per account, across processes

Which one: CMS_TOKEN_STORAGE_URL. Empty (the default) keeps tokens in the CMS database (SQLite on one
machine, PostgreSQL when scaled out: both are shared by every process that shares the database);
`redis://host:6379/1` keeps them in Redis. Keys are wechatpy's own (`{appid}_access_token`,
`{appid}_access_token_expires_at`; `toutiao_{app_id}_…` for the Toutiao-style client).

DatabaseStorage works on its own connections, one short transaction per call (an upsert for set),
so a token saved in the middle of a service's transaction is neither lost by its rollback nor
committed early with it. On SQLite a writer blocks writers: do not call a platform while holding a
write transaction of your own (call first, then write and commit), as the services here do.

The read cache (`cache_seconds`, CMS_TOKEN_CACHE_SECONDS through storage_for): wechatpy reads the
token and its expiry from the storage three times for every API call, which made the token table
the busiest one of a publishing run. With a cache, a process reads a key from the storage at most
once per `cache_seconds` and keeps what it read (never longer than the row's own expiry); what it
writes (a token it fetched) goes to the storage first and then to its copy. The storage stays the
one place tokens are shared: a token is still fetched only under the lock, and a process never
keeps a token of its own. A copy may lag behind another process's refresh by `cache_seconds` at
most, and not even that when the platform refuses it: the clients drop the copy at once on
40001/40014/42001 (`forget`) and read the storage again before they fetch (cms.platforms.retry),
and share_refresh reads past the copy while it holds the lock.

Encrypted at rest (issue 13 part 7): every stored value (the access token, its expiry) is a Fernet
token made with the app's ENCRYPTION_KEYS, the keys channel secrets are sealed with
(cms/publishing/models.py; a list, newest first, so keys rotate). A storage takes `keys=` or, made
inside an app context, the app's. A value that does not open (another key, a plaintext row from
before, a damaged one) counts as missing, so the client fetches a fresh token (stable_token hands
back the live one). The refresh lock's rows hold only a random owner id and stay plain.

The refresh lock (`lock(name)`) is a lease: a row (or Redis key) that expires by itself, so a
process killed while refreshing holds nobody up for long. It is an economy, not a safety need:
stable_token hands every caller the same live token, so a caller that gives up waiting simply
fetches too.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import Column, String, Table, Text, delete, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from wechatpy.session import SessionStorage
from wechatpy.session.redisstorage import RedisStorage as _WechatpyRedisStorage

from cms.dbtypes import UTCDateTime
from cms.extensions import db

__all__ = ["DatabaseStorage", "RedisStorage", "platform_token", "share_refresh", "storage_for"]

platform_token = Table(
    "platform_token",
    db.metadata,
    Column("key", String(191), primary_key=True),
    Column("value", Text, nullable=False),  # Fernet(JSON); plain JSON only in lock rows
    Column("expires_at", UTCDateTime(), nullable=True),  # None: until overwritten
)

LOCK_LEASE = 15.0  # seconds a refresh may hold the lock before others may take it
LOCK_WAIT = 10.0  # seconds a caller waits for someone else's refresh before fetching itself
_POLL = 0.05


def _now() -> datetime:
    return datetime.fromtimestamp(time.time(), UTC)  # wechatpy reasons in time.time() too


def _keys_or_the_apps(keys):
    if keys is None:
        from flask import current_app  # outside an app context, pass keys=

        keys = current_app.config["ENCRYPTION_KEYS"]
    from cms.keys import fernet

    if not keys:
        raise ValueError("the token storage needs ENCRYPTION_KEYS: tokens are stored encrypted")
    return fernet(list(keys))


class Sealed:
    """Values sealed with the encryption keys before they are stored, opened after they are read."""

    def _init_seal(self, keys) -> None:
        self._fernet = _keys_or_the_apps(keys)

    def _seal(self, value: Any) -> str:
        return self._fernet.encrypt(json.dumps(value).encode("utf-8")).decode("ascii")

    def _open(self, text: str | bytes) -> tuple[bool, Any]:
        """(True, value), or (False, None) when it does not open: then it counts as missing."""
        try:
            raw = self._fernet.decrypt(text if isinstance(text, bytes) else text.encode("ascii"))
            return True, json.loads(raw)
        except (InvalidToken, ValueError, TypeError):
            return False, None


class CachedReads:
    """This process's copies of what it read from (or wrote to) a shared storage, each kept
    `cache_seconds` at most and never past the stored expiry (0: no copies, every get reads).
    Mixed in before a storage class that gives `_read(key) -> (value, expires_epoch | None) | None`."""

    cache_seconds: float = 0.0

    def _init_cache(self, cache_seconds: float | None) -> None:
        self.cache_seconds = max(float(cache_seconds or 0), 0.0)
        self._copies: dict[str, tuple[Any, float | None, float]] = {}  # key -> (value, expires, read at)
        self._copies_lock = threading.Lock()
        self._changes = 0  # writes and forgets so far: a read that overlapped one keeps no copy

    def get(self, key: str, default: Any = None) -> Any:
        if self.cache_seconds:
            with self._copies_lock:
                copy = self._copies.get(key)
            if copy is not None:
                value, expires, read_at = copy
                if time.monotonic() - read_at < self.cache_seconds and (expires is None or expires > time.time()):
                    return value
        changes = self._changes
        found = self._read(key)
        if found is None:
            return default
        value, expires = found
        self._keep(key, value, expires, read_after=changes)
        return value

    def _keep(self, key: str, value: Any, expires: float | None, *, read_after: int | None = None) -> None:
        if self.cache_seconds:
            with self._copies_lock:
                if read_after is None:  # a write: reads under way now are older than it
                    self._changes += 1
                elif read_after != self._changes:
                    return
                self._copies[key] = (value, expires, time.monotonic())

    def forget(self, *keys: str) -> None:
        """Drop this process's copies of `keys` (of every key when none is named): the next get
        reads the storage."""
        if not self.cache_seconds:
            return
        with self._copies_lock:
            self._changes += 1
            if not keys:
                self._copies.clear()
            for key in keys:
                self._copies.pop(key, None)


class DatabaseStorage(Sealed, CachedReads, SessionStorage):
    """wechatpy session storage on the `platform_token` table."""

    def __init__(self, engine: Engine | None = None, *, cache_seconds: float = 0, keys=None):
        self._engine = engine
        self._init_cache(cache_seconds)
        self._init_seal(keys)

    @property
    def engine(self) -> Engine:
        return self._engine if self._engine is not None else db.engine

    # --- SessionStorage -------------------------------------------------------------------------

    def _read(self, key: str) -> tuple[Any, float | None] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(platform_token.c.value, platform_token.c.expires_at).where(platform_token.c.key == key)
            ).first()
        if row is None or (row.expires_at is not None and row.expires_at <= _now()):
            return None
        opened, value = self._open(row.value)
        if not opened:
            return None
        return value, row.expires_at.timestamp() if row.expires_at is not None else None

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        if value is None:  # as wechatpy's RedisStorage: nothing to keep
            return
        expires_at = _now() + timedelta(seconds=ttl) if ttl else None
        self.forget(key)  # a failed write leaves no copy behind
        with self.engine.begin() as conn:
            _upsert(conn, key, self._seal(value), expires_at)
        self._keep(key, json.loads(json.dumps(value)), expires_at.timestamp() if expires_at else None)

    def delete(self, key: str) -> None:
        self.forget(key)
        with self.engine.begin() as conn:
            conn.execute(delete(platform_token).where(platform_token.c.key == key))

    def __getitem__(self, key):  # wechatpy's base class forgets to return
        return self.get(key)

    # --- the refresh lock -----------------------------------------------------------------------

    def _try_lock(self, key: str, owner: str, lease: float) -> bool:
        now = _now()
        with self.engine.begin() as conn:
            return _upsert(conn, key, json.dumps(owner), now + timedelta(seconds=lease), only_if_expired=now)

    @contextlib.contextmanager
    def lock(self, name: str, *, lease: float = LOCK_LEASE, wait: float = LOCK_WAIT) -> Iterator[bool]:
        """Hold the lease `lock:<name>` (yields True), or give up after `wait` seconds (yields False)."""
        key, owner = f"lock:{name}", uuid.uuid4().hex
        deadline = time.monotonic() + wait
        acquired = self._try_lock(key, owner, lease)
        while not acquired and time.monotonic() < deadline:
            time.sleep(_POLL)
            acquired = self._try_lock(key, owner, lease)
        try:
            yield acquired
        finally:
            if acquired:
                with self.engine.begin() as conn:
                    conn.execute(
                        delete(platform_token).where(
                            platform_token.c.key == key, platform_token.c.value == json.dumps(owner)
                        )
                    )


def _upsert(conn: Connection, key: str, value: str, expires_at: datetime | None,
            only_if_expired: datetime | None = None) -> bool:
    """INSERT, or UPDATE the existing row (only when its expires_at <= only_if_expired, if given).
    True when the row now holds `value`. One statement on SQLite and PostgreSQL (ON CONFLICT)."""
    row = {"key": key, "value": value, "expires_at": expires_at}
    name = conn.dialect.name
    if name in ("sqlite", "postgresql"):
        if name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        stmt = insert(platform_token).values(**row)
        where = None
        if only_if_expired is not None:
            where = platform_token.c.expires_at.is_not(None) & (platform_token.c.expires_at <= only_if_expired)
        stmt = stmt.on_conflict_do_update(
            index_elements=[platform_token.c.key],
            set_={"value": stmt.excluded.value, "expires_at": stmt.excluded.expires_at},
            where=where,
        )
        # RETURNING, not rowcount: SQLAlchemy does not promise an INSERT's rowcount on every driver
        # (psycopg's answered -1 here, and the lock was never taken on PostgreSQL)
        return conn.execute(stmt.returning(platform_token.c.key)).first() is not None
    # Any other database: update first, insert when there was nothing to update.
    upd = update(platform_token).where(platform_token.c.key == key).values(value=value, expires_at=expires_at)
    if only_if_expired is not None:
        upd = upd.where(platform_token.c.expires_at.is_not(None), platform_token.c.expires_at <= only_if_expired)
    if conn.execute(upd).rowcount:
        return True
    try:
        with conn.begin_nested():
            conn.execute(platform_token.insert().values(**row))
    except IntegrityError:
        return False
    return True


class RedisStorage(Sealed, CachedReads, _WechatpyRedisStorage):
    """wechatpy's RedisStorage, with the same refresh lock, read cache and sealed values as
    DatabaseStorage."""

    def __init__(self, redis, prefix: str = "wechatpy", *, cache_seconds: float = 0, keys=None):
        super().__init__(redis, prefix)
        self._init_cache(cache_seconds)
        self._init_seal(keys)

    def _read(self, key: str) -> tuple[Any, float | None] | None:
        name = self.key_name(key)
        value, ttl_ms = self.redis.pipeline().get(name).pttl(name).execute()
        if value is None:
            return None
        opened, value = self._open(value)
        if not opened:
            return None
        return value, time.time() + ttl_ms / 1000 if ttl_ms and ttl_ms > 0 else None

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        if value is None:
            return
        self.forget(key)
        self.redis.set(self.key_name(key), self._seal(value), ex=ttl)
        self._keep(key, json.loads(json.dumps(value)), time.time() + ttl if ttl else None)

    def delete(self, key: str) -> None:
        self.forget(key)
        super().delete(key)

    def __getitem__(self, key):
        return self.get(key)

    @contextlib.contextmanager
    def lock(self, name: str, *, lease: float = LOCK_LEASE, wait: float = LOCK_WAIT) -> Iterator[bool]:
        from redis.exceptions import LockError

        lk = self.redis.lock(self.key_name(f"lock:{name}"), timeout=lease, blocking_timeout=wait)
        acquired = bool(lk.acquire())
        try:
            yield acquired
        finally:
            if acquired:
                with contextlib.suppress(LockError):  # the lease ran out: someone else holds it now
                    lk.release()


def storage_for(url: str | None, engine: Engine | None = None, *, cache_seconds: float = 0,
                keys=None) -> SessionStorage:
    """The storage CMS_TOKEN_STORAGE_URL names: empty → the database, redis://… → Redis; with
    `cache_seconds` (CMS_TOKEN_CACHE_SECONDS) of read cache in this process; values sealed with
    `keys` (the app's ENCRYPTION_KEYS when None)."""
    url = (url or "").strip()
    if not url or url == "database":
        return DatabaseStorage(engine, cache_seconds=cache_seconds, keys=keys)
    if url.startswith(("redis://", "rediss://", "unix://")):
        import redis

        return RedisStorage(redis.Redis.from_url(url), prefix="cms", cache_seconds=cache_seconds, keys=keys)
    raise ValueError(f"CMS_TOKEN_STORAGE_URL must be empty or redis://…, not {url!r}")


def share_refresh(client, *, lease: float = LOCK_LEASE, wait: float = LOCK_WAIT):
    """Make `client` (an MPClient or a ToutiaoClient on a storage with lock()) refresh its token
    under the storage's lock: a caller that waited while another process refreshed takes the token
    that process stored instead of fetching one more. Returns the client."""
    from cms.platforms.toutiao import ToutiaoClient

    storage = client.session
    if not hasattr(storage, "lock"):
        return client
    fetch = client.fetch_access_token  # the class's own, bound
    token_key = client.access_token_key
    expires_key = client.expires_at_key if isinstance(client, ToutiaoClient) else client.access_token_expires_at_key
    forget = getattr(storage, "forget", lambda *keys: None)

    def shared_fetch(*args, **kwargs):
        forced = bool(kwargs.get("force_refresh") or (args and args[0]))
        seen = storage.get(token_key)
        with storage.lock(f"refresh:{token_key}", lease=lease, wait=wait):
            if not forced:
                forget(token_key, expires_key)  # what the storage holds now, not this process's copy
                current, expires_at = storage.get(token_key), storage.get(expires_key)
                if current and current != seen and expires_at and expires_at - time.time() > 60:
                    # Someone refreshed while we waited: theirs is the live token.
                    if isinstance(client, ToutiaoClient):
                        return current
                    return {"access_token": current, "expires_in": int(expires_at - time.time())}
            return fetch(*args, **kwargs)

    client.fetch_access_token = shared_fetch
    return client
