"""The pure rules (no database, no clock): the 48-hour window, the purge cutoff, the datacube
spans (61501: articles one day a call, followers at most 7), msgids."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from cms.followers import rules

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("now, open_", [
    (T0, True),
    (T0 + timedelta(hours=47, minutes=59), True),
    (T0 + timedelta(hours=48), False),  # closes at exactly 48 hours
    (T0 + timedelta(days=3), False),
])
def test_window(now, open_):
    assert rules.window_open(T0, now) is open_
    assert rules.window_closes_at(T0) == T0 + timedelta(hours=48)


def test_no_message_no_window():
    assert rules.window_open(None, T0) is False and rules.window_closes_at(None) is None


@pytest.mark.parametrize("days, cutoff", [(180, T0 - timedelta(days=180)), (1, T0 - timedelta(days=1)),
                                          (0, T0 - timedelta(days=1)), (-5, T0 - timedelta(days=1))])
def test_purge_cutoff(days, cutoff):
    assert rules.purge_cutoff(T0, days) == cutoff


def test_spans():
    d = date(2026, 12, 1)
    assert rules.article_days(d, d + timedelta(days=2)) == [(d + timedelta(days=n),) * 2 for n in range(3)]
    spans = rules.user_spans(d, d + timedelta(days=15))
    assert spans == [(d, d + timedelta(days=6)), (d + timedelta(days=7), d + timedelta(days=13)),
                     (d + timedelta(days=14), d + timedelta(days=15))]
    assert all((b - a).days < rules.USER_SPAN_DAYS for a, b in spans)
    assert rules.user_spans(d, d - timedelta(days=1)) == []
    assert rules.fetch_range(date(2026, 12, 7), 3) == (date(2026, 12, 4), date(2026, 12, 6))  # up to yesterday


@pytest.mark.parametrize("text, problem", [("", "empty"), ("   ", "empty"), ("好", None),
                                           ("字" * rules.REPLY_MAX, None), ("字" * (rules.REPLY_MAX + 1), "too_long")])
def test_check_reply(text, problem):
    assert rules.check_reply(text) == problem


def test_msgids():
    assert rules.article_msgid("2247483647", 2) == "2247483647_2"
    assert rules.split_msgid("2247483647_2") == ("2247483647", 2)
    assert rules.split_msgid("nonsense") is None and rules.split_msgid("_1") is None
