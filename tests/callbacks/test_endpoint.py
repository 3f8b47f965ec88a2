"""The endpoint over HTTP, good paths and bad: who it answers (404), what it refuses before reading
or storing anything (403: signature, msg_signature, appid, replay), what it cannot read (400, 413),
the three modes, retries kept once, and that it is public and CSRF-exempt only because the
signature stands in for both."""
from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import select

from cms.channels.models import Channel
from cms.extensions import db
from cms.sandbox import callbacks as platform
from tests.callbacks.conftest import AES_KEY, APPID, TOKEN, callback_path, events, push, text_message


def _get(live, channel, **params):
    return requests.get(live.url + callback_path(channel), params=params, timeout=5)


def _url_check(token=TOKEN, timestamp=None, nonce="123456", echostr="echo-1234"):
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"signature": platform.sign(token, ts, nonce), "timestamp": ts, "nonce": nonce, "echostr": echostr}


# --- who is answered -----------------------------------------------------------------------------

def test_unknown_channels_and_channels_without_a_token_are_404(live, wechat_channel):
    no_token = wechat_channel(token=None, aes_key=None)
    toutiao = db.session.scalar(select(Channel).where(Channel.platform == "toutiao"))
    for target in (99999, no_token, toutiao):
        for method in ("get", "post"):
            r = requests.request(method, live.url + callback_path(target), params=_url_check(), timeout=5)
            assert r.status_code == 404 and r.text == "not found", (target, method)
    assert events() == []


def test_anonymous_callers_get_no_login_page_and_no_cookie(live, wechat_channel):
    """Public (permissions.PUBLIC_ENDPOINTS): WeChat has no session. Unsigned is 403, never a
    redirect to /login; no session cookie is set either way."""
    channel = wechat_channel()
    for method in ("get", "post"):
        r = requests.request(method, live.url + callback_path(channel), timeout=5, allow_redirects=False)
        assert r.status_code == 403 and "Set-Cookie" not in r.headers, method
    r = _get(live, channel, **_url_check())
    assert (r.status_code, r.text) == (200, "echo-1234") and "Set-Cookie" not in r.headers


# --- the URL check -------------------------------------------------------------------------------

def test_url_check_answers_the_echostr_unchanged(live, wechat_channel):
    channel = wechat_channel()
    echostr = "Zm9v+/=&中文"
    r = _get(live, channel, **_url_check(echostr=echostr))
    assert (r.status_code, r.text) == (200, echostr)
    assert _get(live, channel, **_url_check(token="anotherToken")).status_code == 403
    params = _url_check()
    del params["signature"]
    assert _get(live, channel, **params).status_code == 403
    assert _get(live, channel, **_url_check(timestamp=int(time.time()) - 600)).status_code == 403
    assert events() == []


# --- refused before anything is stored --------------------------------------------------------------

@pytest.mark.parametrize("mode", ["plaintext", "compatible", "safe"])
def test_bad_signatures_are_refused_and_nothing_is_stored(live, wechat_channel, mode):
    channel = wechat_channel(mode=mode)
    xml = text_message()

    def drop(name):
        return lambda q, b: ({k: v for k, v in q.items() if k != name}, b)

    def change(name):
        return lambda q, b: ({**q, name: q[name][:-1] + ("0" if q[name][-1] != "0" else "1")}, b)

    cases = [push(live, channel, xml, mode=mode, token="anotherToken"),  # signed with another token
             push(live, channel, xml, mode=mode, tamper=change("signature")),
             push(live, channel, xml, mode=mode, tamper=change("nonce"))]
    if mode == "plaintext":
        cases.append(push(live, channel, xml, tamper=drop("signature")))
    else:
        cases += [push(live, channel, xml, mode=mode, tamper=change("msg_signature")),
                  # another ciphertext under the right signature: the msg_signature covers it
                  push(live, channel, xml, mode=mode, tamper=lambda q, b: (q, b.replace(
                      "<Encrypt><![CDATA[", "<Encrypt><![CDATA[AAAA")))]
    for n, r in enumerate(cases):
        assert (r.status_code, r.text) == (403, "forbidden"), (mode, n)
    assert events() == []
    assert push(live, channel, xml, mode=mode).text == "success" and len(events()) == 1


