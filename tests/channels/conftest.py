"""Channel administration against the sandbox over loopback HTTP, with the same fixtures as
tests/publishing (the sandbox server, its state, an app whose clients point at it)."""
from tests.publishing import conftest as _publishing

sandbox_server = _publishing.sandbox_server
sandbox_url = _publishing.sandbox_url
sandbox_state = _publishing.sandbox_state
platforms = _publishing.platforms
