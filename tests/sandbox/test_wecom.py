"""The WeCom emulator (/qy/cgi-bin/) through wechatpy's work client (make_wecom_client), and raw HTTP
where a client would never send such a request."""

from __future__ import annotations

import pytest
import requests
from wechatpy.exceptions import WeChatClientException

from cms.platforms import CallError, MemoryStorage, classify_wecom, make_wecom_client, send_text_card
from cms.platforms.wecom import TEXTCARD_DESCRIPTION_MAX, clip_bytes, textcard_description

CORP = "wwsandboxcorp0001"
AGENT = 1000002


@pytest.fixture
def qy_base(sandbox_url):
    return f"{sandbox_url}/qy/cgi-bin/"


@pytest.fixture
def wecom_client(qy_base):
    def make(corp=CORP, secret="sandbox-secret", session=None):
        return make_wecom_client(corp, secret, base_url=qy_base, session=session or MemoryStorage(), timeout=5)

    return make


def _card(client, users, **kw):
    fields = {"title": "待审稿件", "description": "<div>请审核</div>", "url": "http://cms.test/posts/1"} | kw
    return send_text_card(client, AGENT, users, fields["title"], fields["description"], fields["url"])


def _token(qy_base, corp=CORP, secret="sandbox-secret") -> dict:
    return requests.get(qy_base + "gettoken", params={"corpid": corp, "corpsecret": secret}, timeout=5).json()


def _send(qy_base, token, body) -> dict:
    return requests.post(qy_base + "message/send", params={"access_token": token}, json=body, timeout=5).json()


def test_textcard_is_delivered_and_recorded(wecom_client, sandbox_state, sandbox_url):
    session = MemoryStorage()
    client = wecom_client(session=session)
    result = _card(client, ["editor", "proofreader"])
    assert result.invalid_users == set() and result.msgid.startswith("SBX_qy_msg_")
    [msg] = sandbox_state.wecom.messages
    assert msg.touser == ["editor", "proofreader"] and msg.agentid == AGENT and msg.msgtype == "textcard"
    assert msg.content == {"title": "待审稿件", "description": "<div>请审核</div>",
                           "url": "http://cms.test/posts/1", "btntxt": "详情"}
    assert msg.truncated == []
    # The token went through our base URL into the session; no part of the secret is in the keys.
    assert [p for _t, p, _o in sandbox_state.calls] == ["/qy/cgi-bin/gettoken", "/qy/cgi-bin/message/send"]
    keys = list(session._data)
    assert keys and all("sandbox-se" not in k for k in keys) and all(k.startswith(f"wecom_{CORP}_") for k in keys)
    page = requests.get(f"{sandbox_url}/sandbox/wecom/", timeout=5).text
    assert "待审稿件" in page and "editor" in page and "http://cms.test/posts/1" in page
    assert "企业微信应用消息（1）" in requests.get(f"{sandbox_url}/sandbox/", timeout=5).text
    assert requests.get(f"{sandbox_url}/sandbox/wecom/state.json", timeout=5).json()["messages"][0]["touser"] == [
        "editor", "proofreader"]


def test_gettoken_answers_the_live_token_again(qy_base):
    first, second = _token(qy_base), _token(qy_base)
    assert first["access_token"] == second["access_token"] and first["expires_in"] == 7200


@pytest.mark.parametrize(
    ("corp", "secret", "errcode"),
    [("", "sandbox-secret", 41002), (CORP, "", 41004), ("wwunknown", "not-the-secret", 40013)],
)
def test_gettoken_refusals(qy_base, corp, secret, errcode):
    assert _token(qy_base, corp, secret)["errcode"] == errcode


def test_wrong_secret_is_40001_and_permanent(wecom_client, sandbox_state):
    sandbox_state.wecom.add_corp(CORP, "the-real-secret")
    with pytest.raises(CallError) as e:
        _card(wecom_client(secret="sandbox-secret"), ["editor"])
    assert e.value.errcode == 40001 and e.value.token_call
    assert classify_wecom(40001, token_call=True) == "permanent" and classify_wecom(40001) == "refresh"
    assert _card(wecom_client(secret="the-real-secret"), ["editor"]).invalid_users == set()


def test_token_checks(qy_base):
    body = {"touser": "a", "agentid": AGENT, "msgtype": "text", "text": {"content": "x"}}
    assert requests.post(qy_base + "message/send", json=body, timeout=5).json()["errcode"] == 41001
    assert _send(qy_base, "SBX_mp_not_a_wecom_token", body)["errcode"] == 40014
    assert _send(qy_base, _token(qy_base)["access_token"], body)["errcode"] == 0