def test_a_plaintext_body_cannot_ride_on_a_captured_signature_in_safe_mode(live, wechat_channel):
    """Plaintext mode signs only token, timestamp and nonce; safe mode's msg_signature also covers
    the ciphertext, and the ciphertext carries the AppID: a body swapped under a captured
    signature, or one encrypted for another account, is refused."""
    channel = wechat_channel()
    ours = text_message(msg_id="1")
    theirs = text_message(msg_id="2", content="伪造")
    captured = {}

    def keep(q, b):
        captured.update(query=q, body=b)
        return q, b

    assert push(live, channel, ours, mode="safe", tamper=keep).text == "success"
    _q, forged = platform.envelope(platform.CallbackConfig(live.url, TOKEN, AES_KEY, "safe"), APPID, "o", theirs,
                                   captured["query"]["timestamp"], captured["query"]["nonce"])
    r = requests.post(live.url + callback_path(channel), params=captured["query"], data=forged.encode(), timeout=5)
    assert r.status_code == 403
    r = push(live, channel, theirs, mode="safe", appid="wxanotheraccount1")  # encrypted for another AppID
    assert r.status_code == 403
    assert [e.payload["MsgId"] for e in events()] == ["1"]


@pytest.mark.parametrize("age", [-301, 301, 3600, -86400])
def test_replays_outside_five_minutes_are_refused(live, wechat_channel, clock, age):
    channel = wechat_channel()
    clock.set(datetime.fromtimestamp(int(time.time()), UTC))  # held on a whole second: the age is exact
    r = push(live, channel, text_message(), mode="safe", timestamp=int(time.time()) + age)
    assert r.status_code == 403 and events() == []


@pytest.mark.parametrize("age", [-290, 0, 290])
def test_pushes_within_five_minutes_are_taken(live, wechat_channel, clock, age):
    channel = wechat_channel()
    clock.set(datetime.fromtimestamp(int(time.time()), UTC))  # held on a whole second: the age is exact
    r = push(live, channel, text_message(), mode="safe", timestamp=int(time.time()) + age)
    assert r.text == "success" and len(events()) == 1


def test_a_signed_but_unreadable_push_is_400_and_nothing_is_stored(live, wechat_channel):
    channel = wechat_channel(mode="compatible")  # plaintext bodies are read (safe mode refuses them: 403)
    for body in ("<xml><MsgType>text", "not xml at all", "<xml></xml>", "<xml><Content>hi</Content></xml>",
                 "<other><MsgType>text</MsgType></other>", ""):
        r = push(live, channel, body)
        assert r.status_code == 400, body
    # Encrypted with a key that is not the channel's: authentic sender (the token), unreadable.
    r = push(live, channel, text_message(), mode="safe", aes_key="X" * 43)
    assert r.status_code in (400, 403)
    assert events() == []


def test_a_push_too_large_is_413(live, wechat_channel):
    channel = wechat_channel()
    r = push(live, channel, text_message(content="长" * 30000))
    assert r.status_code == 413 and events() == []


def test_without_a_stored_key_compatible_mode_is_read_by_its_clear_fields(live, wechat_channel):
    channel = wechat_channel(aes_key=None)
    assert push(live, channel, text_message(msg_id="11"), mode="compatible").text == "success"
    assert push(live, channel, text_message(msg_id="12"), mode="safe").status_code == 400  # nothing clear
    assert [e.key for e in events()] == ["msg:11"]


@pytest.mark.parametrize("mode", ["plaintext", "compatible", "safe"])
def test_every_mode_round_trips(live, wechat_channel, mode):
    channel = wechat_channel(mode=mode)
    r = push(live, channel, text_message(msg_id="777", content="安全模式往返 <&>"), mode=mode)
    assert (r.status_code, r.text) == (200, "success")
    (event,) = events()
    # a text message is handed to the follower inbox (cms/followers registers its handler)
    assert event.payload["Content"] == "安全模式往返 <&>" and event.kind == "text" and event.handled_at is not None


# --- kept once -----------------------------------------------------------------------------------

def test_a_retried_delivery_is_kept_once(live, wechat_channel):
    """WeChat retries the same push up to 3 times; a message is kept once by its MsgId, an event by
    FromUserName + CreateTime (and its name), whatever the nonce and timestamp of each try (WeChat
    signs each afresh)."""
    channel = wechat_channel(mode="compatible")
    message = text_message(msg_id="555")
    created = int(time.time()) - 10
    event = ("<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[o_fan]]></FromUserName>"
             f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
             "<Event><![CDATA[subscribe]]></Event></xml>")
    for _ in range(3):
        assert push(live, channel, message, mode="safe").text == "success"
        assert push(live, channel, event).text == "success"
    kept = events()
    assert sorted(e.key for e in kept) == sorted(["msg:555", f"evt:o_fan:{created}:SUBSCRIBE"])
    # The same follower's next event, a second later, is another event.
    later = event.replace(f"<CreateTime>{created}", f"<CreateTime>{created + 1}")
    assert push(live, channel, later).text == "success" and len(events()) == 3
    # The same MsgId on another channel is that channel's own.
    other = wechat_channel(mode="compatible")
    assert push(live, other, message).text == "success" and len(events(other.id)) == 1


