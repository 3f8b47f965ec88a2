"""Errors a service raises when it refuses: views flash them, the API answers them as JSON."""
from __future__ import annotations


class Refused(Exception):
    """A request that breaks a rule or names something wrong. `code` is the policy ID where a
    rule refused it (e.g. "U2"), else a short word; `status` the HTTP status the API answers."""

    status = 422

    def __init__(self, message: str, *, code: str = "invalid", status: int | None = None,
                 fields: dict | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.fields = fields or {}
        self.extra = extra or {}
        if status is not None:
            self.status = status


class NotFound(Refused):
    status = 404


class Conflict(Refused):
    status = 409
