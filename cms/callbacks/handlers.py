"""Handlers for the kinds of push the callbacks package itself does not act on (a follower's text
message, ...), registered by the packages above it: cms/callbacks must not import them (imports
point down, tests/test_architecture.py), so they register here when imported.

    register(kind, fn)     fn(event) -> bool (handled), run in the caller's transaction: it adds rows
                           and audit entries, never commits; it must be safe to run twice for one
                           event (the stored event is unique, but a handler may be asked again)
    dispatch(event)        -> (handled, set()) for service.handle: the registered handler's answer,
                           (False, set()) when none is registered for the event's kind"""
from __future__ import annotations

from collections.abc import Callable

HANDLERS: dict[str, Callable] = {}


def register(kind: str, fn: Callable) -> Callable:
    """`fn` handles pushes of `kind` (the MsgType, or the Event of an event; case does not matter)."""
    HANDLERS[kind.lower()] = fn
    return fn


def dispatch(event) -> tuple[bool, set[int]]:
    fn = HANDLERS.get((event.kind or "").lower())
    if fn is None:
        return False, set()
    return bool(fn(event)), set()
