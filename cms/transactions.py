"""A state change owns its transaction (issue 14): `@operation` on a service function that changes
state. The function commits what it did itself; whatever it raises (a Refused naming the policy,
a Conflict, a crash) leaves nothing behind: the session is rolled back before the exception
reaches the caller. So a view catches the refusal and re-renders the user's form from a clean
session, and never rolls back itself."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from cms.extensions import db

P = ParamSpec("P")
R = TypeVar("R")


def operation(fn: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise

    return run
