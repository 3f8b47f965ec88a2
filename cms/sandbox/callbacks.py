"""The sandbox as the platform calling us back (WECHAT_API.md 2): an account's server configuration
(URL, token, EncodingAESKey, mode), the event XML the platform pushes when a mass send or a
freepublish job ends, its signature and AES envelope, and the delivery over real HTTP with WeChat's
retries.

The envelope is written here from the platform's specification (WECHAT_API.md 2, the MP sample code
cryptoDemo.zip), not with wechatpy: the CMS decrypts with wechatpy, so the two meet only on the
wire, and tests/callbacks checks this side against the official test vectors byte for byte.

    CallbackConfig(url, token, encoding_aes_key, mode)   mode: plaintext | compatible | safe
    mass_job_finish_xml(...) / publish_job_finish_xml(...)   the XML of the official samples
    sign(token, timestamp, nonce[, encrypt]) -> sha1 hex      signature / msg_signature
    encrypt(aes_key, appid, xml, random16=None) -> base64     16 random bytes + length + XML + appid,
                                                              PKCS#7 to 32 bytes, AES-256-CBC, IV key[:16]
    envelope(config, to_user, openid, xml, timestamp, nonce) -> (query, body)
    Delivery: one event to one URL; `run` POSTs it after `callback_delay` seconds, up to 3 tries in
              all while the answer is not HTTP 200 with `success` or an empty body within
              `callback_timeout` seconds (WeChat: 5), `callback_retry_delay` seconds apart; each
              try signed afresh (its own timestamp and nonce, so its own signature and
              ciphertext): the same event, a new request. The receiver recognises a retry by the
              event (MsgId, or FromUserName + CreateTime: WECHAT_API.md 2), never by the request,
              and refuses a request it has already taken (a replay)."""
from __future__ import annotations

import base64
import hashlib
import secrets
import string
import struct
import threading
import time
from dataclasses import dataclass, field

MODES = ("plaintext", "compatible", "safe")
TRIES = 3  # WeChat: "3 tries in all"
_ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True)
class CallbackConfig:
    url: str
    token: str
    encoding_aes_key: str | None = None
    mode: str = "plaintext"

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if not self.url.startswith(("http://", "https://")):
            raise ValueError("the callback URL starts with http:// or https://")
        if not (3 <= len(self.token) <= 32 and self.token.isalnum() and self.token.isascii()):
            raise ValueError("the token is 3 to 32 letters or digits (as the MP console asks)")
        if self.mode != "plaintext" or self.encoding_aes_key:
            key = self.encoding_aes_key or ""
            if len(key) != 43 or not key.isalnum() or not key.isascii():
                raise ValueError("compatible and safe modes need an EncodingAESKey of 43 letters or digits")


# --- identities the platform uses in its pushes --------------------------------------------------

def original_id(appid: str) -> str:
    """The account's original id (gh_...), the ToUserName of every push."""
    return "gh_" + hashlib.sha1(appid.encode()).hexdigest()[:12]


def mphelper_openid(appid: str) -> str:
    """The openid of the account's mass-send assistant (mphelper), the FromUserName of job events."""
    digest = base64.urlsafe_b64encode(hashlib.sha1(f"mphelper:{appid}".encode()).digest()).decode()
    return "o" + digest.replace("=", "")[:27]


# --- the XML -------------------------------------------------------------------------------------

def cdata(value) -> str:
    return "<![CDATA[" + str(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _head(appid: str, create_time: int, event: str) -> str:
    return (f"<ToUserName>{cdata(original_id(appid))}</ToUserName>\n"
            f"<FromUserName>{cdata(mphelper_openid(appid))}</FromUserName>\n"
            f"<CreateTime>{int(create_time)}</CreateTime>\n"
            f"<MsgType>{cdata('event')}</MsgType>\n"
            f"<Event>{cdata(event)}</Event>\n")


def mass_job_finish_xml(appid: str, create_time: int, msg_id: int, status: str, *, total: int, sent: int,
                        urls: list[str], check_state: int = 1) -> str:
    """MASSSENDJOBFINISH as the official sample has it: the counts, CopyrightCheckResult (none of
    the articles judged a reprint: Count 0, CheckState 1 "may be sent") and ArticleUrlResult (the
    URL of article N, 1-based, for each article of the message)."""
    items = "".join(f"<item>\n<ArticleIdx>{n}</ArticleIdx>\n<ArticleUrl>{cdata(url)}</ArticleUrl>\n</item>\n"
                    for n, url in enumerate(urls, 1))
    return ("<xml>\n" + _head(appid, create_time, "MASSSENDJOBFINISH")
            + f"<MsgID>{int(msg_id)}</MsgID>\n"
            f"<Status>{cdata(status)}</Status>\n"
            f"<TotalCount>{total}</TotalCount>\n<FilterCount>{sent}</FilterCount>\n"
            f"<SentCount>{sent}</SentCount>\n<ErrorCount>0</ErrorCount>\n"
            f"<CopyrightCheckResult>\n<Count>0</Count>\n<ResultList></ResultList>\n"
            f"<CheckState>{check_state}</CheckState>\n</CopyrightCheckResult>\n"
            f"<ArticleUrlResult>\n<Count>{len(urls)}</Count>\n<ResultList>\n{items}</ResultList>\n"
            "</ArticleUrlResult>\n</xml>")


def publish_job_finish_xml(appid: str, create_time: int, publish_id: str, status: int, *,
                           article_id: str | None = None, urls: list[str] = (), fail_idx: list[int] = ()) -> str:
    """PUBLISHJOBFINISH as the official samples have it: on success article_id and article_detail
    (count, one <item> per article), on failure one <fail_idx> per failed article."""
    info = f"<publish_id>{publish_id}</publish_id>\n<publish_status>{int(status)}</publish_status>\n"
    if status == 0:
        items = "".join(f"<item>\n<idx>{n}</idx>\n<article_url>{cdata(url)}</article_url>\n</item>\n"
                        for n, url in enumerate(urls, 1))
        info += (f"<article_id>{cdata(article_id or '')}</article_id>\n"
                 f"<article_detail>\n<count>{len(urls)}</count>\n{items}</article_detail>\n")
    else:
        info += "".join(f"<fail_idx>{int(n)}</fail_idx>\n" for n in fail_idx)
    return "<xml>\n" + _head(appid, create_time, "PUBLISHJOBFINISH") + f"<PublishEventInfo>\n{info}</PublishEventInfo>\n</xml>"


# --- signature and envelope ----------------------------------------------------------------------

def sign(token: str, timestamp: str, nonce: str, encrypt: str | None = None) -> str:
    """sha1 of the sorted strings: `signature` without `encrypt`, `msg_signature` with it."""
    parts = [token, timestamp, nonce] + ([encrypt] if encrypt is not None else [])
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def encrypt(aes_key: str, appid: str, xml: str, random16: bytes | None = None) -> str:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = base64.b64decode(aes_key + "=")
    if len(key) != 32:
        raise ValueError("an EncodingAESKey decodes to 32 bytes")
    msg = xml.encode("utf-8")
    random16 = random16 if random16 is not None else "".join(secrets.choice(_ALNUM) for _ in range(16)).encode()
    data = random16 + struct.pack(">I", len(msg)) + msg + appid.encode("utf-8")
    pad = 32 - len(data) % 32
    data += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(data) + encryptor.finalize()).decode("ascii")


