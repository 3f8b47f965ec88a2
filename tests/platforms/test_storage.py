"""The shared token storage: every process reads one token per account (DESIGN.md), through
wechatpy's own HTTP stack against the sandbox over loopback. Real database, no mocks."""
from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import select

from cms.extensions import db
from cms.platforms import DatabaseStorage, RedisStorage, make_mp_client, share_refresh, storage_for
from cms.platforms.storage import platform_token
from tests.conftest import BASE_CONFIG, wait_until

APPID = "wxsharedtoken0001"
KEYS = BASE_CONFIG["ENCRYPTION_KEYS"]


def _token_calls(state, appid=APPID) -> int:
    return sum(1 for _t, path, owner in state.calls if path.endswith("/stable_token") and owner == appid)


def _client(mp_base, storage, appid=APPID):
    return share_refresh(make_mp_client(appid, "sandbox-secret", base_url=mp_base, session=storage, timeout=5))


@pytest.fixture
def storage(app):
    return DatabaseStorage(db.engine)


def test_get_set_delete_with_ttl(storage, clock):
    clock.freeze()
    assert storage.get("k") is None and storage.get("k", "d") == "d"
    storage.set("k", {"a": 1}, ttl=60)
    storage.set("k", "v2", ttl=60)  # an upsert: one row, the newest value
    assert storage.get("k") == "v2"
    assert db.session.execute(select(platform_token.c.key)).scalars().all() == ["k"]
    storage.set("n", 1700000000)  # no ttl: kept until overwritten
    assert storage.get("k") == "v2"
    clock.advance(seconds=61)
    assert storage.get("k") is None  # expired
    assert storage.get("n") == 1700000000
    storage.delete("k")
    storage.delete("never-there")
    assert storage.get("k") is None
    storage.set("none", None)  # as wechatpy's RedisStorage: None is not kept
    assert storage.get("none", "d") == "d"


def test_a_token_saved_mid_transaction_survives_its_rollback(storage):
    from cms.channels.models import Channel

    db.session.scalar(select(Channel).limit(1))  # the session's transaction is open
    storage.set("kept", "yes", ttl=60)
    db.session.rollback()
    assert storage.get("kept") == "yes"


def test_the_lock_is_a_lease(storage, clock):
    clock.freeze()
    with storage.lock("x", lease=5, wait=0) as first:
        assert first
        with storage.lock("x", lease=5, wait=0.2) as second:
            assert not second  # held by the first
    with storage.lock("x", lease=5, wait=0) as again:
        assert again  # released
        clock.advance(seconds=4)
        with storage.lock("x", wait=0) as early:
            assert not early  # still within its lease
        clock.advance(seconds=2)
        with storage.lock("x", wait=0) as stale:
            assert stale  # a lease that ran out (a killed process) holds nobody up


def test_two_clients_share_one_token(storage, mp_base, sandbox_state):
    """Two processes' clients on one storage: one stable_token fetch between them."""
    a, b = _client(mp_base, storage), _client(mp_base, storage)
    assert a.draft.count()["total_count"] == 0
    assert b.draft.count()["total_count"] == 0
    assert a.draft.count()["total_count"] == 0
    assert _token_calls(sandbox_state) == 1
    assert storage.get(f"{APPID}_access_token").startswith("SBX_mp_")


def test_an_expired_token_is_refreshed_once_for_everyone(storage, mp_base, sandbox_state):
    a, b = _client(mp_base, storage), _client(mp_base, storage)
    a.draft.count()
    old = storage.get(f"{APPID}_access_token")
    assert sandbox_state.expire_tokens(APPID) == 1  # the platform expires it early: 42001
    assert b.draft.count()["total_count"] == 0  # refreshed and retried once
    new = storage.get(f"{APPID}_access_token")
    assert new != old
    assert a.draft.count()["total_count"] == 0  # a takes b's new token from the storage
    assert _token_calls(sandbox_state) == 2
    calls = [p for _t, p, o in sandbox_state.calls if o == APPID]
    assert calls.count("/mp/cgi-bin/draft/count") == 4  # 3 answered + the one that met 42001


