"""Withdrawing a published website post in Chromium, with CSRF on (C7 C13 U7): the account
administrator asks from the post page (a missing reason is named and what was chosen kept), the
supervisor finds the request in "Waiting for me" (its count in the navigation), approves it, and
the public page answers 410."""
import re

from sqlalchemy import select

from cms.auth.models import User
from cms.auth.service import get_by_username
from cms.channels.models import Channel
from cms.content import service as content
from cms.content.checks.base import WARNING
from cms.extensions import db
from cms.publishing.models import Withdrawal
from cms.publishing.queries import publications_for
from cms.publishing.scheduling import schedule
from cms.publishing.tasks import publish_due
from cms.workflow import queries as workflow_queries
from cms.workflow import service as workflow
from tests.browser.test_review_browser import _session


def _published_on_the_website(title: str):
    author = get_by_username("contributor")
    site = db.session.scalar(select(Channel).where(Channel.name == "星海官网"))
    post = content.create_post(author, {
        "title": title, "author": "张晓雯", "digest": "开放日活动回顾",
        "body": {"format": "markdown", "text": "本周五，市场部邀请客户参观新产品展厅，欢迎报名参加。"},
        "category": "news", "channels": [site.id], "source": {"kind": "original"}})
    workflow.submit(author, post, {f.id: "测试：已知晓" for f in content.findings(post) if f.severity == WARNING})
    for _ in range(10):
        sub = workflow_queries.active_submission(post)
        if sub.state != "active":
            break
        reviewer = db.session.get(User, sub.assignees[0].user_id)
        workflow.decide(reviewer, post, {"decision": "approve", "revision": post.current.number,
                                         "hash": post.current.content_hash})
    schedule(get_by_username("account_admin"), post)
    publish_due.call_local(post.id)
    db.session.expire_all()
    (pub,) = publications_for(post)
    assert pub.state == "published", pub.last_error
    return post, pub.url


def test_withdraw_a_website_post_with_the_supervisors_approval(browser, live_app):
    app, base = live_app
    title = "市场部开放日报名通知"
    post, url = _published_on_the_website(title)
    public = browser.new_context(locale="zh-CN")
    assert public.new_page().goto(base + url).status == 200

    ctx, admin = _session(browser, base, "account_admin")
    admin.goto(f"{base}/posts/{post.id}")
    admin.locator("#withdrawal-panel a").click()
    admin.locator("#withdrawal-form").wait_for()
    admin.check("#kind-0")  # withdraw for good
    admin.click("#file-request")  # no reason
    assert admin.locator(".invalid-feedback", has_text="请填写理由").is_visible()
    assert admin.locator("#kind-0").is_checked()
    admin.fill("#reason", "报名时间有变，先撤下")
    admin.click("#file-request")
    assert admin.locator(".alert-success", has_text="赵明").is_visible()  # the supervisor decides
    assert admin.locator(".open-withdrawal .withdrawal-state").inner_text() == "等待平台主管领导审批"
    ctx.close()

    ctx, sup = _session(browser, base, "supervisor")
    nav = sup.locator("nav").get_by_role("link", name=re.compile(r"^待我审核"))
    assert nav.locator(".nav-count").inner_text() == "1"
    nav.click()
    sup.locator(".withdrawal-item", has_text=title).click()
    assert sup.locator(".withdrawal-reason").inner_text() == "报名时间有变，先撤下"
    sup.fill("#note", "同意")
    sup.click("#approve")
    assert sup.locator(".alert-success", has_text="已从申请所列的全部渠道撤下").is_visible()
    assert sup.locator("tr.withdrawal[data-state=done]").count() == 1
    assert sup.locator(".post-status").inner_text() == "已撤回"
    assert sup.locator("nav .nav-count").count() == 0
    ctx.close()

    public.close()
    # A fresh visitor: the page is cached for 60 s (Cache-Control), so the first visitor's browser
    # may show its copy that long; once the site serves a favicon Chromium keeps that copy.
    public = browser.new_context(locale="zh-CN")
    assert public.new_page().goto(base + url).status == 410
    public.close()
    db.session.expire_all()
    (w,) = db.session.scalars(select(Withdrawal)).all()
    assert (w.state, w.decided_by.username, w.decision_note) == ("done", "supervisor", "同意")
