"""The CMS served on a loopback port (real HTTP, werkzeug's threaded server, as `make run` serves
it) so that the sandbox can call it back; WeChat channels with a callback token; and pushes signed,
encrypted and posted the way the platform does it (cms/sandbox/callbacks.py, written from the
platform's specification, independent of the wechatpy the endpoint uses). Nothing is mocked: the
only thing put in front of the app is `faults`, a WSGI layer that makes the server answer 500 (or
hang until the test ends) for the next calls, as a crashed or slow server would."""
from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
import requests
from sqlalchemy import select
from werkzeug.serving import make_server

from cms.callbacks.models import CallbackEvent
from cms.channels.models import Channel
from cms.extensions import db
from cms.sandbox import callbacks as platform
from tests.conftest import wait_until
from tests.publishing import conftest as _publishing
from tests.sandbox import conftest as _sandbox

sandbox_server = _sandbox.sandbox_server
sandbox_url = _sandbox.sandbox_url
sandbox_state = _sandbox.sandbox_state
mp_base = _sandbox.mp_base
mp_client = _sandbox.mp_client
jpeg = _sandbox.jpeg
cover = _sandbox.cover
article = _sandbox.article
platforms = _publishing.platforms
outbox = _publishing.outbox
approved_post = _publishing.approved_post
midday = _publishing.midday

TOKEN = "cmsCallbackToken1"
AES_KEY = "CallbackTestKey0123456789abcdefghijklmnopqr"  # 43 letters and digits
APPID = "wxcallbacktest001"


class Faults:
    """WSGI middleware: the next `n` requests under /wechat/callback/ get HTTP 500 (`after=True`: the
    app handles them first, then the answer is lost as a 500), or (`hang=True`) get no answer until
    the test ends: longer than any caller's timeout, whatever that is, without a sleep."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.plan: list[dict] = []
        self.released = threading.Event()  # set when the test ends: hung requests answer then

    def fail(self, n: int = 1, *, after: bool = False, hang: bool = False) -> None:
        with self.lock:
            self.plan += [{"after": after, "hang": hang}] * n

    def __call__(self, environ, start_response):
        fault = None
        if environ.get("PATH_INFO", "").startswith("/wechat/callback/"):
            with self.lock:
                fault = self.plan.pop(0) if self.plan else None
        if fault is None:
            return self.app(environ, start_response)
        if fault["hang"]:
            self.released.wait(60)  # the bound only frees the thread if a test forgets to end
        if fault["after"]:  # the app does the work; its answer never reaches the caller
            result = self.app(environ, lambda status, headers, exc_info=None: (lambda data: None))
            b"".join(result)
            getattr(result, "close", lambda: None)()
        start_response("500 INTERNAL SERVER ERROR", [("Content-Type", "text/plain")])
        return [b"injected failure"]


@pytest.fixture
def live(app):
    """The test's app served on 127.0.0.1: SimpleNamespace(url, app, faults). Huey's queue is emptied
    before and after (the callbacks enqueue runs of the worker there)."""
    from cms.tasks import huey

    huey.flush()
    faults = Faults(app.wsgi_app)
    app.wsgi_app = faults
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="cms-live", daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}", app=app, faults=faults, huey=huey)
    faults.released.set()
    server.shutdown()
    thread.join(5)
    app.wsgi_app = faults.app
    huey.flush()


def serve(app) -> tuple[SimpleNamespace, callable]:
    """(SimpleNamespace(url, app), stop): `app` served on a free 127.0.0.1 port in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="cms-live-2", daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        thread.join(5)

    return SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}", app=app), stop


@pytest.fixture
def second_live(app):
    """second_live(**config) -> another app instance on the same database (as a second web process
    or machine would be), served on its own port; closed after the test."""
    from cms import create_app
    from tests.conftest import BASE_CONFIG

    made = []

    def make(**config):
        other = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                            **config})
        served, stop = serve(other)
        made.append((other, stop))
        return served

    yield make
    for other, stop in made:
        stop()
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A Redis to share nonces in: CMS_TEST_REDIS_URL's (tests/conftest.py moves it to CMS_HUEY_URL),
    else a private redis-server on a free 127.0.0.1 port, without persistence, stopped after the
    session. Skips when neither is there."""
    import os
    import shutil
    import subprocess

    import redis

    given = os.environ.get("CMS_HUEY_URL", "")
    if given.startswith(("redis://", "rediss://")):
        yield given
        return
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.path.exists(binary):
        pytest.skip("no redis-server installed and CMS_TEST_REDIS_URL names no Redis")
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        def answers() -> bool:
            assert proc.poll() is None, "redis-server exited"
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        wait_until(answers, 10, f"redis-server on port {port} does not answer")
        yield url
    finally:
        client.close()
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def wechat_channel(app):
    """wechat_channel(name=..., app_id=APPID, token=TOKEN, aes_key=AES_KEY, mode=None) -> a WeChat
    Channel with that callback token and EncodingAESKey (None: not stored) and callback mode (None:
    not chosen, so safe with a key and plaintext without)."""
    made = iter(range(1, 100))

    def make(name: str | None = None, app_id: str = APPID, token: str | None = TOKEN,
             aes_key: str | None = AES_KEY, mode: str | None = None) -> Channel:
        channel = Channel(name=name or f"回调测试号{next(made)}", platform="wechat", app_id=app_id, theme={},
                          account_kind="service")
        channel.set_callback_token(token)
        channel.set_encoding_aes_key(aes_key)
        if mode is not None:
            channel.callback_mode = mode
        db.session.add(channel)
        db.session.commit()
        return channel

    return make


def callback_path(channel) -> str:
    return f"/wechat/callback/{channel.id if hasattr(channel, 'id') else channel}"


def push(live, channel, xml: str, *, mode: str = "plaintext", token: str = TOKEN, aes_key: str = AES_KEY,
         appid: str = APPID, timestamp: int | None = None, nonce: str | None = None, tamper=None) -> requests.Response:
    """POST `xml` to the channel's callback as the platform would in `mode`. `tamper(query, body)`
    may change the request before it goes."""
    config = platform.CallbackConfig(url=live.url, token=token, encoding_aes_key=aes_key if mode != "plaintext"
                                     else None, mode=mode)
    ts = str(int(time.time()) if timestamp is None else timestamp)
    query, body = platform.envelope(config, appid, "o_test_openid", xml, ts, nonce or platform.new_nonce())
    if tamper is not None:
        query, body = tamper(query, body)
    return requests.post(live.url + callback_path(channel), params=query, data=body.encode("utf-8"),
                         headers={"Content-Type": "text/xml"}, timeout=10)


def text_message(msg_id: str = "6054768590064713728", content: str = "你好", create_time: int | None = None) -> str:
    return ("<xml><ToUserName><![CDATA[gh_test]]></ToUserName>"
            "<FromUserName><![CDATA[o_follower_1]]></FromUserName>"
            f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>")


def events(channel_id: int | None = None) -> list[CallbackEvent]:
    db.session.expire_all()
    q = select(CallbackEvent).order_by(CallbackEvent.id)
    if channel_id is not None:
        q = q.where(CallbackEvent.channel_id == channel_id)
    return list(db.session.scalars(q))


@pytest.fixture
def fast_callbacks(sandbox_state):
    """The sandbox pushes at once and retries at once (the tests wait on state.wait_deliveries)."""
    sandbox_state.configure(callback_delay=0.05, callback_retry_delay=0.05)
    return sandbox_state
