"""What other features do when a person leaves or changes department, inside the same transaction
(cms/auth sits below them and imports none of them, issue 14): a feature appends its handler at
import; depart() and update_user() call every handler before their commit, so a handler's rows are
committed with the departure, or rolled back with it.

    after_departure: handler(user, left_at: datetime) -> None     (G6: group removal tasks)
    after_transfer:  handler(user, old_department_id, left_at) -> None
    after_designation: handler(user, changes: {department_id: "added" | "removed"}, at) -> None
                     (C6: a contributor designated or no longer; the office is told)
"""
from __future__ import annotations

from collections.abc import Callable

after_departure: list[Callable] = []
after_transfer: list[Callable] = []
after_designation: list[Callable] = []


def register_departure(handler: Callable) -> Callable:
    if handler not in after_departure:
        after_departure.append(handler)
    return handler


def register_transfer(handler: Callable) -> Callable:
    if handler not in after_transfer:
        after_transfer.append(handler)
    return handler


def register_designation(handler: Callable) -> Callable:
    if handler not in after_designation:
        after_designation.append(handler)
    return handler
