"""Column types shared by every model."""
from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator
from werkzeug.routing import IntegerConverter

# The largest id every database holds: the id and number columns are INTEGER, signed 64-bit on
# SQLite but 32-bit on PostgreSQL. A larger number names nothing, and binding it raised an error (a
# 500: OverflowError past 2**63 on SQLite, NumericValueOutOfRange past 2**31 on PostgreSQL) instead
# of "not found".
DB_INT_MAX = 2**31 - 1


def db_int(value) -> bool:
    """An int (not a bool) every database's integer column can hold."""
    return isinstance(value, int) and not isinstance(value, bool) and -DB_INT_MAX - 1 <= value <= DB_INT_MAX


def at_most_regex(n: int) -> str:
    """A regex matching the decimal numbers 0..n (n > 0): any shorter number, or one as long as n
    that is not larger, digit by digit."""
    digits = str(n)
    alternatives = [rf"\d{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for i, d in enumerate(digits):
        if d != "0":
            rest = len(digits) - i - 1
            alternatives.append(digits[:i] + f"[0-{int(d) - 1}]" + (rf"\d{{{rest}}}" if rest else ""))
    alternatives.append(digits)
    return "(?:" + "|".join(alternatives) + ")"


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` for the whole app (registered in create_app before any route): a number past
    what the databases' id columns hold does not match, so every such URL is a 404 like any id
    that names nothing, never an OverflowError. The bound is in the regex, not only in
    to_python: werkzeug picks a rule by method before converting, so a failed conversion of the
    POST rule would answer 405 where a GET rule shares the path."""

    regex = at_most_regex(DB_INT_MAX)

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        bound = DB_INT_MAX if max is None or max > DB_INT_MAX else max
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bound, signed=signed)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one (cms.workdays.now())")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
