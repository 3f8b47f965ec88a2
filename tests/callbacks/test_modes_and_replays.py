"""The channel's callback mode decides what a push must be (issue 13 part 3): a safe-mode channel
refuses a plaintext push (403, audited with the reason), compatible mode takes both, plaintext mode
takes plaintext. And a push is taken once: an exact replay inside the timestamp window is refused
(403) by the nonce cache every process shares, in the database by default or in Redis
(CMS_CALLBACK_NONCE_URL), before anything is handled again."""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import select

from cms.audit.models import AuditEntry
from cms.callbacks.models import CallbackEvent
from cms.errors import Refused
from cms.extensions import db
from cms.sandbox import callbacks as platform
from tests.callbacks.conftest import AES_KEY, APPID, TOKEN, events, push, text_message


def _refusals() -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "callback.refused")
                                   .order_by(AuditEntry.id)))


def _signed(mode: str, xml: str, *, timestamp: int | None = None, nonce: str | None = None) -> tuple[dict, bytes]:
    """(query, body) of one push as the platform signs it in `mode`."""
    config = platform.CallbackConfig(url="http://127.0.0.1/", token=TOKEN,
                                     encoding_aes_key=AES_KEY if mode != "plaintext" else None, mode=mode)
    ts = str(int(time.time()) if timestamp is None else timestamp)
    query, body = platform.envelope(config, APPID, "o_test_openid", xml, ts, nonce or platform.new_nonce())
    return query, body.encode("utf-8")


def _post(base: str, channel_id: int, query: dict, body: bytes) -> requests.Response:
    return requests.post(f"{base}/wechat/callback/{channel_id}", params=query, data=body,
                         headers={"Content-Type": "text/xml"}, timeout=10)


def _edit_values(channel, **changes) -> dict:
    from tests.callbacks.test_endpoint import _edit_values

    return {**_edit_values(channel), **changes}


# --- the channel's mode decides --------------------------------------------------------------------

@pytest.mark.parametrize("mode", [None, "safe"])
def test_a_safe_mode_channel_refuses_plaintext_pushes_and_audits_why(live, wechat_channel, mode):
    """None: no mode chosen, an EncodingAESKey stored, so safe. Every variant is signed with the
    channel's token (what a captured plaintext signature allows); none is read or stored."""
    channel = wechat_channel(mode=mode)

    def drop(*names):
        return lambda q, b: ({k: v for k, v in q.items() if k not in names}, b)

    answers = [
        # signature, timestamp and nonce only
        push(live, channel, text_message(msg_id="1")),
        # the parameters of an encrypted push over a clear body
        push(live, channel, text_message(msg_id="2"), mode="safe",
             tamper=lambda q, b: (q, text_message(msg_id="2"))),
        # compatible mode's body (clear fields beside <Encrypt>) with encrypt_type and msg_signature dropped
        push(live, channel, text_message(msg_id="3"), mode="compatible", tamper=drop("encrypt_type", "msg_signature")),
    ]
    assert [(r.status_code, r.text) for r in answers] == [(403, "forbidden")] * 3
    assert events() == []
    refused = _refusals()
    assert [e.after["reason"] for e in refused] == ["not_encrypted", "no_encrypt_element", "not_encrypted"]
    assert all(e.target_type == "channel" and e.target_id == str(channel.id) and e.after["mode"] == "safe"
               and e.ip == "127.0.0.1" and e.after["message"] for e in refused)
    # Not signed with the token: refused too, but nobody's to audit (anyone can send that).
    assert push(live, channel, text_message(msg_id="4"), token="anotherToken").status_code == 403
    assert len(_refusals()) == 3
    # What the MP console sends in safe and compatible modes is encrypted: taken.
    assert push(live, channel, text_message(msg_id="5"), mode="safe").text == "success"
    assert push(live, channel, text_message(msg_id="6"), mode="compatible").text == "success"
    assert [e.key for e in events()] == ["msg:5", "msg:6"]


