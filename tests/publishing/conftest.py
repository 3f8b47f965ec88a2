"""Channels against the sandbox over loopback HTTP (tests/sandbox's server), and an app whose
settings point the platform clients at it."""
import pytest

from tests.sandbox import conftest as _sandbox

sandbox_server = _sandbox.sandbox_server
sandbox_url = _sandbox.sandbox_url
sandbox_state = _sandbox.sandbox_state


@pytest.fixture
def platforms(app, sandbox_url, sandbox_state):
    """The demo app with CMS_WECHAT_API_BASE_URL and CMS_TOUTIAO_API_BASE_URL on the sandbox;
    returns the sandbox state."""
    app.config["WECHAT_API_BASE_URL"] = f"{sandbox_url}/mp/cgi-bin/"
    app.config["TOUTIAO_API_BASE_URL"] = f"{sandbox_url}/toutiao/open/v1/"
    return sandbox_state
