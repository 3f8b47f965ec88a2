"""Switches: injected errcodes and HTTP errors, latency, per-account scope, POST /sandbox/control."""

from __future__ import annotations

import threading

import pytest
import requests
from wechatpy.exceptions import APILimitedException, WeChatClientException

from tests.conftest import wait_until


def test_system_busy_then_success(mp_client, sandbox_state):
    client = mp_client()
    sandbox_state.inject_fault("draft/batchget", errcode=-1, times=1)
    with pytest.raises(WeChatClientException) as e:
        client.draft.batchget()
    assert e.value.errcode == -1
    assert client.draft.batchget()["total_count"] == 0


def test_http_500_then_success(mp_client, sandbox_state):
    client = mp_client()
    sandbox_state.inject_fault("/mp/cgi-bin/draft/count", http_status=500)
    with pytest.raises(WeChatClientException) as e:
        client.draft.count()
    assert e.value.errcode is None and e.value.response.status_code == 500
    assert client.draft.count()["total_count"] == 0


def test_rate_limit_is_wechatpys_api_limited_exception(mp_client, sandbox_state):
    sandbox_state.inject_fault("freepublish/submit", errcode=45009)
    with pytest.raises(APILimitedException) as e:
        mp_client().freepublish.submit("anything")
    assert e.value.errcode == 45009


def test_faults_over_http_scoped_to_one_account(mp_client, sandbox_url):
    r = requests.post(
        f"{sandbox_url}/sandbox/control",
        timeout=5,
        json={
            "appid": "wxsandbox00000009",
            "faults": [{"path": "draft/count", "errcode": 53503, "times": 2}],
        },
    )
    assert r.status_code == 200 and r.json()["ok"] is True
    assert mp_client().draft.count()["total_count"] == 0  # another account: untouched
    target = mp_client("wxsandbox00000009")
    for _ in range(2):
        with pytest.raises(WeChatClientException) as e:
            target.draft.count()
        assert e.value.errcode == 53503
    assert target.draft.count()["total_count"] == 0


def test_http_fault_over_control(mp_client, sandbox_url):
    requests.post(
        f"{sandbox_url}/sandbox/control",
        json={"faults": [{"path": "draft/count", "http_status": 502}]},
        timeout=5,
    )
    with pytest.raises(WeChatClientException) as e:
        mp_client().draft.count()
    assert e.value.response.status_code == 502


def test_expire_tokens_over_control(mp_client, sandbox_url, sandbox_state):
    client = mp_client()
    client.draft.count()
    r = requests.post(f"{sandbox_url}/sandbox/control", json={"expire_tokens": True}, timeout=5)
    assert r.json()["expired"] == 1
    assert client.draft.count()["total_count"] == 0
    assert sum(1 for _t, p, _o in sandbox_state.calls if p.endswith("stable_token")) == 2


def test_latency_holds_that_accounts_calls_only_and_calls_overlap(mp_client, sandbox_state, monkeypatch):
    """The latency switch holds each call of its account in flight for latency_ms, outside the lock:
    another account's call is answered meanwhile, with no wait. The call is held by the test (the
    sandbox's one wait, `pause`), not timed; bench/sandbox_latency.py prints how long calls take."""
    slow, other = mp_client(), mp_client("wxsandbox00000003")
    slow.draft.count()  # tokens first: only the calls below are counted
    other.draft.count()
    sandbox_state.set_latency(150, appid=slow.appid)
    paused, release, answers = [], threading.Event(), []

    def pause(seconds):
        paused.append(seconds)
        assert release.wait(30), "the test never let the held call go"

    monkeypatch.setattr(sandbox_state, "pause", pause)
    held = threading.Thread(target=lambda: answers.append(slow.draft.count()), daemon=True)
    held.start()
    wait_until(lambda: paused, 10, "the slowed account's call never waited")
    assert paused == [0.15]  # latency_ms, in seconds
    assert other.draft.count()["total_count"] == 0  # answered while the other call is in flight...
    assert paused == [0.15]  # ...without waiting itself
    counted = [p for _t, p, owner in sandbox_state.calls if owner == slow.appid and p.endswith("draft/count")]
    assert len(counted) == 1 and answers == []  # the held call has not been handled yet
    release.set()
    held.join(10)
    assert len(answers) == 1 and answers[0]["total_count"] == 0  # then it is answered
    sandbox_state.set_latency(0, appid=slow.appid)
    slow.draft.count()
    assert paused == [0.15]  # latency 0: no wait at all


def test_control_rejects_unknown_keys(sandbox_url):
    r = requests.post(f"{sandbox_url}/sandbox/control", json={"latency": 5}, timeout=5)
    assert r.status_code == 400 and "latency" in r.json()["error"]
    r = requests.post(f"{sandbox_url}/sandbox/control", json={"faults": [{"path": "x"}]}, timeout=5)
    assert r.status_code == 400


def test_control_reset_and_accounts(sandbox_url, sandbox_state, mp_base):
    r = requests.post(
        f"{sandbox_url}/sandbox/control",
        timeout=5,
        json={
            "reset": True,
            "add_account": {"appid": "wxsub", "secret": "s3cret", "kind": "subscription"},
            "publish_delay": 5,
            "appid": "wxsub",
        },
    )
    assert r.json() == {"ok": True}
    assert sandbox_state.accounts["wxsub"].kind == "subscription"
    assert (
        sandbox_state.setting("publish_delay", "wxsub") == 5 and sandbox_state.setting("publish_delay") == 0
    )
    state = requests.get(f"{sandbox_url}/sandbox/state.json", timeout=5).json()
    assert state["accounts"][0]["appid"] == "wxsub" and state["accounts"][0]["push_quota"] == 1


def test_unemulated_api_is_a_clear_error(mp_client):
    with pytest.raises(WeChatClientException) as e:
        mp_client().menu.get()
    assert e.value.errcode == 48001 and "does not emulate" in e.value.errmsg


def test_wechatpy_hosts_follow_the_base_url(mp_client, mp_base):
    client = mp_client()
    root = mp_base[: -len("cgi-bin/")]
    assert mp_base == client.API_BASE_URL
    assert root + "datacube/" == client.datacube.API_BASE_URL
    assert root == client.template.API_BASE_URL
    assert type(client).API_BASE_URL == "https://api.weixin.qq.com/cgi-bin/"  # the class is untouched


def test_real_host_stays_real():
    from cms.platforms import make_mp_client

    client = make_mp_client("wx1", "s")
    assert client.API_BASE_URL == "https://api.weixin.qq.com/cgi-bin/"
    assert client.datacube.API_BASE_URL == "https://api.weixin.qq.com/datacube/"
