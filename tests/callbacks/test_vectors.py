"""The official test vectors (WECHAT_API.md 2) through our endpoint over HTTP, with the clock moved to
each vector's time (the endpoint refuses a timestamp more than 5 minutes off, so a vector from 2014
is otherwise a replay); and the sandbox's side of the envelope checked against the same vectors
byte for byte, so the sandbox speaks the platform's format, not merely wechatpy's."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from cms.sandbox import callbacks as platform
from tests.callbacks.conftest import callback_path, events

# The plaintext URL check (WECHAT_API.md 2).
URL_CHECK = {"token": "AAAAA", "timestamp": "1714037059", "nonce": "486452656",
             "signature": "899cf89e464efb63f54ddac96b0a0a235f53aa78"}

# WeCom's sample (developer.work.weixin.qq.com/document/path/90968), checked with wechatpy's MP crypto.
WECOM = {"token": "QDG6eK", "key": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "id": "wx5823bf96d3bd56c7"}
WECOM_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJ"
    "Ts3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2h"
    "gf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4E"
    "hzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2"
    "YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==")
WECOM_MESSAGE = {"msg_signature": "477715d11cdb4164915debcba66cb864d751f3e6", "timestamp": "1409659813",
                 "nonce": "1372623149"}
WECOM_BODY = (f"<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[{WECOM_ENCRYPT}]]>"
              "</Encrypt><AgentID><![CDATA[218]]></AgentID></xml>")
WECOM_PLAINTEXT = ("<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n"
                   "<FromUserName><![CDATA[mycreate]]></FromUserName>\n<CreateTime>1409659813</CreateTime>\n"
                   "<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello]]></Content>\n"
                   "<MsgId>4561255354251345929</MsgId>\n<AgentID>218</AgentID>\n</xml>")
WECOM_RANDOM = b"0960688932c47ef1"  # the 16 random bytes of that ciphertext
WECOM_ECHO = {"msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "timestamp": "1409659589",
              "nonce": "263014780",
              "echostr": "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="}

# The MP sample code (cryptoDemo.zip, Sample.py): compatible mode, clear fields beside <Encrypt>.
MP = {"token": "spamtest", "key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "id": "wx2c2769f8efd9abc2"}
MP_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9Fr"
    "XpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WG"
    "zjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBY"
    "YI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=")
MP_MESSAGE = {"msg_signature": "5d197aaffba7e9b25a30732f161a50dee96bd5fa", "timestamp": "1409735669",
              "nonce": "1320562132"}
MP_BODY = ("<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLz"
           "SIWZf0rs]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType>"
           "<Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId>"
           f"<Encrypt><![CDATA[{MP_ENCRYPT}]]></Encrypt></xml>")
MP_PLAINTEXT = ("<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n<FromUserName><![CDATA[oyORnuP8q7ou2"
                "gfYjqLzSIWZf0rs]]></FromUserName>\n<CreateTime>1409735668</CreateTime>\n<MsgType><![CDATA[text]]>"
                "</MsgType>\n<Content><![CDATA[abcdteT]]></Content>\n<MsgId>6054768590064713728</MsgId>\n</xml>")
MP_RANDOM = b"89465c840c5f116f"


def at(timestamp: str, seconds: int = 20):
    return datetime.fromtimestamp(int(timestamp) + seconds, UTC)


def test_url_check_vector_echoes_the_echostr(live, wechat_channel, clock):
    channel = wechat_channel(token=URL_CHECK["token"], aes_key=None)
    url = live.url + callback_path(channel)
    args = {k: v for k, v in URL_CHECK.items() if k != "token"}
    clock.set(at(URL_CHECK["timestamp"]), tick=True)
    r = requests.get(url, params={**args, "echostr": "7029384756102938475"}, timeout=5)
    assert (r.status_code, r.text) == (200, "7029384756102938475")
    assert r.headers["Content-Type"].startswith("text/plain")
    # One digit off in the signature, the nonce or the timestamp: refused.
    for name in ("signature", "nonce", "timestamp"):
        bad = {**args, name: args[name][:-1] + ("0" if args[name][-1] != "0" else "1")}
        r = requests.get(url, params={**bad, "echostr": "7029384756102938475"}, timeout=5)
        assert r.status_code == 403 and "7029384756102938475" not in r.text, name
    # Valid, but no echostr to give back: nothing to answer.
    assert requests.get(url, params=args, timeout=5).status_code == 403
    # Another channel's token signs nothing here.
    other = wechat_channel(token="BBBBB", aes_key=None)
    assert requests.get(live.url + callback_path(other), params={**args, "echostr": "1"}, timeout=5).status_code == 403


def test_url_check_vector_is_a_replay_outside_five_minutes(live, wechat_channel, clock):
    channel = wechat_channel(token=URL_CHECK["token"], aes_key=None)
    args = {**{k: v for k, v in URL_CHECK.items() if k != "token"}, "echostr": "42"}
    for seconds, status in ((-290, 200), (290, 200), (-310, 403), (301, 403), (86400, 403)):
        clock.set(at(URL_CHECK["timestamp"], seconds))
        r = requests.get(live.url + callback_path(channel), params=args, timeout=5)
        assert r.status_code == status, seconds


def test_wecom_encrypted_message_vector_is_decrypted_and_kept(live, wechat_channel, clock):
    channel = wechat_channel(app_id=WECOM["id"], token=WECOM["token"], aes_key=WECOM["key"])
    clock.set(at(WECOM_MESSAGE["timestamp"]), tick=True)
    url = live.url + callback_path(channel)
    r = requests.post(url, params=WECOM_MESSAGE, data=WECOM_BODY.encode(), timeout=5)
    assert (r.status_code, r.text) == (200, "success")
    (event,) = events(channel.id)
    # handled: into the follower inbox (cms/followers registers the text handler)
    assert event.kind == "text" and event.key == "msg:4561255354251345929" and event.handled_at is not None
    assert event.payload["Content"] == "hello" and event.payload["FromUserName"] == "mycreate"
    assert "Encrypt" not in event.payload
    # The very same request again (WeChat's retries are signed afresh): a replay, refused.
    r = requests.post(url, params=WECOM_MESSAGE, data=WECOM_BODY.encode(), timeout=5)
    assert (r.status_code, r.text) == (403, "forbidden") and len(events(channel.id)) == 1
    # The signature covers the ciphertext: a changed byte is refused, nothing stored.
    flipped = WECOM_BODY.replace("RypEvHKD8", "RypEvHKD9")
    assert requests.post(url, params=WECOM_MESSAGE, data=flipped.encode(), timeout=5).status_code == 403
    # The same envelope for a channel with another AppID: the appid inside does not match.
    stranger = wechat_channel(app_id="wx0000000000000001", token=WECOM["token"], aes_key=WECOM["key"])
    r = requests.post(live.url + callback_path(stranger), params=WECOM_MESSAGE, data=WECOM_BODY.encode(), timeout=5)
    assert r.status_code == 403 and events(stranger.id) == []


def test_wecom_encrypted_echostr_vector(live, wechat_channel, clock):
    channel = wechat_channel(app_id=WECOM["id"], token=WECOM["token"], aes_key=WECOM["key"])
    clock.set(at(WECOM_ECHO["timestamp"]), tick=True)
    r = requests.get(live.url + callback_path(channel), params=WECOM_ECHO, timeout=5)
    assert (r.status_code, r.text) == (200, "1616140317555161061")
    # Without an EncodingAESKey stored, an encrypted echostr cannot be answered.
    plain = wechat_channel(app_id=WECOM["id"], token=WECOM["token"], aes_key=None)
    assert requests.get(live.url + callback_path(plain), params=WECOM_ECHO, timeout=5).status_code == 403


def test_mp_sample_vector_in_compatible_mode(live, wechat_channel, clock):
    channel = wechat_channel(app_id=MP["id"], token=MP["token"], aes_key=MP["key"])
    clock.set(at(MP_MESSAGE["timestamp"]), tick=True)
    r = requests.post(live.url + callback_path(channel), params={**MP_MESSAGE, "encrypt_type": "aes"},
                      data=MP_BODY.encode(), timeout=5)
    assert (r.status_code, r.text) == (200, "success")
    (event,) = events(channel.id)
    assert event.key == "msg:6054768590064713728" and event.payload["Content"] == "abcdteT"


def test_sandbox_envelope_reproduces_the_official_ciphertexts():
    """Given the same 16 random bytes, the sandbox's AES envelope is the official one, bit for bit;
    its signatures are the official ones."""
    assert platform.encrypt(WECOM["key"], WECOM["id"], WECOM_PLAINTEXT, WECOM_RANDOM) == WECOM_ENCRYPT
    assert platform.encrypt(MP["key"], MP["id"], MP_PLAINTEXT, MP_RANDOM) == MP_ENCRYPT
    assert platform.sign(WECOM["token"], WECOM_MESSAGE["timestamp"], WECOM_MESSAGE["nonce"],
                         WECOM_ENCRYPT) == WECOM_MESSAGE["msg_signature"]
    assert platform.sign(MP["token"], MP_MESSAGE["timestamp"], MP_MESSAGE["nonce"], MP_ENCRYPT) == MP_MESSAGE[
        "msg_signature"]
    assert platform.sign(URL_CHECK["token"], URL_CHECK["timestamp"], URL_CHECK["nonce"]) == URL_CHECK["signature"]
    with pytest.raises(ValueError):
        platform.encrypt("too-short", WECOM["id"], "<xml/>")
