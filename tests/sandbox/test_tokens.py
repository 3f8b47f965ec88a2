"""Access tokens: stable_token through the client, expiry, `token` supersession and its grace."""

from __future__ import annotations

import pytest
import requests
from wechatpy.exceptions import WeChatClientException

from cms.platforms import MemoryStorage

from .conftest import APPID


def _get_token(mp_base, appid=APPID, secret="sandbox-secret") -> dict:
    return requests.get(
        mp_base + "token",
        params={"grant_type": "client_credential", "appid": appid, "secret": secret},
        timeout=5,
    ).json()


def _count(mp_base, token) -> dict:
    return requests.get(mp_base + "draft/count", params={"access_token": token}, timeout=5).json()


def test_client_fetches_stable_token_into_wechatpy_session(mp_client, sandbox_state):
    session = MemoryStorage()
    client = mp_client(session=session)
    assert client.draft.count()["total_count"] == 0
    token = session.get(f"{APPID}_access_token")
    assert token.startswith("SBX_mp_") and session.get(f"{APPID}_access_token_expires_at")
    assert sandbox_state.tokens[token].source == "stable"
    assert [p for _t, p, _o in sandbox_state.calls if p.endswith("token")] == ["/mp/cgi-bin/stable_token"]


def test_expired_token_is_refetched_transparently(mp_client, sandbox_state, mp_base):
    session = MemoryStorage()
    client = mp_client(session=session)
    client.draft.count()
    old = session.get(f"{APPID}_access_token")
    assert sandbox_state.expire_tokens() >= 1
    assert _count(mp_base, old)["errcode"] == 42001
    assert client.draft.count()["total_count"] == 0  # 42001 -> stable_token -> retried
    new = session.get(f"{APPID}_access_token")
    assert new != old and _count(mp_base, new)["errcode"] == 0


def test_short_token_lifetime(mp_client, sandbox_state):
    sandbox_state.configure(token_expires_in=100, stable_renew_window=10)
    session = MemoryStorage()
    client = mp_client(session=session)
    client.draft.count()
    first = session.get(f"{APPID}_access_token")
    sandbox_state.advance(101)
    client.draft.count()
    assert session.get(f"{APPID}_access_token") != first


def test_token_grace_then_40001(mp_base, sandbox_url, sandbox_state):
    r = requests.post(f"{sandbox_url}/sandbox/control", json={"token_grace": 1}, timeout=5)
    assert r.json() == {"ok": True}
    first = _get_token(mp_base)
    assert first["expires_in"] == 7200 and "errcode" not in first
    second = _get_token(mp_base)
    assert second["access_token"] != first["access_token"]
    assert _count(mp_base, first["access_token"])["errcode"] == 0  # within the grace
    sandbox_state.advance(2)
    assert _count(mp_base, first["access_token"])["errcode"] == 40001
    assert _count(mp_base, second["access_token"])["errcode"] == 0


def test_token_and_stable_token_are_separate(mp_base, mp_client):
    session = MemoryStorage()
    client = mp_client(session=session)
    client.draft.count()
    stable = session.get(f"{APPID}_access_token")
    _get_token(mp_base)
    _get_token(mp_base)  # `token` rotation does not touch the stable token
    assert _count(mp_base, stable)["errcode"] == 0


def test_stable_token_normal_mode_returns_the_live_token(mp_base, sandbox_state):
    body = {
        "grant_type": "client_credential",
        "appid": APPID,
        "secret": "sandbox-secret",
        "force_refresh": False,
    }
    a = requests.post(mp_base + "stable_token", json=body, timeout=5).json()
    b = requests.post(mp_base + "stable_token", json=body, timeout=5).json()
    assert a["access_token"] == b["access_token"] and b["expires_in"] <= 7200
    sandbox_state.advance(7200 - 299)  # into the last 5 minutes: renewed, the old one lives to its end
    c = requests.post(mp_base + "stable_token", json=body, timeout=5).json()
    assert c["access_token"] != a["access_token"] and c["expires_in"] == 7200
    assert _count(mp_base, a["access_token"])["errcode"] == 0
    sandbox_state.advance(300)
    assert _count(mp_base, a["access_token"])["errcode"] == 42001


def test_stable_token_force_refresh_is_rate_limited(mp_base, sandbox_state):
    body = {"grant_type": "client_credential", "appid": APPID, "secret": "sandbox-secret"}
    a = requests.post(mp_base + "stable_token", json=body, timeout=5).json()["access_token"]
    b = requests.post(mp_base + "stable_token", json={**body, "force_refresh": True}, timeout=5).json()
    assert b["access_token"] != a and _count(mp_base, a)["errcode"] == 40001  # the old one dies at once
    c = requests.post(mp_base + "stable_token", json={**body, "force_refresh": True}, timeout=5).json()
    assert c["access_token"] == b["access_token"]  # within 30 s: not refreshed
    sandbox_state.configure(force_refresh_daily_limit=2)
    sandbox_state.advance(31)
    assert (
        requests.post(mp_base + "stable_token", json={**body, "force_refresh": True}, timeout=5).json()[
            "access_token"
        ]
        != b["access_token"]
    )
    sandbox_state.advance(31)
    assert (
        requests.post(mp_base + "stable_token", json={**body, "force_refresh": True}, timeout=5).json()[
            "errcode"
        ]
        == 45009
    )


def test_credentials_are_checked(mp_base, mp_client, sandbox_state):
    sandbox_state.add_account("wxregistered00001", "the-real-secret", kind="service")
    assert _get_token(mp_base, "wxregistered00001", "wrong")["errcode"] == 40125
    assert _get_token(mp_base, "wxregistered00001", "the-real-secret")["access_token"]
    assert _get_token(mp_base, "wxunknown00000001", "wrong")["errcode"] == 40013
    with pytest.raises(WeChatClientException) as e:
        mp_client("wxregistered00001", "wrong").draft.count()
    assert e.value.errcode == 40125
    assert mp_client("wxregistered00001", "the-real-secret").draft.count()["total_count"] == 0


def test_missing_or_unknown_token(mp_base):
    assert _count(mp_base, "")["errcode"] == 41001
    assert _count(mp_base, "made-up")["errcode"] == 40001
    r = requests.post(mp_base + "draft/add", params={"access_token": "made-up"}, data=b"{}", timeout=5)
    assert r.status_code == 200 and r.json()["errcode"] == 40001


def test_refused_live_token_forces_one_refresh(mp_client, sandbox_state):
    session = MemoryStorage()
    client = mp_client(session=session)
    client.draft.count()
    old = session.get(f"{APPID}_access_token")
    sandbox_state.inject_fault("draft/count", errcode=40001)
    assert client.draft.count()["total_count"] == 0
    assert session.get(f"{APPID}_access_token") != old  # stable_token gave the same one back: forced


def test_token_retry_happens_once_not_forever(mp_client, sandbox_state):
    client = mp_client()
    client.draft.count()
    sandbox_state.inject_fault("draft/count", errcode=42001, times=10)
    with pytest.raises(WeChatClientException) as e:
        client.draft.count()
    assert e.value.errcode == 42001
    assert sandbox_state.faults[0].times == 8  # the call and one retry
    sandbox_state.clear_faults()
    assert client.draft.count()["total_count"] == 0