def test_concurrent_first_calls_fetch_one_token(app, mp_base, sandbox_state):
    """Six workers start at once with nothing stored: one refreshes under the lock, the others wait
    and take its token (each worker has its own client and its own database connection)."""
    sandbox_state.configure(APPID, latency_ms=300)
    engine, keys = db.engine, app.config["ENCRYPTION_KEYS"]
    errors, tokens = [], []
    barrier = threading.Barrier(6)

    def worker():
        try:
            client = _client(mp_base, DatabaseStorage(engine, keys=keys))
            barrier.wait()
            tokens.append(client.access_token)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(set(tokens)) == 1 and len(tokens) == 6
    assert _token_calls(sandbox_state) == 1


def test_toutiao_client_shares_the_storage_too(storage, sandbox_url, sandbox_state):
    from cms.platforms import ToutiaoClient

    base = f"{sandbox_url}/toutiao/open/v1/"
    a = share_refresh(ToutiaoClient("tt_shared_1", "sandbox-secret", base, session=storage, timeout=5))
    b = share_refresh(ToutiaoClient("tt_shared_1", "sandbox-secret", base, session=storage, timeout=5))
    assert a.access_token == b.access_token
    assert sum(1 for _t, p, _o in sandbox_state.calls if p.endswith("/toutiao/open/v1/token")) == 1


def test_storage_for_names_the_backend(app):
    assert isinstance(storage_for(""), DatabaseStorage)
    assert isinstance(storage_for("redis://127.0.0.1:1/0"), RedisStorage)
    with pytest.raises(ValueError):
        storage_for("memcached://x")


# tests/conftest.py moves CMS_TEST_REDIS_URL (when set) to CMS_HUEY_URL and drops the other CMS_* names.
REDIS_URL = os.environ.get("CMS_HUEY_URL", "") if os.environ.get("CMS_HUEY_URL", "").startswith("redis") else ""


@pytest.mark.skipif(not REDIS_URL, reason="CMS_TEST_REDIS_URL names no Redis")
def test_redis_storage_shares_and_locks(mp_base, sandbox_state):
    import redis

    url = REDIS_URL
    redis.Redis.from_url(url).delete(f"cms:{APPID}_access_token", f"cms:{APPID}_access_token_expires_at")
    storage = storage_for(url, keys=KEYS)
    a, b = _client(mp_base, storage), _client(mp_base, storage)
    a.draft.count()
    b.draft.count()
    assert _token_calls(sandbox_state) == 1
    with storage.lock("y", lease=5, wait=0) as first:
        assert first
        with storage.lock("y", wait=0.1) as second:
            assert not second


# --- the read cache (CMS_TOKEN_CACHE_SECONDS) ----------------------------------------------------

class _TokenReads:
    """Counts the SELECTs on platform_token that run on `engine` while the block runs."""

    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "platform_token" in statement:
            self.count += 1

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._seen)


def test_a_cached_storage_reads_each_key_once_per_period(app, mp_base, sandbox_state):
    storage = DatabaseStorage(db.engine, cache_seconds=60)
    client = _client(mp_base, storage)
    client.draft.count()  # fetches the token: the storage, then this process's copy
    with _TokenReads(db.engine) as reads:
        for _ in range(5):
            assert client.draft.count()["total_count"] == 0
    assert reads.count == 0  # wechatpy asked for the token and its expiry 15 times
    storage.forget()
    with _TokenReads(db.engine) as reads:
        for _ in range(3):
            client.draft.count()
    assert reads.count == 2  # the token and its expiry, once each
    with _TokenReads(db.engine) as reads:
        _client(mp_base, DatabaseStorage(db.engine)).draft.count()
    assert reads.count == 3  # without a cache: every read goes to the storage
    assert _token_calls(sandbox_state) == 1


def test_a_copy_never_outlives_the_stored_expiry(storage, clock):
    clock.freeze()
    cached = DatabaseStorage(db.engine, cache_seconds=3600)
    storage.set("k", "v", ttl=60)
    assert cached.get("k") == "v"
    clock.advance(seconds=61)
    assert cached.get("k") is None
    cached.set("w", "mine", ttl=60)
    storage.delete("w")  # another process
    assert cached.get("w") == "mine"  # this process's copy, for cache_seconds at most
    cached.delete("w")
    assert cached.get("w") is None


def test_a_token_another_process_refreshed_is_picked_up_once_the_copy_ages(app, mp_base, sandbox_state):
    a_storage = DatabaseStorage(db.engine, cache_seconds=0.2)
    a, b = _client(mp_base, a_storage), _client(mp_base, DatabaseStorage(db.engine))
    a.draft.count()
    old = a.access_token
    b.fetch_access_token(force_refresh=True)  # another process: the old token dies at once
    new = b.access_token
    assert new != old and a.access_token == old  # a's copy, for now
    # the copy ages out after cache_seconds, with no refused call needed
    wait_until(lambda: a.access_token == new, 10, lambda: f"a still holds {a.access_token}, not {new}")
    assert a.draft.count()["total_count"] == 0
    assert _token_calls(sandbox_state) == 2


