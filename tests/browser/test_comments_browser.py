"""Follower comments end to end in Chromium, with CSRF on (issue 15, C16): a follower comments on a
published article on the sandbox's follower page, the moderator syncs from the queue, answers it
(a first answer with a phone number is refused and kept in the box, C15), and the reply shows
under the article on the sandbox's phone view."""
from __future__ import annotations

import re

import pytest

from cms.auth.service import get_by_username
from cms.extensions import db
from cms.publishing.queries import publications_for
from cms.publishing.scheduling import schedule
from cms.publishing.tasks import publish_due
from tests.conftest import served_sandbox_app, wait_until
from tests.publishing import conftest as _publishing

approved_post = _publishing.approved_post


@pytest.fixture
def app(templates, tmp_path):
    from cms.tasks import huey

    huey.flush()
    with served_sandbox_app(templates, tmp_path, WTF_CSRF_ENABLED=True, PUBLISH_RETRY_SCALE=0) as app:
        yield app
    huey.flush()


def _published(app, approved_post):
    app.test_client().get("/login")  # the first request: the sandbox learns the channels
    post = approved_post(title="星海集团发布年度社会责任报告")
    schedule(get_by_username("account_admin"), post)

    def done():
        publish_due.call_local(post.id)
        db.session.expire_all()
        (pub,) = publications_for(post)
        return pub if pub.state == "published" else None

    return wait_until(done, 20, "the post was not published")


def test_a_follower_comment_is_answered_and_the_reply_shows_under_the_article(browser, app, approved_post):
    pub = _published(app, approved_post)
    base = app.config["PUBLIC_BASE_URL"]

    follower_ctx = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    follower = follower_ctx.new_page()
    follower.set_default_timeout(10_000)
    follower.goto(base + "/sandbox/follower-comment")
    follower.select_option("#article", label="星海集团发布年度社会责任报告（星海集团）")
    follower.fill("#nickname", "热心读者")
    follower.fill("#content", "请问报告的完整版在哪里下载？")
    follower.click("#follower-comment button[type=submit]")
    follower.wait_for_url("**/sandbox/articles/**")
    assert follower.locator(".comment", has_text="请问报告的完整版在哪里下载？").is_visible()

    moderator_ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    moderator = moderator_ctx.new_page()
    moderator.set_default_timeout(10_000)
    try:
        moderator.goto(base + "/login")
        moderator.fill("#username", "moderator")
        moderator.fill("#password", "Demo-Pass-2026")
        moderator.click("#submit")
        moderator.wait_for_url(base + "/")
        moderator.locator("nav").get_by_role("link", name=re.compile(r"^留言管理")).click()
        assert moderator.get_by_text("这里没有留言。").is_visible()
        moderator.get_by_role("button", name="立即同步：星海集团").click()
        assert moderator.locator(".alert-success").get_by_text("新增 1 条留言").is_visible()
        row = moderator.locator("#comment-queue tr", has_text="请问报告的完整版在哪里下载？")
        assert row.get_by_text("热心读者").is_visible() and row.get_by_text("待回复").is_visible()
        row.get_by_role("link", name="打开").click()
        moderator.fill("#text", "请拨打 13812345678 联系我")
        moderator.get_by_role("button", name="发送回复").click()
        assert moderator.get_by_text("138****5678").first.is_visible()
        assert moderator.locator("#text").input_value() == "请拨打 13812345678 联系我"  # kept (C15)
        moderator.fill("#text", "您好，完整版可在集团官网“社会责任”栏目下载。")
        moderator.get_by_role("button", name="发送回复").click()
        assert moderator.locator(".alert-success").get_by_text("回复已发送").is_visible()
        assert moderator.locator("#the-reply").get_by_text("郑浩").is_visible()
    finally:
        moderator_ctx.close()

    follower.goto(pub.url)
    reply = follower.locator(".comment", has_text="请问报告的完整版在哪里下载？").locator(".reply")
    assert reply.inner_text() == "作者回复：您好，完整版可在集团官网“社会责任”栏目下载。"
    follower_ctx.close()
