"""WeChat → us (WECHAT_API.md 2): wechatpy's own signature check, AES envelope and message parser,
behind three functions, so the callback endpoint (cms/callbacks) never imports wechatpy and never
does crypto of its own.

    check_signature(token, signature, timestamp, nonce)          plaintext: sha1 of sorted token, timestamp, nonce
    decrypt(token, aes_keys, app_id, body, msg_signature, timestamp, nonce) -> str
                                                                 safe and compatible modes: msg_signature
                                                                 covers the <Encrypt> text too; the appid
                                                                 inside must be the channel's; the current
                                                                 key first, then the one it replaced
    parse(xml) -> Incoming(kind, fields, message_class)          wechatpy.parse_message
    has_encrypt(body) -> bool                                    the pushed XML carries an <Encrypt>
                                                                 (compatible and safe modes' envelope)

`body` for decrypt is the raw XML pushed (`<xml>...<Encrypt/></xml>`), or {"Encrypt": text} for an
encrypted echostr. Errors come out as two classes: `BadSignature` (not from the holder of the
token or key: refuse, 403) and `Unreadable` (authentic but not something we can read: 400).
"""
from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass
from xml.parsers.expat import ExpatError

from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature as _check_signature


class BadSignature(Exception):
    """The signature (or msg_signature, or the appid inside the envelope) does not match."""


class WrongAppId(BadSignature):
    """The message opened to another AppID (or a wrong key made it look so)."""


class Unreadable(Exception):
    """Signed correctly, but the envelope or the XML cannot be read (a wrong EncodingAESKey, a
    message without MsgType, broken XML)."""


@dataclass
class Incoming:
    kind: str  # the Event for an event (as sent: "MASSSENDJOBFINISH"), else the MsgType ("text")
    fields: dict  # the XML's fields as wechatpy parsed them (xmltodict: nested dicts, lists, strings)
    message_class: str  # wechatpy's class for it, e.g. "MassSendJobFinishEvent", "UnknownMessage"


def check_signature(token: str, signature: str, timestamp: str, nonce: str) -> None:
    if not (signature and timestamp and nonce):
        raise BadSignature("signature, timestamp and nonce are required")
    try:
        _check_signature(token, signature, timestamp, nonce)
    except InvalidSignatureException:
        raise BadSignature("signature mismatch") from None


def decrypt(token: str, aes_keys: list[str], app_id: str, body, msg_signature: str, timestamp: str,
            nonce: str) -> str:
    """The plaintext XML (or echostr) inside an encrypted push. `aes_keys`: the current
    EncodingAESKey, then the one it replaced: WeChat's advice is to keep both and try the previous
    one when the current cannot open a message (the MP console's key change takes a while to reach
    every sender)."""
    if not (msg_signature and timestamp and nonce):
        raise BadSignature("msg_signature, timestamp and nonce are required")
    if not aes_keys:
        raise BadSignature("an encrypted message, but no EncodingAESKey is stored")
    first: Exception | None = None
    for key in aes_keys:
        try:
            return _decrypt(token, key, app_id, body, msg_signature, timestamp, nonce)
        except (Unreadable, WrongAppId) as e:  # what a wrong key gives: try the previous one
            first = first or e
    raise first


def _decrypt(token: str, aes_key: str, app_id: str, body, msg_signature: str, timestamp: str, nonce: str) -> str:
    try:
        crypto = WeChatCrypto(token, aes_key, app_id)
    except (AssertionError, binascii.Error, ValueError) as e:
        raise Unreadable(f"the stored EncodingAESKey is not a valid key: {type(e).__name__}") from None
    try:
        return crypto.decrypt_message(body, msg_signature, timestamp, nonce)
    except InvalidSignatureException:
        raise BadSignature("msg_signature mismatch") from None
    except InvalidAppIdException:
        raise WrongAppId("the message is for another appid") from None
    except (ExpatError, KeyError, TypeError, ValueError, IndexError, binascii.Error, struct.error,
            UnicodeDecodeError) as e:
        # ValueError covers a ciphertext that is not whole AES blocks; a wrong key ends up here too.
        raise Unreadable(f"cannot decrypt ({type(e).__name__}): is the stored EncodingAESKey the MP "
                         "console's?") from None


def has_encrypt(body) -> bool:
    """Whether the pushed XML's root holds a non-empty <Encrypt> element, read as wechatpy reads it
    (xmltodict): text that merely mentions <Encrypt> inside another field does not count."""
    import xmltodict

    try:
        data = xmltodict.parse(body)
    except (ExpatError, TypeError, ValueError):
        return False
    root = next(iter(data.values()), None) if isinstance(data, dict) else None
    return isinstance(root, dict) and isinstance(root.get("Encrypt"), str) and bool(root["Encrypt"].strip())


def parse(xml: str) -> Incoming:
    try:
        message = parse_message(xml)
    except (ExpatError, KeyError, TypeError, AttributeError, ValueError) as e:
        raise Unreadable(f"not a WeChat message: {type(e).__name__}") from None
    if message is None or not isinstance(getattr(message, "_data", None), dict):
        raise Unreadable("empty message")
    fields = dict(message._data)
    msg_type = str(fields.get("MsgType") or "")
    kind = str(fields.get("Event") or "") if msg_type == "event" else msg_type
    if not kind:
        raise Unreadable("a message without MsgType or Event")
    return Incoming(kind=kind, fields=fields, message_class=type(message).__name__)
