"""Who is acting and from where, for the audit trail and the archive, without services reading
Flask's globals: the web layer provides a function answering (actor, ip) for the request being
served (cms/web.request_origin, registered by create_app); outside a request (the worker, the
command line) nobody is provided and the answer is (None, "")."""
from __future__ import annotations

from collections.abc import Callable

_provider: Callable[[], tuple[object | None, str]] | None = None


def provide(fn: Callable[[], tuple[object | None, str]] | None) -> None:
    global _provider
    _provider = fn


def current() -> tuple[object | None, str]:
    """(the acting user or None, the client's address or "")."""
    return _provider() if _provider is not None else (None, "")
