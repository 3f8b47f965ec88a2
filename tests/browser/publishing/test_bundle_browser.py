"""多图文 in Chromium, with CSRF on (C18): the account administrator opens the dashboard, makes a
bundle of two of the three posts approved for a push on the subscription account, puts the second
first (the headline), pushes it; the worker sends one message; the bundle page shows both
published, the headline first, and the sandbox holds one push with both articles in that order."""
from sqlalchemy import select

from cms.channels.models import Channel
from cms.extensions import db
from cms.publishing.tasks import publish_due
from tests.browser.conftest import log_in


def test_the_administrator_bundles_two_posts_into_one_push(midday, page, outbox, approved_post):
    state = outbox
    titles = ["科技周报第一篇", "科技周报第二篇", "科技周报第三篇"]
    posts = [approved_post(channels=("星海科技",), push={"星海科技": True}, title=t) for t in titles]
    channel = db.session.scalar(select(Channel).where(Channel.name == "星海科技"))
    log_in(page, "account_admin")
    page.goto(page.base + "/channels/dashboard")
    page.get_by_role("link", name="在 星海科技 新建多图文").click()
    assert page.locator("#bundle-candidates tbody tr").count() == 3
    first, second, _third = posts
    page.check(f"#pick-{first.id}")
    page.check(f"#pick-{second.id}")
    page.fill(f"#order-{first.id}", "2")
    page.fill(f"#order-{second.id}", "1")
    # a bad time keeps what was chosen and says what is wrong
    page.fill("#time-bundle", "")
    page.locator("#bundle-form button[name=schedule_at]").click()
    assert "HH:MM" in page.locator(".invalid-feedback").first.inner_text()
    assert page.is_checked(f"#pick-{first.id}") and page.is_checked(f"#pick-{second.id}")
    page.locator("#bundle-form button[name=publish_now]").click()
    page.wait_for_url("**/channels/bundles/*")
    assert "2 篇多图文" in page.locator(".alert-success").inner_text()
    members = page.locator("#bundle-members li")
    assert members.nth(0).inner_text().startswith("科技周报第二篇") and "头条" in members.nth(0).inner_text()
    assert members.nth(1).inner_text().startswith("科技周报第一篇")

    publish_due.call_local(second.id)  # the worker's run
    page.reload()
    assert [members.nth(i).get_attribute("data-state") for i in range(2)] == ["published", "published"]
    assert page.locator("#bundle-state").inner_text() == "已发布"
    (mass,) = state.account(channel.app_id).masses.values()
    assert [a["title"] for a in state.find_article(mass.article_id).articles] == ["科技周报第二篇", "科技周报第一篇"]
    # the third post was not bundled: still offered for the next bundle, and the push is used
    page.goto(page.base + f"/channels/{channel.id}/bundles/new")
    assert page.locator("#bundle-candidates tbody tr").count() == 1
    assert "剩余 0 次" in page.locator("main, body").first.inner_text()
