"""Notifications against a real database (the `app` fixture) and the real WeCom sandbox over loopback
HTTP; the Huey tasks are read from the real queue and run in-process with call_local()."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from flask import Flask
from werkzeug.serving import make_server

from cms.sandbox import SandboxState, create_sandbox_blueprint

CORP, AGENT = "wwnotifytest00001", 1000002
PUBLIC = "http://cms.example.test"


@pytest.fixture(scope="session")
def wecom_server():
    state = SandboxState()
    sandbox = Flask(__name__)
    sandbox.register_blueprint(create_sandbox_blueprint(state))
    server = make_server("127.0.0.1", 0, sandbox, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="wecom-sandbox", daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}", state=state)
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def wecom(app, wecom_server):
    """WeCom configured on the app and pointed at a freshly reset sandbox; yields the sandbox's
    WeCom state (`.messages`, `.add_user(...)`; `.parent` is the whole SandboxState)."""
    state = wecom_server.state
    state.reset()
    app.config.update(
        WECOM_CORP_ID=CORP,
        WECOM_SECRET="sandbox-secret",
        WECOM_AGENT_ID=AGENT,
        WECOM_API_BASE_URL=f"{wecom_server.url}/qy/cgi-bin/",
        PUBLIC_BASE_URL=PUBLIC,
        PLATFORM_TIMEOUT=5,
    )
    yield state.wecom
    state.reset()


@pytest.fixture
def queue():
    """new() -> the send_wecom tasks queued since the fixture started (by argument lists), so tests
    see exactly what a commit queued, whatever earlier tests left in the shared queue."""
    from cms.tasks import huey

    before = {t.id for t in huey.pending()}

    def new() -> list[list[int]]:
        return [t.args[0] for t in huey.pending() if t.id not in before and t.name.endswith("send_wecom")]

    return SimpleNamespace(new=new)