def test_an_expired_token_is_refetched_transparently(wecom_client, sandbox_state, qy_base):
    session = MemoryStorage()
    client = wecom_client(session=session)
    _card(client, ["editor"])
    old = session.get(client.access_token_key)
    sandbox_state.expire_tokens(CORP)
    assert _send(qy_base, old, {"touser": "a", "agentid": AGENT, "msgtype": "text",
                                "text": {"content": "x"}})["errcode"] == 42001
    _card(client, ["editor"])  # 42001 -> gettoken -> the same call again
    assert session.get(client.access_token_key) != old
    assert len(sandbox_state.wecom.messages) == 2


def test_a_token_refused_twice_is_not_retried_forever(wecom_client, sandbox_state):
    client = wecom_client()
    _card(client, ["editor"])
    sandbox_state.inject_fault("/qy/cgi-bin/message/send", errcode=42001, times=5)
    with pytest.raises(CallError) as e:
        _card(client, ["editor"])
    assert e.value.errcode == 42001
    sends = [p for _t, p, _o in sandbox_state.calls if p.endswith("message/send")]
    assert len(sends) == 3  # the first call, then one retry after a new token


def test_unknown_and_disabled_members_come_back_invalid(wecom_client, sandbox_state):
    sandbox_state.wecom.add_user(CORP, "editor", "陈思远")
    sandbox_state.wecom.add_user(CORP, "departed", "离职者", status=5)
    result = _card(wecom_client(), ["editor", "nobody", "departed"])
    assert result.invalid_users == {"nobody", "departed"}
    assert sandbox_state.wecom.messages[-1].touser == ["editor"]
    with pytest.raises(CallError) as e:
        _card(wecom_client(), ["nobody", "departed"])
    assert e.value.errcode == 81013 and classify_wecom(81013) == "permanent"
    assert e.value.body["invaliduser"] == "nobody|departed"
    assert len(sandbox_state.wecom.messages) == 1


def test_agentid_must_be_the_applications(qy_base, sandbox_state):
    sandbox_state.wecom.add_corp(CORP, agentid=AGENT)
    token = _token(qy_base)["access_token"]
    card = {"msgtype": "textcard", "textcard": {"title": "t", "description": "d", "url": "http://x/"}}
    assert _send(qy_base, token, {"touser": "a", **card})["errcode"] == 41011
    assert _send(qy_base, token, {"touser": "a", "agentid": 1000009, **card})["errcode"] == 40056
    assert _send(qy_base, token, {"touser": "a", "agentid": AGENT, **card})["errcode"] == 0


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        ({"msgtype": "voice", "voice": {}}, 40008),
        ({"msgtype": "text", "text": {"content": " "}}, 44004),
        ({"msgtype": "textcard", "textcard": {"title": "t", "description": "d"}}, 40058),
        ({"msgtype": "textcard", "textcard": {"title": "t", "description": "", "url": "http://x/"}}, 40058),
        ({"msgtype": "textcard", "textcard": {"title": "t", "description": "d", "url": "/posts/1"}}, 40058),
        ({"msgtype": "textcard", "textcard": "not an object"}, 40058),
        ({"touser": "", "msgtype": "text", "text": {"content": "x"}}, 40058),
        ({"touser": "|".join(f"u{i}" for i in range(1001)), "msgtype": "text", "text": {"content": "x"}}, 40058),
    ],
)
def test_message_send_refusals(qy_base, sandbox_state, body, errcode):
    answer = _send(qy_base, _token(qy_base)["access_token"], {"touser": "editor", "agentid": AGENT, **body})
    assert answer["errcode"] == errcode, answer
    assert sandbox_state.wecom.messages == []


def test_parties_and_tags_are_invalid_in_the_sandbox(qy_base):
    answer = _send(qy_base, _token(qy_base)["access_token"], {
        "touser": "editor", "toparty": "2|3", "totag": "7", "agentid": AGENT,
        "msgtype": "text", "text": {"content": "x"}})
    assert answer["errcode"] == 0 and answer["invalidparty"] == "2|3" and answer["invalidtag"] == "7"


def test_over_long_fields_are_cut_like_the_platform_or_refused_when_strict(qy_base, sandbox_state):
    token = _token(qy_base)["access_token"]
    card = {"title": "标" * 50, "description": "述" * 200, "url": "http://x/", "btntxt": "查看全部详情"}
    answer = _send(qy_base, token, {"touser": "editor", "agentid": AGENT, "msgtype": "textcard", "textcard": card})
    assert answer["errcode"] == 0
    msg = sandbox_state.wecom.messages[-1]
    assert msg.truncated == ["title", "description", "btntxt"]
    assert len(msg.content["title"].encode()) <= 128 and msg.content["title"] == "标" * 42
    assert len(msg.content["description"].encode()) <= 512 and msg.content["btntxt"] == "查看全部"
    sandbox_state.wecom.strict_lengths = True
    answer = _send(qy_base, token, {"touser": "editor", "agentid": AGENT, "msgtype": "textcard", "textcard": card})
    assert answer["errcode"] == 40058 and "title" in answer["errmsg"]


