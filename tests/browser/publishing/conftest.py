"""The publishing fixtures (tests/publishing/conftest.py) on the browser tests' served app: the
sandbox, its state, an approved post, the clock at midday. Every browser test in this folder has them."""
import pytest

from tests.publishing import conftest as publishing

approved_post = publishing.approved_post
midday = publishing.midday
outbox = publishing.outbox
platforms = publishing.platforms
sandbox_server = publishing.sandbox_server
sandbox_state = publishing.sandbox_state
sandbox_url = publishing.sandbox_url


@pytest.fixture
def app(live_app):
    """The publishing fixtures work on the served app."""
    return live_app[0]
