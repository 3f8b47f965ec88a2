"""The sandbox on a free loopback port for the whole session (real HTTP through werkzeug's threaded
server), its state reset before and after every test. Clients talk to it through wechatpy's own HTTP
stack (make_mp_client) and through ToutiaoClient: nothing is mocked."""

from __future__ import annotations

import io
import os
import threading
from types import SimpleNamespace

import pytest
from flask import Flask
from PIL import Image
from werkzeug.serving import make_server

from cms.platforms import MemoryStorage, ToutiaoClient, make_mp_client
from cms.sandbox import SANDBOX_SECRET, SandboxState, create_sandbox_blueprint

APPID = "wxsandbox00000001"


@pytest.fixture(scope="session")
def sandbox_server():
    state = SandboxState()
    app = Flask(__name__)
    app.register_blueprint(create_sandbox_blueprint(state))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="sandbox", daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}", state=state, app=app)
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def sandbox_url(sandbox_server):
    """The base URL (http://127.0.0.1:<port>) of a freshly reset sandbox."""
    sandbox_server.state.reset()
    yield sandbox_server.url
    sandbox_server.state.reset()


@pytest.fixture
def sandbox_state(sandbox_server, sandbox_url):
    return sandbox_server.state


@pytest.fixture
def mp_base(sandbox_url):
    return f"{sandbox_url}/mp/cgi-bin/"


@pytest.fixture
def mp_client(mp_base):
    """make(appid=APPID, secret="sandbox-secret", session=None) -> a wechatpy client on the sandbox."""

    def make(appid: str = APPID, secret: str = SANDBOX_SECRET, session=None):
        return make_mp_client(appid, secret, base_url=mp_base, session=session or MemoryStorage(), timeout=5)

    return make


@pytest.fixture
def toutiao_client(sandbox_url):
    def make(app_id: str = "tt_sandbox_1", secret: str = SANDBOX_SECRET):
        return ToutiaoClient(
            app_id, secret, f"{sandbox_url}/toutiao/open/v1/", session=MemoryStorage(), timeout=5
        )

    return make


def _image(fmt: str, size=(120, 80), color=(200, 40, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format=fmt)
    return buf.getvalue()


@pytest.fixture(scope="session")
def jpeg() -> bytes:
    return _image("JPEG")


@pytest.fixture(scope="session")
def png() -> bytes:
    return _image("PNG")


@pytest.fixture(scope="session")
def gif() -> bytes:
    return _image("GIF")


@pytest.fixture(scope="session")
def big_jpeg() -> bytes:
    """A 'JPEG' of just over 1 MB (the sandbox sniffs the magic bytes, as the platform checks type)."""
    return b"\xff\xd8\xff\xe0" + os.urandom(1024 * 1024)


@pytest.fixture
def cover(mp_client, jpeg):
    """make(client) -> a permanent thumb media_id on that client's account."""

    def make(client) -> str:
        return client.material.add("thumb", ("cover.jpg", jpeg, "image/jpeg"))["media_id"]

    return make


@pytest.fixture
def article():
    def make(thumb_media_id: str, **fields) -> dict:
        return {
            "title": "沙箱测试文章",
            "author": "宣传部",
            "digest": "摘要",
            "content": "<p>第一段正文。</p>",
            "thumb_media_id": thumb_media_id,
            **fields,
        }

    return make