def test_our_client_stays_within_the_limits(wecom_client, sandbox_state):
    """send_text_card cuts the title and button itself, at character boundaries, so even a strict
    platform accepts it and nothing is cut in the middle of a character."""
    sandbox_state.wecom.strict_lengths = True
    long_text = "关于" + "<重要>" * 200
    description = textcard_description([("gray", "2026-11-25 09:00"), ("normal", long_text)])
    result = send_text_card(wecom_client(), AGENT, ["editor"], "标题" * 100, description,
                            "http://cms.test/posts/1", btntxt="查看全部详情")
    assert result.invalid_users == set()
    msg = sandbox_state.wecom.messages[-1]
    assert msg.truncated == []
    assert msg.content["title"].endswith("…") and len(msg.content["title"].encode()) <= 128
    assert msg.content["btntxt"] == "查看全部"
    assert msg.content["description"].startswith('<div class="gray">2026-11-25 09:00</div><div class="normal">关于&lt;重要&gt;')
    assert msg.content["description"].endswith("…</div>")


def test_clip_bytes_and_description():
    assert clip_bytes("abc", 3) == "abc"
    assert clip_bytes("中文标题", 9) == "中文…"  # 3 bytes each; the ellipsis takes 3
    assert clip_bytes("中文标题", 8) == "中…"
    text = textcard_description([("gray", "a"), ("normal", "&" * 600), ("normal", "never shown")])
    assert len(text.encode()) <= TEXTCARD_DESCRIPTION_MAX
    assert text.startswith('<div class="gray">a</div><div class="normal">&amp;')
    assert text.endswith("&amp;…</div>") and "never shown" not in text


def test_user_get(wecom_client, sandbox_state):
    client = wecom_client()
    assert client.user.get("anyone")["status"] == 1  # a corp without registered members knows everybody
    sandbox_state.wecom.add_user(CORP, "editor", "陈思远")
    assert client.user.get("editor")["name"] == "陈思远"
    with pytest.raises(WeChatClientException) as e:
        client.user.get("anyone")
    assert e.value.errcode == 60111


def test_faults_latency_and_unemulated_paths(wecom_client, sandbox_state, qy_base):
    client = wecom_client()
    sandbox_state.inject_fault("message/send", errcode=-1, appid=CORP)
    with pytest.raises(CallError) as e:
        _card(client, ["editor"])
    assert e.value.errcode == -1 and classify_wecom(-1) == "backoff"
    sandbox_state.inject_fault("message/send", http_status=502)
    with pytest.raises(CallError) as e:
        _card(client, ["editor"])
    assert e.value.errcode is None and classify_wecom(None) == "backoff"
    _card(client, ["editor"])
    assert len(sandbox_state.wecom.messages) == 1
    assert requests.get(qy_base + "department/list", timeout=5).json()["errcode"] == 48002


def test_two_applications_of_one_corp_keep_their_own_tokens(wecom_client, sandbox_state):
    session = MemoryStorage()
    sandbox_state.wecom.add_corp(CORP, "secret-one")
    one = wecom_client(secret="secret-one", session=session)
    two = wecom_client(secret="secret-two", session=session)
    assert one.access_token_key != two.access_token_key
    assert one.access_token_expires_at_key != two.access_token_expires_at_key


def test_control_endpoint_and_reset(sandbox_url, sandbox_state):
    control = f"{sandbox_url}/sandbox/wecom/control"
    assert requests.post(control, json={"add_corp": {"corpid": CORP, "agentid": AGENT, "name": "星海"}},
                         timeout=5).json() == {"ok": True}
    assert requests.post(control, json={"add_user": {"corpid": CORP, "userid": "editor", "name": "陈思远"},
                                        "strict_lengths": True}, timeout=5).json()["ok"]
    wecom = sandbox_state.wecom
    assert wecom.corps[CORP].agentid == AGENT and "editor" in wecom.corps[CORP].users and wecom.strict_lengths
    assert requests.post(control, json={"nope": 1}, timeout=5).status_code == 400
    assert requests.post(control, json={"add_user": {"corpid": CORP}}, timeout=5).status_code == 400
    page = requests.get(f"{sandbox_url}/sandbox/wecom/", timeout=5).text
    assert "星海" in page and "陈思远" in page
    sandbox_state.reset()  # the whole sandbox's reset empties the WeCom part too, keeping the object
    assert sandbox_state.wecom is wecom and wecom.corps == {} and not wecom.strict_lengths
    requests.post(control, json={"add_corp": {"corpid": CORP}}, timeout=5)
    assert requests.post(control, json={"reset": True}, timeout=5).json()["ok"] and wecom.corps == {}
