"""The account administrator's journey in Chromium, with CSRF on (issue 18): a post approved for two
WeChat official accounts, one pushed to followers and one published only (the supervisor's choice,
C18), is on the administrator's queue with both accounts still to do; one click publishes it on
both; the worker's run takes each account its own way; the post's publications page shows both
published (the published-only one with its article link), and each sandbox account holds the article (pushed: a mass
send; published only: freepublish)."""
import re

from sqlalchemy import select

from cms.channels.models import Channel, Publication
from cms.extensions import db
from cms.publishing.tasks import publish_due
from tests.browser.conftest import log_in

ACCOUNTS = ("星海集团", "星海科技")


def test_the_administrator_publishes_one_post_on_two_accounts(midday, page, outbox, approved_post):
    state = outbox
    post = approved_post(channels=ACCOUNTS, push={"星海集团": False, "星海科技": True}, title="两个公众号同时发布的稿件")
    channels = {c.name: c for c in db.session.scalars(select(Channel).where(Channel.name.in_(ACCOUNTS)))}
    log_in(page, "account_admin")
    page.locator("nav").get_by_role("link", name=re.compile(r"^待发布")).click()
    row = page.locator(f"#queue-{post.id}")
    for name, how in (("星海集团", "仅发布"), ("星海科技", "推送")):
        todo = row.locator(f'[data-channel="{channels[name].id}"]')
        assert name in todo.inner_text() and how in todo.inner_text() and "尚未安排" in todo.inner_text()

    page.locator(f"#schedule-{post.id} button[name=publish_now]").click()
    page.wait_for_url(page.base + "/publish/today")
    publish_due.call_local(post.id)  # the worker's run

    page.goto(f"{page.base}/channels/posts/{post.id}/publications")
    pubs = {p.channel.name: p for p in db.session.scalars(select(Publication).where(Publication.post_id == post.id))}
    assert set(pubs) == set(ACCOUNTS)
    for name in ACCOUNTS:
        line = page.locator(f"#publication-{pubs[name].id}")
        assert line.get_attribute("data-state") == "published", line.inner_text()
    # the published-only article's link is known at once (freepublish/get); a push's comes later
    # with the platform's MASSSENDJOBFINISH callback (tests/callbacks/test_delivery.py)
    url = pubs["星海集团"].url
    assert url and page.locator(f"#publication-{pubs['星海集团'].id}").locator(f'a[href="{url}"]').count() == 1
    # each account took its own way: the pushed one is a mass send, the other a free publication
    pushed, published_only = state.account(channels["星海科技"].app_id), state.account(channels["星海集团"].app_id)
    (mass,) = pushed.masses.values()
    assert not published_only.masses and len(published_only.publishes) == 1
    for article_id in (mass.article_id, pubs["星海集团"].article_id):
        assert [a["title"] for a in state.find_article(article_id).articles] == ["两个公众号同时发布的稿件"]
    # and it has left the queue
    page.goto(page.base + "/publish/today")
    assert page.locator(f"#queue-{post.id}").count() == 0
