"""Hostile input in the followers' inbox (issue 18): a follower's message carrying the XSS corpus
and strange strings arrives through the sandbox's callback; the moderator's answer carries it too;
the inbox, the conversation page and the figures stay inert; a refused answer keeps its text."""
from __future__ import annotations

from tests.followers.conftest import channel, follower_writes, inbox_rows, login
from tests.hostile import STRANGE, assert_safe, value


def test_hostile_messages_and_answers_stay_text(live, state):
    ch = channel()
    follower_writes(state, ch, "o_hostile_1", value(590, "message"))
    follower_writes(state, ch, "o_hostile_2", STRANGE["rtl"] + STRANGE["zwj"])
    # A NUL byte makes the pushed XML invalid (WeChat never sends one): the callback answers 400 to
    # every attempt, never a 500, and nothing is stored.
    follower_writes(state, ch, "o_hostile_nul", STRANGE["nul"])
    assert {a["status"] for a in state.deliveries[-1].attempts} == {400}
    rows = inbox_rows(ch)
    assert {r.openid for r in rows} == {"o_hostile_1", "o_hostile_2"}, [r.openid for r in rows]
    moderator = login(live.test_client(), "moderator")
    assert_safe(moderator.get(f"/followers/?channel={ch.id}"), shown="HOSTILE-message")
    assert_safe(moderator.get(f"/followers/{ch.id}/o_hostile_1"), shown="HOSTILE-message")
    assert_safe(moderator.get(f"/followers/{ch.id}/o_hostile_2"))
    r = moderator.post(f"/followers/{ch.id}/o_hostile_1/answer", data={"text": value(600, "answer")})
    page = assert_safe(r)
    if r.status_code != 302:
        assert 400 <= r.status_code < 500 and "HOSTILE-answer" in page
        r = moderator.post(f"/followers/{ch.id}/o_hostile_1/answer",
                           data={"text": value(600, "answer"), "confirm": "y"})
        assert_safe(r)
    assert_safe(moderator.get(f"/followers/{ch.id}/o_hostile_1"))
    r = moderator.post(f"/followers/{ch.id}/o_hostile_2/answer", data={"text": STRANGE["long"]})
    assert 400 <= r.status_code < 500
    assert "长长长长" in assert_safe(r)  # refused, the text kept
    assert_safe(moderator.get(f"/followers/figures?channel={ch.id}"))
