"""The outbox fixtures (an approved post, the loopback sandbox) for the API's publication tests."""
from tests.publishing import conftest as _publishing

sandbox_server = _publishing.sandbox_server
sandbox_url = _publishing.sandbox_url
sandbox_state = _publishing.sandbox_state
platforms = _publishing.platforms
outbox = _publishing.outbox
approved_post = _publishing.approved_post
