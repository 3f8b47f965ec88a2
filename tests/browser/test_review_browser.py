"""The full §12 chain in Chromium, with CSRF on (C4 C7 C8 C18): the contributor submits, each
reviewer approves from "waiting for me" (the leader on a phone-sized screen), the editor rejects
once, the author fixes and resubmits, the chain restarts, the supervisor chooses publish-only,
and the account administrator finds the post in "publish today"."""
import re

from sqlalchemy import select

from cms.auth.service import get_by_username
from cms.channels.models import Channel
from cms.content import service as content
from cms.extensions import db

PHONE = {"width": 390, "height": 844}


def _session(browser, base, username, viewport=None):
    context = browser.new_context(locale="zh-CN", viewport=viewport or {"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", "Demo-Pass-2026")
    page.click("#submit")
    page.wait_for_url(base + "/")
    return context, page


def _approve_from_inbox(browser, base, username, title, viewport=None, before_approve=None):
    context, page = _session(browser, base, username, viewport)
    try:
        if viewport:  # the collapsed navigation on a phone
            page.click(".navbar-toggler")
        nav = page.locator("nav").get_by_role("link", name=re.compile(r"^待我审核"))
        assert nav.locator(".nav-count").inner_text() == "1"
        nav.click()
        page.locator(".inbox-item", has_text=title).click()
        page.locator("#decision-form").wait_for()
        if before_approve:
            before_approve(page)
        page.locator("#decision-form button[value=approve]").click()
        page.wait_for_url(base + "/inbox")
        assert page.locator(".alert-success").get_by_text("已审核通过").is_visible()
        assert page.locator(".inbox-item", has_text=title).count() == 0
    finally:
        context.close()


def test_full_chain_with_one_rejection(browser, live_app):
    app, base = live_app
    channel = db.session.scalar(select(Channel).where(Channel.name == "星海集团"))
    title = "市场部举办客户开放日"
    post = content.create_post(get_by_username("contributor"), {
        "title": title, "author": "张晓雯", "digest": "开放日活动回顾",
        "body": {"format": "markdown", "text": "本周五，市场部邀请客户参观新产品展厅。"},
        "category": "news", "channels": [channel.id], "source": {"kind": "original"}})
    post_url = f"{base}/posts/{post.id}"

    author_ctx, author = _session(browser, base, "contributor")
    author.goto(post_url)
    author.click("#submit-form button[type=submit]")
    assert author.locator(".alert-success").get_by_text("李建国").is_visible()

    _approve_from_inbox(browser, base, "department_head", title)
    _approve_from_inbox(browser, base, "leader", title, viewport=PHONE)

    # the editor rejects once, with a comment
    ctx, editor = _session(browser, base, "editor")
    editor.goto(f"{post_url}/review")
    editor.click("#decision-form button[value=reject]")  # no comment: refused, still in review
    assert editor.locator(".alert-danger").get_by_text("退回需要填写意见").is_visible()
    editor.fill("#comment", "请补充活动的具体时间")
    editor.click("#decision-form button[value=reject]")
    editor.wait_for_url(base + "/inbox")
    ctx.close()

    # the author sees why, fixes the post and submits again
    author.goto(f"{post_url}/review")
    assert "请补充活动的具体时间" in author.locator(".timeline").inner_text()
    author.goto(post_url + "/edit")
    author.fill("#body", "本周五（11月27日）下午两点，市场部邀请客户参观新产品展厅。")
    author.click("#submit")
    author.wait_for_url(post_url)
    author.click("#submit-form button[type=submit]")
    assert author.locator(".alert-success").is_visible()
    author_ctx.close()

    # the chain restarts at step one; the department head sees what changed since their approval
    def sees_the_fix(page):
        assert "修订版 1" in page.locator(".diff-heading").inner_text()
        assert "11月27日" in page.locator(".diff-table").inner_text()

    _approve_from_inbox(browser, base, "department_head", title, before_approve=sees_the_fix)
    _approve_from_inbox(browser, base, "leader", title, viewport=PHONE)
    _approve_from_inbox(browser, base, "editor", title)
    _approve_from_inbox(browser, base, "proofreader", title)

    def publish_only(page):  # policy C18: the supervisor decides per WeChat channel
        choice = page.locator(f".push-choice[data-channel='{channel.id}']")
        assert "本月已推送 0 次，剩余 4 次" in choice.inner_text()
        choice.get_by_label("仅发布").check()

    _approve_from_inbox(browser, base, "supervisor", title, before_approve=publish_only)

    ctx, admin = _session(browser, base, "account_admin")
    admin.locator("nav").get_by_role("link", name=re.compile(r"^待发布")).click()
    row = admin.locator(".queue-item", has_text=title)
    assert row.count() == 1 and "仅发布" in row.inner_text()
    admin.goto(post_url + "/request-form")
    signatures = admin.locator(".review-trail tr.signature")
    assert signatures.count() == 8  # two approvals and the rejection of round one, five approvals now
    ctx.close()