def test_the_mode_chosen_for_the_channel_decides(live, wechat_channel):
    """The account administrator's choice (the channel form): compatible takes both, safe refuses
    plaintext from then on, plaintext takes plaintext."""
    from cms.channels import service

    channel = wechat_channel()
    service.update_channel(channel, _edit_values(channel, callback_mode="compatible"))
    assert channel.callback_mode == "compatible" and service.channel_snapshot(channel)["callback_mode"] == "compatible"
    for n, mode in enumerate(("plaintext", "compatible", "safe"), 1):
        assert push(live, channel, text_message(msg_id=f"1{n}"), mode=mode).text == "success", mode
    service.update_channel(channel, _edit_values(channel, callback_mode="safe"))
    assert push(live, channel, text_message(msg_id="21")).status_code == 403
    assert push(live, channel, text_message(msg_id="22"), mode="safe").text == "success"
    service.update_channel(channel, _edit_values(channel, callback_mode="plaintext"))
    assert push(live, channel, text_message(msg_id="31")).text == "success"
    assert [e.key for e in events()] == ["msg:11", "msg:12", "msg:13", "msg:22", "msg:31"]
    assert [e.after["reason"] for e in _refusals()] == ["not_encrypted"]
    modes = [e.after.get("callback_mode") for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "channel.updated").order_by(AuditEntry.id))]
    assert modes == ["compatible", "safe", "plaintext"]


def test_safe_and_compatible_modes_need_an_encoding_aes_key(app, wechat_channel):
    from cms.channels import service

    channel = wechat_channel(aes_key=None)
    for mode in ("safe", "compatible"):
        with pytest.raises(Refused) as e:
            service.update_channel(channel, _edit_values(channel, callback_mode=mode))
        assert "EncodingAESKey" in " ".join(e.value.fields["callback_mode"])
    with pytest.raises(Refused) as e:
        service.update_channel(channel, _edit_values(channel, callback_mode="loud"))
    assert "callback_mode" in e.value.fields
    db.session.rollback()
    # Given with the key in the same save: fine.
    service.update_channel(channel, _edit_values(channel, callback_mode="safe", encoding_aes_key=AES_KEY))
    assert channel.callback_mode == "safe" and channel.effective_callback_mode == "safe"


def test_a_safe_mode_channel_without_a_stored_key_refuses_every_push(live, wechat_channel):
    """Only by hand in the database (the form refuses it): nothing can be opened, nothing is taken."""
    channel = wechat_channel(aes_key=None, mode="safe")
    assert push(live, channel, text_message(msg_id="1"), mode="safe").status_code == 403
    assert push(live, channel, text_message(msg_id="2")).status_code == 403
    assert events() == [] and [e.after["reason"] for e in _refusals()] == ["no_key", "not_encrypted"]


def test_the_administrator_chooses_the_mode_in_the_channel_form(live, client_as):
    """The edit page offers the modes (automatic: safe with a stored EncodingAESKey); the one saved
    is what the endpoint then holds pushes to."""
    from cms.channels.models import Channel
    from tests.channels.test_channels import _edit_form

    group = db.session.scalar(select(Channel).where(Channel.name == "星海集团"))
    admin = client_as("account_admin")
    html = admin.get(f"/channels/{group.id}/edit").get_data(as_text=True)
    assert 'name="callback_mode"' in html
    assert all(label in html for label in ("安全模式", "兼容模式", "明文模式", "自动"))
    token = group.callback_token()
    r = admin.post(f"/channels/{group.id}/edit", data=_edit_form(group, callback_mode="compatible"))
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Channel, group.id).callback_mode == "compatible"
    html = admin.get(f"/channels/{group.id}/edit").get_data(as_text=True)
    assert 'selected value="compatible"' in html or 'value="compatible" selected' in html
    assert push(live, group, text_message(msg_id="1"), token=token).text == "success"
    r = admin.post(f"/channels/{group.id}/edit", data=_edit_form(group, callback_mode=""))
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Channel, group.id).callback_mode is None  # automatic: the key is stored, so safe
    assert push(live, group, text_message(msg_id="2"), token=token).status_code == 403
    # Safe mode on a channel without a key is refused with the reason, the other values kept.
    tech = db.session.scalar(select(Channel).where(Channel.name == "星海科技"))
    tech.set_encoding_aes_key(None)
    db.session.commit()
    r = admin.post(f"/channels/{tech.id}/edit", data=_edit_form(tech, callback_mode="safe", level="subsidiary"))
    assert r.status_code in (200, 400) and "EncodingAESKey" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Channel, tech.id).callback_mode is None


