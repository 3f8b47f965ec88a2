"""The WeChat → us endpoint (WECHAT_API.md 2): GET /wechat/callback/<channel_id> answers the MP
console's URL check, POST takes the messages and events WeChat pushes, in plaintext, compatible or
safe (AES) mode.

WeChat calls it, so it is public (permissions.PUBLIC_ENDPOINTS) and exempt from CSRF: it is
authenticated by the signature made with the channel's callback token (and, when encrypted, by the
msg_signature over the ciphertext and the EncodingAESKey), never by a login or a cookie. A request
whose signature does not match, or whose timestamp is more than CALLBACK_MAX_AGE_SECONDS away from
our clock, is refused (403) before anything is read or stored. Answers are plain text: the echostr,
or `success` (also for a retried delivery already kept).

The channel's callback mode decides what a push must be (Channel.effective_callback_mode,
rules.envelope_action), never the push's own parameters: a safe-mode channel refuses a plaintext
push (403, audited callback.refused with the reason). A push is taken once: its (channel,
timestamp, nonce) is claimed in the replay cache every process shares (nonces.py) once it is
authentic and fresh, and the same again inside the window is refused (403, a log line) before it
is read or handled; the cache unreachable is 503."""
from __future__ import annotations

import logging

from flask import Blueprint, Response, request

from cms import workdays
from cms.callbacks import nonces, rules, service
from cms.channels import callback_config
from cms.extensions import csrf
from cms.platforms import callbacks as platform

log = logging.getLogger(__name__)

bp = Blueprint("callbacks", __name__)


def _plain(text: str, status: int = 200) -> Response:
    return Response(text, status=status, mimetype="text/plain", headers={"Cache-Control": "no-store"})


class Stale(Exception):
    """Signed correctly, but with a timestamp outside the window: a replay, or a clock far off."""


class Replay(Exception):
    """Signed correctly and fresh, but this channel took this timestamp and nonce already."""


def _check_fresh(args) -> None:
    if not service.is_fresh(args.get("timestamp"), workdays.now().timestamp(), service.max_age()):
        raise Stale(args.get("timestamp"))


@bp.route(callback_config.PATH.replace("{channel_id}", "<int:channel_id>"), methods=["GET", "POST"])
def wechat(channel_id: int):
    channel = service.callback_channel(channel_id)
    if channel is None:  # unknown, not WeChat, or no callback token: nothing can be checked
        return _plain("not found", 404)
    token = channel.callback_token()
    try:
        if request.method == "GET":
            return _plain(_url_check(channel, token, request.args))
        return _push(channel, token, request.args)
    except platform.BadSignature as e:
        log.warning("callback for channel %s refused: %s", channel.id, e)
        return _plain("forbidden", 403)
    except Stale as e:
        log.warning("callback for channel %s refused: timestamp %r outside %ss", channel.id, str(e)[:20],
                    service.max_age())
        return _plain("forbidden", 403)
    except Replay as e:
        log.warning("callback for channel %s refused: a replay (timestamp and nonce %s taken already)",
                    channel.id, e)
        return _plain("forbidden", 403)
    except nonces.Unavailable as e:
        log.error("callback for channel %s not taken: the nonce cache is unreachable (%s)", channel.id, e)
        return _plain("unavailable", 503)
    except platform.Unreadable as e:
        log.warning("callback for channel %s unreadable: %s", channel.id, e)
        return _plain("bad request", 400)


csrf.exempt(wechat)  # authenticated by the signature; reads no cookie


def _url_check(channel, token: str, args) -> str:
    """The MP console's check when the server configuration is saved: the echostr, unchanged. The
    WeCom-style check (msg_signature and an encrypted echostr) is answered with the decrypted one."""
    echostr = args.get("echostr") or ""
    if not echostr:
        raise platform.BadSignature("no echostr")
    if args.get("msg_signature"):
        echostr = platform.decrypt(token, channel.encoding_aes_keys(), channel.app_id or "", {"Encrypt": echostr},
                                   args.get("msg_signature"), args.get("timestamp"), args.get("nonce"))
    else:
        platform.check_signature(token, args.get("signature"), args.get("timestamp"), args.get("nonce"))
    _check_fresh(args)
    return echostr


def _push(channel, token: str, args) -> Response:
    if (request.content_length or 0) > service.MAX_BODY:
        return _plain("too large", 413)
    body = request.get_data(cache=False)
    if len(body) > service.MAX_BODY:
        return _plain("too large", 413)
    if not rules.nonce_ok(args.get("nonce")):
        raise platform.BadSignature("no nonce, or not one WeChat sends")
    mode = channel.effective_callback_mode
    keys = channel.encoding_aes_keys()
    action, reason = rules.envelope_action(
        mode, says_encrypted=args.get("encrypt_type") == "aes" or bool(args.get("msg_signature")),
        has_encrypt=platform.has_encrypt(body), has_key=bool(keys))
    if action == "decrypt":
        if args.get("signature"):  # every MP push carries it too; WeCom-style ones do not
            platform.check_signature(token, args.get("signature"), args.get("timestamp"), args.get("nonce"))
        xml = platform.decrypt(token, keys, channel.app_id or "", body, args.get("msg_signature"),
                               args.get("timestamp"), args.get("nonce"))
    else:
        # Plaintext, or read by its clear fields (rules.py). A refusal is checked the same way
        # first: only what the token's holder signed is audited.
        platform.check_signature(token, args.get("signature"), args.get("timestamp"), args.get("nonce"))
        xml = body
    _check_fresh(args)
    _claim(channel, args)
    if action == "refuse":
        service.refuse(channel, mode, reason)
        return _plain("forbidden", 403)
    try:
        incoming = platform.parse(xml)
        received = service.receive(channel, incoming.kind, incoming.fields)
    except platform.Unreadable:
        raise  # the same push would be as unreadable again: its nonce stays taken
    except Exception:
        nonces.release(channel.id, args.get("timestamp"), args.get("nonce"))
        raise
    log.info("callback for channel %s: %s %s", channel.id, incoming.kind,
             "again (kept once)" if received.duplicate else f"kept as {received.event_id}")
    return _plain("success")


def _claim(channel, args) -> None:
    if not nonces.claim(channel.id, args.get("timestamp"), args.get("nonce")):
        raise Replay(f"{args.get('timestamp')}/{args.get('nonce')}")
