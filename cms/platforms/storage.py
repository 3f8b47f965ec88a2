"""The shared token storage: a wechatpy SessionStorage every process reads, so one access token per
account serves the web server and every worker (DESIGN.md: "never one per process").

    storage_for(url, engine=None)   "" → DatabaseStorage (the default), redis://… → RedisStorage
    DatabaseStorage(engine=None)    the `platform_token` table: key → JSON value, expires_at
    RedisStorage(redis, prefix)     wechatpy's RedisStorage with the same lock()
    share_refresh(client)           one refresh at a time per account, across processes

Which one: CMS_TOKEN_STORAGE_URL. Empty (the default) keeps tokens in the CMS database (SQLite on one
machine, PostgreSQL when scaled out: both are shared by every process that shares the database);
`redis://host:6379/1` keeps them in Redis. Keys are wechatpy's own (`{appid}_access_token`,
`{appid}_access_token_expires_at`; `toutiao_{app_id}_…` for the Toutiao-style client).

DatabaseStorage works on its own connections, one short transaction per call (an upsert for set),
so a token saved in the middle of a service's transaction is neither lost by its rollback nor
committed early with it. On SQLite a writer blocks writers: do not call a platform while holding a
write transaction of your own (call first, then write and commit), as the services here do.

The refresh lock (`lock(name)`) is a lease: a row (or Redis key) that expires by itself, so a
process killed while refreshing holds nobody up for long. It is an economy, not a safety need:
stable_token hands every caller the same live token, so a caller that gives up waiting simply
fetches too.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

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
    Column("value", Text, nullable=False),  # JSON, as wechatpy's RedisStorage keeps it
    Column("expires_at", UTCDateTime(), nullable=True),  # None: until overwritten
)

LOCK_LEASE = 15.0  # seconds a refresh may hold the lock before others may take it
LOCK_WAIT = 10.0  # seconds a caller waits for someone else's refresh before fetching itself
_POLL = 0.05


def _now() -> datetime:
    return datetime.fromtimestamp(time.time(), UTC)  # wechatpy reasons in time.time() too


class DatabaseStorage(SessionStorage):
    """wechatpy session storage on the `platform_token` table."""

    def __init__(self, engine: Engine | None = None):
        self._engine = engine

    @property
    def engine(self) -> Engine:
        return self._engine if self._engine is not None else db.engine

    # --- SessionStorage -------------------------------------------------------------------------

    def get(self, key: str, default: Any = None) -> Any:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(platform_token.c.value, platform_token.c.expires_at).where(platform_token.c.key == key)
            ).first()
        if row is None or (row.expires_at is not None and row.expires_at <= _now()):
            return default
        return json.loads(row.value)

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        if value is None:  # as wechatpy's RedisStorage: nothing to keep
            return
        expires_at = _now() + timedelta(seconds=ttl) if ttl else None
        with self.engine.begin() as conn:
            _upsert(conn, key, json.dumps(value), expires_at)

    def delete(self, key: str) -> None:
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
        return conn.execute(stmt).rowcount == 1
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


class RedisStorage(_WechatpyRedisStorage):
    """wechatpy's RedisStorage, with the same refresh lock as DatabaseStorage."""

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


def storage_for(url: str | None, engine: Engine | None = None) -> SessionStorage:
    """The storage CMS_TOKEN_STORAGE_URL names: empty → the database, redis://… → Redis."""
    url = (url or "").strip()
    if not url or url == "database":
        return DatabaseStorage(engine)
    if url.startswith(("redis://", "rediss://", "unix://")):
        import redis

        return RedisStorage(redis.Redis.from_url(url), prefix="cms")
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

    def shared_fetch(*args, **kwargs):
        forced = bool(kwargs.get("force_refresh") or (args and args[0]))
        seen = storage.get(token_key)
        with storage.lock(f"refresh:{token_key}", lease=lease, wait=wait):
            if not forced:
                current, expires_at = storage.get(token_key), storage.get(expires_key)
                if current and current != seen and expires_at and expires_at - time.time() > 60:
                    # Someone refreshed while we waited: theirs is the live token.
                    if isinstance(client, ToutiaoClient):
                        return current
                    return {"access_token": current, "expires_in": int(expires_at - time.time())}
            return fetch(*args, **kwargs)

    client.fetch_access_token = shared_fetch
    return client
