"""Hostile input in comment moderation (issue 18): a follower's nickname and comment carrying the XSS
corpus arrive from the sandbox; the moderator's reply, saved replies and the deletion reason carry it
too; the queue, the comment page, the articles page, saved replies and the figures (and their CSV)
stay inert; a refused reply keeps its text."""
from __future__ import annotations

from sqlalchemy import select

from cms.comments import operations
from cms.comments.models import FollowerComment, ReplyTemplate
from cms.extensions import db
from tests.comments.conftest import channel
from tests.hostile import SHORT, STRANGE, assert_safe, value


def test_the_corpus_from_followers_and_moderators_stays_text(app, state, published, comment_on, client_as):
    pub = published()
    comment_on(pub, value(1000, "comment"), nickname=SHORT[:60])
    comment_on(pub, STRANGE["rtl"] + STRANGE["zwj"], nickname=STRANGE["nul"], openid="o_follower_2")
    operations.sync_channel(None, channel("星海集团"))
    comments = list(db.session.scalars(select(FollowerComment).order_by(FollowerComment.id)))
    assert len(comments) == 2
    moderator = client_as("moderator")
    assert_safe(moderator.get("/comments/"), shown="HOSTILE-comment")
    for c in comments:
        assert_safe(moderator.get(f"/comments/{c.id}"))
    assert_safe(moderator.get("/comments/articles"))
    c = comments[0]
    # A hostile reply: refused (screening) with the text kept, or sent and shown as text.
    r = moderator.post(f"/comments/{c.id}/reply", data={"text": value(600, "reply")})
    page = assert_safe(r)
    if r.status_code == 422:
        assert "HOSTILE-reply" in page
        r = moderator.post(f"/comments/{c.id}/reply", data={"text": value(600, "reply"), "confirm_warnings": "y"})
        assert_safe(r)
    assert_safe(moderator.get(f"/comments/{c.id}"))
    # Saved replies with hostile titles and text.
    r = moderator.post("/comments/templates", data={"title": value(60, "tpl"), "text": value(600, "tpltext")})
    page = assert_safe(r)
    if r.status_code == 422:
        assert "HOSTILE-tpl" in page
    else:
        t = db.session.scalar(select(ReplyTemplate).where(ReplyTemplate.title.like("HOSTILE-tpl%")))
        assert t is not None
        assert_safe(moderator.get("/comments/templates"), shown="HOSTILE-tpl")
        assert_safe(moderator.get(f"/comments/templates/{t.id}/edit"))
        assert_safe(moderator.get(f"/comments/{c.id}"))  # the saved replies are offered on the comment
    # Deletion with a hostile reason (and a too-long one, refused with the reason kept).
    r = moderator.post(f"/comments/{comments[1].id}/delete", data={"del-reason": "x" * 600})
    assert 400 <= r.status_code < 500 and "x" * 600 in assert_safe(r)
    r = moderator.post(f"/comments/{comments[1].id}/delete", data={"del-reason": value(500, "delete")})
    assert r.status_code in (302, 422)
    assert_safe(moderator.get(f"/comments/{comments[1].id}"))
    assert_safe(moderator.get("/comments/?state=deleted"))
    assert_safe(moderator.get("/comments/figures"))
    text = moderator.get("/comments/figures.csv").get_data(as_text=True)
    assert text.startswith("\ufeff")
    assert_safe(client_as("moderator").get("/comments/?q=%3Cscript%3Ealert(1)%3C/script%3E"))