def test_the_command_line_sets_the_mode_and_refuses_safe_without_a_key(app):
    from click.testing import CliRunner

    from cms.channels.models import Channel

    def add(name, *extra):
        return CliRunner().invoke(app.cli, ["cms", "channel", "add", "--name", name, "--platform", "wechat",
                                            "--appid", "wxclimode00000001", "--secret-stdin", "--manager",
                                            "account_admin", "--callback-token", TOKEN, *extra], input="s3cret\n")

    r = add("命令行兼容模式", "--encoding-aes-key", AES_KEY, "--callback-mode", "compatible")
    assert r.exit_code == 0, r.output
    r = add("命令行安全模式", "--callback-mode", "safe")
    assert r.exit_code != 0 and "EncodingAESKey" in r.output
    db.session.expire_all()
    modes = dict(db.session.execute(select(Channel.name, Channel.callback_mode).where(Channel.name.like("命令行%"))).all())
    assert modes == {"命令行兼容模式": "compatible"}


# --- replays ---------------------------------------------------------------------------------------

@pytest.fixture(params=["database", "redis"])
def backend(request, live):
    """The nonce cache the live app uses: its database (the default) or Redis (CMS_CALLBACK_NONCE_URL)."""
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        live.app.config["CALLBACK_NONCE_URL"] = url
        return url
    live.app.config["CALLBACK_NONCE_URL"] = ""
    return ""


def _held(backend: str, channel_id: int, query: dict) -> bool:
    """Whether the nonce cache holds the push's nonce (and, in Redis, with an expiry)."""
    from cms.callbacks import nonces
    from cms.callbacks.models import CallbackNonce

    if backend:
        import redis

        r = redis.Redis.from_url(backend)
        key = nonces.redis_key(channel_id, query["timestamp"], query["nonce"])
        ttl = r.ttl(key)
        r.close()
        return 0 < ttl <= 300 + nonces.MARGIN_SECONDS + 1
    db.session.expire_all()
    return db.session.scalar(select(CallbackNonce.id).where(
        CallbackNonce.channel_id == channel_id, CallbackNonce.timestamp == int(query["timestamp"]),
        CallbackNonce.nonce == query["nonce"])) is not None


def test_an_exact_replay_is_refused_and_not_handled_again(live, wechat_channel, backend, caplog, monkeypatch):
    channel = wechat_channel()
    query, body = _signed("safe", text_message(msg_id="41"))
    assert _post(live.url, channel.id, query, body).text == "success"
    # The stored event gone (as if never kept): a replay that got through would store it again.
    db.session.query(CallbackEvent).delete()
    db.session.commit()
    # (alembic's fileConfig, run for the test template, disables the loggers that existed then)
    monkeypatch.setattr(logging.getLogger("cms.callbacks.views"), "disabled", False)
    caplog.set_level(logging.WARNING, logger="cms.callbacks.views")
    r = _post(live.url, channel.id, query, body)
    assert (r.status_code, r.text) == (403, "forbidden")
    assert events() == []
    assert any("replay" in rec.getMessage() for rec in caplog.records)
    assert _held(backend, channel.id, query)
    # The same timestamp and nonce under a fresh ciphertext (so another msg_signature), or without
    # the plain `signature` (as a WeCom-style push comes): the same push, refused.
    q2, b2 = _signed("safe", text_message(msg_id="41"), timestamp=int(query["timestamp"]), nonce=query["nonce"])
    assert q2["msg_signature"] != query["msg_signature"]
    assert _post(live.url, channel.id, q2, b2).status_code == 403
    stripped = {k: v for k, v in query.items() if k != "signature"}
    assert _post(live.url, channel.id, stripped, body).status_code == 403
    # Plaintext mode's replay too.
    plain = wechat_channel(aes_key=None)
    q3, b3 = _signed("plaintext", text_message(msg_id="42"))
    assert [_post(live.url, plain.id, q3, b3).status_code for _ in range(3)] == [200, 403, 403]
    # A fresh nonce is a new request (a retry: kept once by its MsgId).
    assert push(live, channel, text_message(msg_id="41"), mode="safe").text == "success"
    assert [e.key for e in events(channel.id)] == ["msg:41"]
    assert _refusals() == []  # replays are logged, not audited (anyone holding one could fill the trail)