def envelope(config: CallbackConfig, appid: str, openid: str, xml: str, timestamp: str,
             nonce: str) -> tuple[dict, str]:
    """(query parameters, body) of one push in the account's mode."""
    query = {"signature": sign(config.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
             "openid": openid}
    if config.mode == "plaintext":
        return query, xml
    encrypted = encrypt(config.encoding_aes_key, appid, xml)
    query.update(encrypt_type="aes", msg_signature=sign(config.token, timestamp, nonce, encrypted))
    if config.mode == "compatible":  # the clear fields and the ciphertext side by side
        body = xml[: xml.rindex("</xml>")] + f"<Encrypt>{cdata(encrypted)}</Encrypt>\n</xml>"
    else:
        body = (f"<xml>\n<ToUserName>{cdata(original_id(appid))}</ToUserName>\n"
                f"<Encrypt>{cdata(encrypted)}</Encrypt>\n</xml>")
    return query, body


def new_nonce() -> str:
    return str(secrets.randbelow(9 * 10**9) + 10**9)


# --- delivery ------------------------------------------------------------------------------------

@dataclass
class Delivery:
    id: int
    appid: str
    event: str
    ref: str  # msg_id or publish_id
    config: CallbackConfig
    xml: str  # the plaintext XML (what the CMS should read, whatever the mode)
    created_at: float
    state: str = "pending"  # pending | delivered | failed | abandoned (the sandbox was reset)
    attempts: list[dict] = field(default_factory=list)  # {at, status, answer} per try
    openid: str | None = None  # the `openid` query parameter: the follower's; job events mphelper's

    @property
    def url(self) -> str:
        return self.config.url

    def summary(self) -> dict:
        return {"id": self.id, "appid": self.appid, "event": self.event, "ref": self.ref, "url": self.url,
                "mode": self.config.mode, "state": self.state, "attempts": [dict(a) for a in self.attempts]}


def run(state, delivery: Delivery, epoch: int) -> None:
    """Deliver in this (background) thread. `state`: the SandboxState (settings, clock, lock)."""
    import requests

    owner = delivery.appid
    time.sleep(max(0.0, float(state.setting("callback_delay", owner))))
    for n in range(1, TRIES + 1):
        if state.epoch != epoch:  # reset meanwhile: this platform no longer exists
            state.finish_delivery(delivery, "abandoned")
            return
        timestamp, nonce = str(int(state.now())), new_nonce()
        query, body = envelope(delivery.config, delivery.appid, delivery.openid or mphelper_openid(delivery.appid),
                               delivery.xml, timestamp, nonce)
        try:
            r = requests.post(delivery.url, params=query, data=body.encode("utf-8"),
                              headers={"Content-Type": "text/xml; charset=utf-8"},
                              timeout=float(state.setting("callback_timeout", owner)))
            status, answer = r.status_code, r.text[:200]
        except requests.RequestException as e:
            status, answer = None, type(e).__name__
        ok = status == 200 and answer.strip() in ("success", "")
        state.note_attempt(delivery, {"at": state.now(), "try": n, "timestamp": timestamp, "nonce": nonce,
                                      "status": status, "answer": answer, "ok": ok})
        if ok:
            state.finish_delivery(delivery, "delivered")
            return
        if n < TRIES:
            time.sleep(max(0.0, float(state.setting("callback_retry_delay", owner))))
    state.finish_delivery(delivery, "failed")


def start(state, delivery: Delivery) -> threading.Thread:
    thread = threading.Thread(target=run, args=(state, delivery, state.epoch), daemon=True,
                              name=f"sandbox-callback-{delivery.id}")
    thread.start()
    return thread
