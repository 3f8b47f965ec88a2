"""Keyset pagination for the long lists (posts, audit trail, archive): a page is "the N rows after
(or before) this row" on (sort key, id), never OFFSET, so page 2,000 costs what page 1 costs. The
cursor in the URL is the boundary row's sort key and id ("2026-12-07T02:00:00+00:00~123", or
"123" for a list ordered by one unique column). No count: "newer" and "older" links only.

keyset_page(select, (Post.created_at, Post.id), after=..., before=..., per_page=50) → Page.
The select's own ORDER BY is replaced by the keyset's, newest first."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import DateTime, literal, tuple_

from cms.dbtypes import db_int
from cms.extensions import db

SEP = "~"


@dataclass
class Page:
    items: list = field(default_factory=list)
    per_page: int = 50
    newer: str | None = None  # cursor of the page before this one (`before=`), None on the first
    older: str | None = None  # cursor of the page after this one (`after=`), None on the last


def _value(row, column):
    return getattr(row, column.key)


def _encode(values) -> str:
    return SEP.join(v.isoformat() if isinstance(v, datetime) else str(v) for v in values)


def _decode(cursor: str | None, columns):
    """The cursor's values, typed like the columns; None for a missing or malformed cursor (a
    hand-edited URL shows the first page, never a 500)."""
    if not cursor:
        return None
    parts = cursor.split(SEP)
    if len(parts) != len(columns):
        return None
    values = []
    try:
        for part, column in zip(parts, columns, strict=True):
            if _is_datetime(column):
                when = datetime.fromisoformat(part)
                if when.tzinfo is None:
                    return None
                values.append(when)
            else:
                number = int(part)
                if not db_int(number):  # past what an id column holds (a 500 on PostgreSQL)
                    return None
                values.append(number)
    except ValueError:
        return None
    return values


def _is_datetime(column) -> bool:
    kind = getattr(column.type, "impl", column.type)  # UTCDateTime is a TypeDecorator over DateTime
    return isinstance(kind, DateTime)


def keyset_page(query, columns, *, after: str | None = None, before: str | None = None,
                per_page: int = 50) -> Page:
    """One page of `query` newest first on `columns` (the last one unique, e.g. the id)."""
    columns = tuple(columns)
    def key(*cs):
        return tuple_(*cs) if len(cs) > 1 else cs[0]

    def bound(values):  # typed binds: a datetime is written as the column stores it
        return [literal(v, c.type) for v, c in zip(values, columns, strict=True)]

    after_v, before_v = _decode(after, columns), _decode(before, columns)
    q = query.order_by(None)
    if before_v is not None and after_v is None:
        q = q.where(key(*columns) > key(*bound(before_v))).order_by(*[c.asc() for c in columns])
        rows = list(db.session.scalars(q.limit(per_page + 1)))
        more_newer = len(rows) > per_page
        rows = rows[:per_page][::-1]
        page = Page(rows, per_page)
        if rows:
            page.newer = _encode(_value(rows[0], c) for c in columns) if more_newer else None
            page.older = _encode(_value(rows[-1], c) for c in columns)
        return page
    if after_v is not None:
        q = q.where(key(*columns) < key(*bound(after_v)))
    q = q.order_by(*[c.desc() for c in columns])
    rows = list(db.session.scalars(q.limit(per_page + 1)))
    more_older = len(rows) > per_page
    rows = rows[:per_page]
    page = Page(rows, per_page)
    if rows:
        page.older = _encode(_value(rows[-1], c) for c in columns) if more_older else None
        page.newer = _encode(_value(rows[0], c) for c in columns) if after_v is not None else None
    return page