def test_concurrent_retries_are_kept_once(live, wechat_channel):
    from concurrent.futures import ThreadPoolExecutor

    channel_id = wechat_channel().id  # the threads have no app context to load it in
    xml = text_message(msg_id="999")
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _n: push(live, channel_id, xml, mode="safe"), range(6)))
    assert [(r.status_code, r.text) for r in answers] == [(200, "success")] * 6
    assert len(events()) == 1


# --- CSRF ----------------------------------------------------------------------------------------

def test_signed_pushes_need_no_csrf_token_and_unsigned_ones_get_no_further(templates, tmp_path):
    """With CSRF on, as in production: the endpoint is exempt (WeChat sends no token) and the
    signature is what refuses a forged request: 403, not a CSRF 400 that a valid token would pass."""
    import threading
    from types import SimpleNamespace

    from werkzeug.serving import make_server

    from tests.conftest import _close, make_app

    app = make_app(templates, tmp_path, WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with app.app_context():
            channel = Channel(name="CSRF 测试号", platform="wechat", app_id=APPID, theme={})
            channel.set_callback_token(TOKEN)
            db.session.add(channel)
            db.session.commit()
            live = SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}")
            assert push(live, channel, text_message()).text == "success"
            r = requests.post(live.url + callback_path(channel), data=text_message().encode(), timeout=5)
            assert r.status_code == 403
            assert len(events()) == 1
    finally:
        server.shutdown()
        thread.join(5)
        _close(app)


# --- the EncodingAESKey changed in the MP console --------------------------------------------------

NEW_KEY = "NewCallbackKey0123456789abcdefghijklmnopqrs"
NEWEST_KEY = "NewestCallbackKey0123456789abcdefghijklmnop"


def test_after_the_key_is_changed_the_previous_one_still_opens_pushes(live, wechat_channel):
    """WeChat's advice: keep the current EncodingAESKey and the one before, and try that one when
    the current cannot open a push (senders switch over a while after the console's change)."""
    from cms.channels import service

    channel = wechat_channel()
    service.update_channel(channel, {**_edit_values(channel), "encoding_aes_key": NEW_KEY})
    assert channel.encoding_aes_keys() == [NEW_KEY, AES_KEY] and channel.has_previous_encoding_aes_key
    assert push(live, channel, text_message(msg_id="21"), mode="safe", aes_key=NEW_KEY).text == "success"
    assert push(live, channel, text_message(msg_id="22"), mode="safe", aes_key=AES_KEY).text == "success"
    assert push(live, channel, text_message(msg_id="23"), mode="safe", aes_key="Y" * 43).status_code == 400

    # Saved again unchanged (the form's blank keeps it): the previous key stays.
    service.update_channel(channel, _edit_values(channel))
    assert channel.encoding_aes_keys() == [NEW_KEY, AES_KEY]
    # Changed once more: only the one just replaced is kept.
    service.update_channel(channel, {**_edit_values(channel), "encoding_aes_key": NEWEST_KEY})
    assert channel.encoding_aes_keys() == [NEWEST_KEY, NEW_KEY]
    assert push(live, channel, text_message(msg_id="24"), mode="safe", aes_key=AES_KEY).status_code == 400
    assert push(live, channel, text_message(msg_id="25"), mode="safe", aes_key=NEW_KEY).text == "success"
    assert [e.key for e in events()] == ["msg:21", "msg:22", "msg:25"]


def test_the_url_check_is_answered_under_the_previous_key_too(live, wechat_channel):
    """The WeCom-style check (an encrypted echostr) as WeChat's senders may still make it."""
    from cms.channels import service

    channel = wechat_channel()
    service.update_channel(channel, {**_edit_values(channel), "encoding_aes_key": NEW_KEY})
    for key in (AES_KEY, NEW_KEY):
        config = platform.CallbackConfig(url=live.url, token=TOKEN, encoding_aes_key=key, mode="safe")
        ts, nonce = str(int(time.time())), "777"
        query, body = platform.envelope(config, APPID, "o_test_openid", "echo-under-" + key[:6], ts, nonce)
        encrypted = body.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
        r = _get(live, channel, msg_signature=query["msg_signature"], timestamp=ts, nonce=nonce, echostr=encrypted)
        assert (r.status_code, r.text) == (200, "echo-under-" + key[:6])


def _edit_values(channel) -> dict:
    """The channel's own values as its edit form sends them, the credentials left blank (kept)."""
    if not channel.has_secret:
        channel.set_secret("callback-test-secret")
    return {"name": channel.name, "platform": channel.platform, "app_id": channel.app_id,
            "account_kind": channel.account_kind, "channel_type": channel.channel_type or "brand",
            "audience": channel.audience or "public", "level": channel.level or "group",
            "app_secret": "", "callback_token": "", "encoding_aes_key": ""}
