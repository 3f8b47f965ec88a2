"""The shared token storage: every process reads one token per account (DESIGN.md), through
wechatpy's own HTTP stack against the sandbox over loopback. Real database, no mocks."""
from __future__ import annotations

import os
import threading
import time

import pytest
import time_machine
from sqlalchemy import select

from cms.extensions import db
from cms.platforms import DatabaseStorage, RedisStorage, make_mp_client, share_refresh, storage_for
from cms.platforms.storage import platform_token

APPID = "wxsharedtoken0001"


def _token_calls(state, appid=APPID) -> int:
    return sum(1 for _t, path, owner in state.calls if path.endswith("/stable_token") and owner == appid)


def _client(mp_base, storage, appid=APPID):
    return share_refresh(make_mp_client(appid, "sandbox-secret", base_url=mp_base, session=storage, timeout=5))


@pytest.fixture
def storage(app):
    return DatabaseStorage(db.engine)


def test_get_set_delete_with_ttl(storage):
    assert storage.get("k") is None and storage.get("k", "d") == "d"
    storage.set("k", {"a": 1}, ttl=60)
    storage.set("k", "v2", ttl=60)  # an upsert: one row, the newest value
    assert storage.get("k") == "v2"
    assert db.session.execute(select(platform_token.c.key)).scalars().all() == ["k"]
    storage.set("n", 1700000000)  # no ttl: kept until overwritten
    with time_machine.travel(time.time() + 61, tick=False):
        assert storage.get("k") is None  # expired
        assert storage.get("n") == 1700000000
    storage.delete("k")
    storage.delete("never-there")
    assert storage.get("k") is None
    storage.set("none", None)  # as wechatpy's RedisStorage: None is not kept
    assert storage.get("none", "d") == "d"


def test_a_token_saved_mid_transaction_survives_its_rollback(storage):
    from cms.publishing.models import Channel

    db.session.scalar(select(Channel).limit(1))  # the session's transaction is open
    storage.set("kept", "yes", ttl=60)
    db.session.rollback()
    assert storage.get("kept") == "yes"


def test_the_lock_is_a_lease(storage):
    with storage.lock("x", lease=5, wait=0) as first:
        assert first
        with storage.lock("x", lease=5, wait=0.2) as second:
            assert not second  # held by the first
    with storage.lock("x", lease=0.1, wait=0) as again:
        assert again  # released
        time.sleep(0.2)
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
    engine = db.engine
    errors, tokens = [], []
    barrier = threading.Barrier(6)

    def worker():
        try:
            client = _client(mp_base, DatabaseStorage(engine))
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
    storage = storage_for(url)
    a, b = _client(mp_base, storage), _client(mp_base, storage)
    a.draft.count()
    b.draft.count()
    assert _token_calls(sandbox_state) == 1
    with storage.lock("y", lease=5, wait=0) as first:
        assert first
        with storage.lock("y", wait=0.1) as second:
            assert not second