def test_a_refused_copy_is_dropped_and_the_retry_takes_the_stored_token(app, mp_base, sandbox_state):
    """Process a keeps its copy of the token; process b has the platform retire it (forced
    refresh). a's next call meets 40001, drops its copy, finds b's token in the storage and retries
    with it: the call succeeds and a fetches nothing."""
    a_storage = DatabaseStorage(db.engine, cache_seconds=60)
    a, b = _client(mp_base, a_storage), _client(mp_base, DatabaseStorage(db.engine, cache_seconds=60))
    assert a.draft.count()["total_count"] == 0
    old = a_storage.get(f"{APPID}_access_token")
    b.fetch_access_token(force_refresh=True)
    new = b.session.get(f"{APPID}_access_token")
    assert new != old
    assert a.draft.count()["total_count"] == 0  # 40001, then the retry on b's token
    assert a_storage.get(f"{APPID}_access_token") == new
    assert _token_calls(sandbox_state) == 2  # a's first fetch and b's forced one: no third
    counts = [p for _t, p, o in sandbox_state.calls if p.endswith("/draft/count")]
    assert len(counts) == 3  # the first call, the refused one, the retry


def test_a_refused_token_still_in_the_storage_is_refreshed_once_for_everyone(app, mp_base, sandbox_state):
    """The platform expires the token early (42001): the first process to meet it fetches a new one
    under the lock; the other, whose copy is just as stale, takes that one from the storage."""
    a, b = (_client(mp_base, DatabaseStorage(db.engine, cache_seconds=60)) for _ in range(2))
    a.draft.count()
    b.draft.count()
    assert sandbox_state.expire_tokens(APPID) == 1
    assert b.draft.count()["total_count"] == 0
    assert a.draft.count()["total_count"] == 0
    assert a.access_token == b.access_token
    assert _token_calls(sandbox_state) == 2


def test_toutiao_client_drops_a_refused_copy_too(app, sandbox_url, sandbox_state):
    from cms.platforms import ToutiaoClient, ToutiaoError

    base = f"{sandbox_url}/toutiao/open/v1/"
    a, b = (share_refresh(ToutiaoClient("tt_shared_2", "sandbox-secret", base,
                                        session=DatabaseStorage(db.engine, cache_seconds=60), timeout=5))
            for _ in range(2))
    token = a.access_token
    assert b.access_token == token  # read from the storage, not fetched
    sandbox_state.expire_tokens("tt_shared_2")
    for client in (b, a):  # b renews the token; a's copy is refused, and it takes b's
        with pytest.raises(ToutiaoError) as answer:
            client.article_status("no-such-article")
        assert answer.value.errcode == 70004  # the call itself went through on a live token
    assert a.access_token == b.access_token != token
    assert sum(1 for _t, p, _o in sandbox_state.calls if p.endswith("/toutiao/open/v1/token")) == 2


@pytest.mark.skipif(not REDIS_URL, reason="CMS_TEST_REDIS_URL names no Redis")
def test_redis_storage_keeps_copies_and_drops_a_refused_one(mp_base, sandbox_state):
    import redis

    redis.Redis.from_url(REDIS_URL).delete(f"cms:{APPID}_access_token", f"cms:{APPID}_access_token_expires_at")
    a_storage, b_storage = (storage_for(REDIS_URL, cache_seconds=60, keys=KEYS) for _ in range(2))
    a, b = _client(mp_base, a_storage), _client(mp_base, b_storage)
    a.draft.count()
    assert b.access_token == a.access_token  # from the storage
    b.fetch_access_token(force_refresh=True)  # the old token dies at once
    assert a.draft.count()["total_count"] == 0  # 40001, the copy dropped, b's token taken
    assert a_storage.get(f"{APPID}_access_token") == b_storage.get(f"{APPID}_access_token")
    assert _token_calls(sandbox_state) == 2


