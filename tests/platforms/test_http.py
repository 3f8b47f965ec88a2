"""The platform clients read the proxy settings of the environment once, when made
(cms/platforms/http.py), and still honour them: a deployment behind an HTTP proxy reaches the
platform through it, and NO_PROXY hosts are called directly. The proxy here is a real one on
loopback that relays to the sandbox."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import requests

from cms.platforms import MemoryStorage, ToutiaoClient, make_mp_client
from cms.sandbox import SANDBOX_SECRET

from .conftest import _sandbox

PROXIED_HOST = "wechat-api.proxied.invalid"  # resolves nowhere: only the proxy can reach it


@pytest.fixture
def proxy(sandbox_url):
    """An HTTP forward proxy that sends every request on to the sandbox; .seen: the URLs asked."""
    seen: list[str] = []
    direct = requests.Session()
    direct.trust_env = False  # the relay itself must not go through the proxy the tests set

    class Relay(BaseHTTPRequestHandler):
        def _relay(self):
            seen.append(self.path)
            url = urlsplit(self.path)
            target = sandbox_url + url.path + ("?" + url.query if url.query else "")
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type",)}
            answer = direct.request(self.command, target, data=body, headers=headers, timeout=5)
            self.send_response(answer.status_code)
            self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = do_POST = _relay

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Relay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.seen = seen
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    thread.join(timeout=5)


def test_wechat_client_goes_through_the_environments_proxy(proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "")
    client = make_mp_client(_sandbox.APPID, SANDBOX_SECRET, base_url=f"http://{PROXIED_HOST}/mp/cgi-bin/",
                            session=MemoryStorage(), timeout=5)
    assert client.draft.count()["total_count"] == 0
    assert [urlsplit(u).path for u in proxy.seen] == ["/mp/cgi-bin/stable_token", "/mp/cgi-bin/draft/count"]
    assert {urlsplit(u).hostname for u in proxy.seen} == {PROXIED_HOST}


def test_no_proxy_hosts_are_called_directly(proxy, mp_base, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    client = make_mp_client(_sandbox.APPID, SANDBOX_SECRET, base_url=mp_base, session=MemoryStorage(), timeout=5)
    assert client.draft.count()["total_count"] == 0
    assert proxy.seen == []


def test_settings_are_read_when_the_client_is_made_not_per_call(proxy, mp_base, monkeypatch):
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
    client = make_mp_client(_sandbox.APPID, SANDBOX_SECRET, base_url=mp_base, session=MemoryStorage(), timeout=5)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "")
    assert client.draft.count()["total_count"] == 0  # made without a proxy, it keeps going direct
    assert proxy.seen == []


def test_toutiao_client_goes_through_the_environments_proxy(proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "")
    client = ToutiaoClient("tt_sandbox_1", SANDBOX_SECRET, f"http://{PROXIED_HOST}/toutiao/open/v1/",
                           session=MemoryStorage(), timeout=5)
    assert client.fetch_access_token()
    assert proxy.seen and {urlsplit(u).hostname for u in proxy.seen} == {PROXIED_HOST}
