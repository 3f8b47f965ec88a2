"""The loopback sandbox server of tests/sandbox, for the platform clients' shared storage."""
from tests.sandbox import conftest as _sandbox

sandbox_server = _sandbox.sandbox_server
sandbox_url = _sandbox.sandbox_url
sandbox_state = _sandbox.sandbox_state
mp_base = _sandbox.mp_base