def test_a_stored_token_retired_as_well_is_refreshed_once(app, mp_base, sandbox_state):
    """a's copy is retired (b forced a refresh), and so is the token b stored (a third party forced
    another): a's retry on the stored token is refused too, so a fetches the live one, once."""
    from cms.platforms import MemoryStorage

    sandbox_state.configure(APPID, force_refresh_interval=0)
    a_storage = DatabaseStorage(db.engine, cache_seconds=60)
    a, b = _client(mp_base, a_storage), _client(mp_base, DatabaseStorage(db.engine))
    outsider = make_mp_client(APPID, "sandbox-secret", base_url=mp_base, session=MemoryStorage(), timeout=5)
    a.draft.count()
    b.fetch_access_token(force_refresh=True)
    outsider.fetch_access_token(force_refresh=True)
    assert a.draft.count()["total_count"] == 0
    assert a_storage.get(f"{APPID}_access_token") == outsider.access_token
    assert _token_calls(sandbox_state) == 4  # a's first, b's, the outsider's, a's one refresh


# --- encrypted at rest (issue 13 part 7) ----------------------------------------------------------

def _raw_rows(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(platform_token.c.key, platform_token.c.value)).all())


def test_tokens_are_stored_encrypted_and_still_work(app, mp_base, sandbox_state):
    storage = DatabaseStorage(db.engine)
    client = _client(mp_base, storage)
    assert client.draft.count()["total_count"] == 0  # a real call on the stored token
    token = client.access_token
    raw = _raw_rows(db.engine)
    stored = raw[f"{APPID}_access_token"]
    assert token and token not in stored and not stored.startswith('"')
    expires = raw[f"{APPID}_access_token_expires_at"]
    assert str(storage.get(f"{APPID}_access_token_expires_at")) not in expires
    # Another process with the same keys reads it: no second fetch.
    other = _client(mp_base, DatabaseStorage(db.engine))
    assert other.access_token == token and other.draft.count()["total_count"] == 0
    assert _token_calls(sandbox_state) == 1


def test_a_value_that_does_not_open_counts_as_missing(app, mp_base, sandbox_state):
    from cryptography.fernet import Fernet
    from sqlalchemy import update

    client = _client(mp_base, DatabaseStorage(db.engine))
    client.draft.count()
    stranger = DatabaseStorage(db.engine, keys=[Fernet.generate_key().decode()])
    assert stranger.get(f"{APPID}_access_token") is None  # sealed with a key it does not hold
    with db.engine.begin() as conn:  # a plaintext row from before the upgrade
        conn.execute(update(platform_token).where(platform_token.c.key == f"{APPID}_access_token")
                     .values(value='"plain-old-token"'))
    fresh = _client(mp_base, DatabaseStorage(db.engine))
    assert fresh.draft.count()["total_count"] == 0  # a fresh token was fetched and works
    assert _token_calls(sandbox_state) == 2
    assert "plain-old-token" not in _raw_rows(db.engine)[f"{APPID}_access_token"]


def test_keys_rotate_newest_first(app):
    from cryptography.fernet import Fernet

    old = app.config["ENCRYPTION_KEYS"]
    DatabaseStorage(db.engine).set("k", "v", ttl=60)
    rotated = DatabaseStorage(db.engine, keys=[Fernet.generate_key().decode(), *old])
    assert rotated.get("k") == "v"
    rotated.set("k", "w", ttl=60)
    assert DatabaseStorage(db.engine).get("k") is None  # sealed with the new key only
    assert rotated.get("k") == "w"


def test_a_storage_without_keys_is_refused(app):
    with pytest.raises(ValueError, match="ENCRYPTION_KEYS"):
        DatabaseStorage(db.engine, keys=[])


@pytest.mark.skipif(not REDIS_URL, reason="CMS_TEST_REDIS_URL names no Redis")
def test_redis_tokens_are_stored_encrypted(mp_base, sandbox_state):
    import redis

    r = redis.Redis.from_url(REDIS_URL)
    r.delete(f"cms:{APPID}_access_token", f"cms:{APPID}_access_token_expires_at")
    client = _client(mp_base, storage_for(REDIS_URL, keys=KEYS))
    assert client.draft.count()["total_count"] == 0
    stored = r.get(f"cms:{APPID}_access_token")
    assert client.access_token.encode() not in stored and not stored.startswith(b'"')
    r.set(f"cms:{APPID}_access_token", '"plain-old-token"', ex=600)
    fresh = _client(mp_base, storage_for(REDIS_URL, keys=KEYS))
    assert fresh.draft.count()["total_count"] == 0 and _token_calls(sandbox_state) == 2
