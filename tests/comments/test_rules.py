"""The pure comment rules (issue 15, C16): reply deadlines in both modes, a comment's state, the
sync diff (what a platform listing changes in the stored rows) and the response-time figures."""
from datetime import UTC, date, datetime, time

import pytest

from cms.comments import rules
from cms.comments.rules import Stored

SH = rules.SHANGHAI


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.mark.parametrize(("created", "hours", "mode", "due"), [
    # Friday 17:00, 24 working hours of 09:00-18:00: 1 h Friday, 9 Monday, 9 Tuesday, 5 Wednesday → 14:00
    (local(2026, 12, 4, 17, 0), 24, "working_hours", local(2026, 12, 9, 14, 0)),
    # the same comment on the clock: Saturday 17:00
    (local(2026, 12, 4, 17, 0), 24, "wall_clock", local(2026, 12, 5, 17, 0)),
    # at night: counted from the next morning's opening
    (local(2026, 12, 7, 22, 30), 4, "working_hours", local(2026, 12, 8, 13, 0)),
    # on Sunday: from Monday 09:00
    (local(2026, 12, 6, 11, 0), 2, "working_hours", local(2026, 12, 7, 11, 0)),
    # within the day
    (local(2026, 12, 7, 10, 0), 3, "working_hours", local(2026, 12, 7, 13, 0)),
])
def test_reply_due(created, hours, mode, due):
    assert rules.reply_due(created, hours, mode, {}, (time(9), time(18)), SH) == due.astimezone(UTC)


def test_reply_due_skips_an_entered_holiday_and_counts_a_swapped_working_day():
    created = local(2026, 12, 4, 17, 0)  # Friday
    # Monday a holiday entered by the administrators, Saturday a swapped working day
    overrides = {date(2026, 12, 7): False, date(2026, 12, 5): True}
    # 1 h Friday, 9 Saturday, 9 Tuesday, 5 Wednesday
    assert rules.reply_due(created, 24, "working_hours", overrides) == local(2026, 12, 9, 14, 0).astimezone(UTC)
    overrides = {date(2026, 12, 7): False}  # 1 h Friday, 9 Tuesday, 9 Wednesday, 5 Thursday
    assert rules.reply_due(created, 24, "working_hours", overrides) == local(2026, 12, 10, 14, 0).astimezone(UTC)


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="deadline mode"):
        rules.reply_due(local(2026, 12, 4, 17), 24, "lunar")


def test_state_and_overdue():
    due = local(2026, 12, 9, 14).astimezone(UTC)
    before, after = local(2026, 12, 9, 13, 59), local(2026, 12, 9, 14, 1)
    assert rules.comment_state(False, False, due, before) == "unanswered"
    assert rules.comment_state(False, False, due, after) == "overdue"
    assert rules.comment_state(True, False, due, after) == "answered"
    assert rules.comment_state(True, True, due, after) == "deleted"
    assert rules.is_overdue(due, after) and not rules.is_overdue(due, before)
    assert not rules.is_overdue(due, after, answered=True) and not rules.is_overdue(due, after, deleted=True)


def item(ucid, content="好文章", ctype=0, reply=None, create_time=1796000000):
    out = {"user_comment_id": ucid, "openid": f"o{ucid}", "create_time": create_time, "content": content,
           "comment_type": ctype}
    if reply:
        out["reply"] = {"content": reply, "create_time": create_time + 60}
    return out


def test_sync_diff_inserts_new_comments_once_even_if_pages_overlap():
    diff = rules.sync_diff([], [item(1), item(2), item(2)])
    assert [f["user_comment_id"] for f in diff.inserts] == [1, 2]
    first = diff.inserts[0]
    assert first["openid"] == "o1" and first["created_at"] == datetime.fromtimestamp(1796000000, UTC)
    assert first["reply_text"] is None and first["featured"] is False


def test_sync_diff_of_an_unchanged_listing_is_empty():
    stored = [Stored(1, "好文章", False, None, False), Stored(2, "好文章", True, "谢谢", False)]
    assert rules.sync_diff(stored, [item(1), item(2, ctype=1, reply="谢谢")]).empty


def test_sync_diff_takes_platform_side_replies_features_and_deletions():
    stored = [Stored(1, "好文章", False, None, False), Stored(2, "好文章", False, "谢谢", False),
              Stored(3, "好文章", False, None, False), Stored(4, "好文章", False, None, True),
              Stored(5, "好文章", False, None, False, deleted_in_cms=True)]
    diff = rules.sync_diff(stored, [item(1, reply="在 MP 后台回复"), item(2, ctype=1), item(4)])
    assert diff.updates[1]["reply_text"] == "在 MP 后台回复" and diff.updates[1]["replied_by_id"] is None
    assert diff.updates[2] == {"featured": True, "reply_text": None, "replied_at": None, "replied_by_id": None}
    assert diff.updates[4] == {"gone_on_platform": False}  # listed again
    assert diff.deletions == [3]  # gone from the listing; 5 was deleted in the CMS and stays so
    assert not diff.inserts


def test_an_incomplete_listing_deletes_nothing():
    assert rules.sync_diff([Stored(3, "x", False, None, False)], [], complete=False).deletions == []


def test_items_without_an_id_are_skipped():
    assert rules.sync_diff([], [{"content": "x"}, {"user_comment_id": "abc"}]).empty


def test_response_figures():
    figures = rules.response_figures([("a", 3600), ("a", 7200), ("a", 36000), ("b", 1800)])
    assert figures["a"] == {"count": 3, "median": 7200, "mean": 15600}
    assert figures["b"]["median"] == 1800
    assert rules.hours_text(5400) == "1.5" and rules.hours_text(None) == ""
