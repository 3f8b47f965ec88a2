"""Publications through the API (API.md): a post whose publication failed is still readable, with
the failure named (it was a 500: the failed step, a bare string in the progress map, was read as a
step's record)."""
from sqlalchemy import select

from cms.auth.service import get_by_username
from cms.channels.models import Channel
from cms.extensions import db
from cms.publishing import queries, scheduling
from cms.publishing.tasks import publish_due


def _failed_post(outbox, approved_post):
    subsid = db.session.scalar(select(Channel).where(Channel.name == "星海科技"))
    outbox.configure(subsid.app_id, push_quota=0)  # today's push was made in the MP console
    post = approved_post(channels=("星海科技",), push={"星海科技": True})
    scheduling.schedule(get_by_username("account_admin"), post)
    publish_due.call_local(post.id)
    db.session.expire_all()
    (pub,) = queries.publications_for(post)
    assert pub.state == "failed"
    return post, pub


def test_a_failed_publication_is_shown_with_its_step_and_error(outbox, approved_post, api):
    post, pub = _failed_post(outbox, approved_post)
    for path in (f"/posts/{post.id}", f"/posts/{post.id}/publications", f"/posts/{post.id}/publications?all=1"):
        r = api("account_admin")("GET", path)
        assert r.status_code == 200, (path, r.status_code)
        (shown,) = r.json["publications"] if "publications" in r.json else r.json["items"]
        assert shown["state"] == "failed" and shown["failed_step"] == "push"
        assert shown["last_error"]["code"] == 45028 and "群发次数已用完" in shown["last_error"]["message"]
        assert shown["progress"]["push"]["state"] in ("started", "refused")
        assert "failed_step" not in shown["progress"]  # every entry of progress is a step


def test_a_retried_publication_keeps_its_history_readable(outbox, approved_post, api):
    post, pub = _failed_post(outbox, approved_post)
    subsid = db.session.scalar(select(Channel).where(Channel.name == "星海科技"))
    outbox.configure(subsid.app_id, push_quota=4)
    scheduling.retry(get_by_username("account_admin"), pub)
    r = api("account_admin")("GET", f"/posts/{post.id}/publications")
    assert r.status_code == 200
    (shown,) = r.json["items"]
    assert shown["failed_step"] is None and all(isinstance(v, dict) for v in shown["progress"].values())