def test_an_exact_replay_of_another_channels_push_is_that_channels_own(live, wechat_channel, backend):
    """Keyed on the channel too: the same token on two channels (an administrator's copy and paste)
    does not make one channel's push a replay on the other."""
    first, second = wechat_channel(), wechat_channel()
    query, body = _signed("safe", text_message(msg_id="51"))
    assert _post(live.url, first.id, query, body).text == "success"
    assert _post(live.url, second.id, query, body).text == "success"
    assert _post(live.url, second.id, query, body).status_code == 403
    assert len(events(first.id)) == len(events(second.id)) == 1


def test_a_refused_plaintext_push_cannot_be_replayed_into_the_audit_trail(live, wechat_channel, backend):
    channel = wechat_channel()
    query, body = _signed("plaintext", text_message(msg_id="61"))
    assert [_post(live.url, channel.id, query, body).status_code for _ in range(4)] == [403] * 4
    assert len(_refusals()) == 1 and events() == []


def test_two_processes_cannot_both_take_one_nonce(live, second_live, wechat_channel, backend):
    """Two app instances on one database (and one Redis): the same push sent to both at once is taken
    by exactly one; the other answers 403."""
    other = second_live(CALLBACK_NONCE_URL=backend)
    channel_id = wechat_channel().id
    outcomes = []
    for n in range(6):
        query, body = _signed("safe", text_message(msg_id=f"7{n}"))
        start = threading.Barrier(2)

        def send(base, query=query, body=body, start=start):
            start.wait(5)
            r = _post(base, channel_id, query, body)
            return r.status_code, r.text

        with ThreadPoolExecutor(2) as pool:
            outcomes.append(sorted(pool.map(send, (live.url, other.url))))
    assert outcomes == [[(200, "success"), (403, "forbidden")]] * 6
    assert len(events(channel_id)) == 6


def test_without_its_nonce_cache_the_endpoint_takes_nothing(live, wechat_channel, caplog):
    """Redis named but down: 503 (WeChat tries again), nothing stored, nothing handled."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    live.app.config["CALLBACK_NONCE_URL"] = f"redis://127.0.0.1:{port}/0"
    channel = wechat_channel()
    r = push(live, channel, text_message(msg_id="81"), mode="safe")
    assert (r.status_code, r.text) == (503, "unavailable") and events() == []


def test_nonce_rows_expire_with_the_window_and_are_pruned(app, wechat_channel):
    """The database cache directly, on explicit clocks: a nonce is held until its timestamp's window
    (and a margin) has passed; rows past that are deleted by the next claim."""
    from cms.callbacks import nonces
    from cms.callbacks.models import CallbackNonce

    channel_id = wechat_channel().id
    ts = 1_700_000_000
    assert nonces.claim(channel_id, str(ts), "111", now=ts, max_age=300) is True
    assert nonces.claim(channel_id, str(ts), "111", now=ts + 299, max_age=300) is False
    assert nonces.claim(channel_id, str(ts), "222", now=ts, max_age=300) is True
    assert nonces.claim(channel_id, str(ts + 1), "111", now=ts, max_age=300) is True  # another timestamp
    later = ts + 1 + 300 + nonces.MARGIN_SECONDS + 1  # past the ts + 1 row's expiry too
    assert nonces.claim(channel_id, str(later), "333", now=later, max_age=300) is True
    db.session.expire_all()
    assert [(r.timestamp, r.nonce) for r in db.session.scalars(select(CallbackNonce))] == [(later, "333")]
    # Released (the handler failed): the same request may come again.
    nonces.release(channel_id, str(later), "333")
    assert nonces.claim(channel_id, str(later), "333", now=later, max_age=300) is True


def test_a_nonce_too_long_is_refused(live, wechat_channel):
    channel = wechat_channel()
    r = push(live, channel, text_message(), mode="safe", nonce="9" * 200)
    assert r.status_code == 403 and events() == []
