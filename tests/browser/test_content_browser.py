"""A contributor drafts a post in Chromium, in Chinese, with CSRF on: a check fires, one click
fixes it, and the phone preview shows the article (C10 C15)."""
from sqlalchemy import select

from cms.channels.models import Channel
from cms.extensions import db
from tests.browser.conftest import log_in


def test_contributor_drafts_fixes_and_previews(page, live_app):
    log_in(page, "contributor")
    page.locator("nav").get_by_text("稿件", exact=True).click()
    page.click("text=新建稿件")
    page.fill("#title", "春季运动会圆满落幕")
    page.fill("#author", "市场部 张晓雯")
    page.fill("#body", "本周五我们使用WeChat发布运动会的精彩瞬间。\n\n欢迎大家踊跃参与。")
    # the phone preview follows the typing before anything is saved
    live = page.locator("#live-preview")
    live.locator("h1", has_text="春季运动会圆满落幕").wait_for()
    live.get_by_text("欢迎大家踊跃参与").wait_for()
    page.fill("#body", "## 赛程\n\n上午田赛，下午径赛。")
    live.locator("h2", has_text="赛程").wait_for()
    page.fill("#body", "本周五我们使用WeChat发布运动会的精彩瞬间。\n\n欢迎大家踊跃参与。")
    page.select_option("#category", value="internal_activity")
    channel_id = db.session.scalar(select(Channel.id).where(Channel.name == "星海集团"))
    page.check(f"input[name=channels][value='{channel_id}']")
    page.select_option("#source_kind", value="original")
    page.click("#submit")
    page.wait_for_url(page.base + "/posts/*")
    assert page.get_by_text("草稿已保存为修订 1").is_visible()
    spacing = page.locator(".finding[data-check*='spacing']")
    assert spacing.count() == 1 and "C10" in spacing.inner_text()
    page.screenshot(path="/tmp/content.png", full_page=True)
    spacing.get_by_role("button", name="自动修复").click()
    page.wait_for_load_state()
    assert page.locator(".alert-success").get_by_text("已修复").is_visible()
    assert page.locator(".finding[data-check*='spacing']").count() == 0
    assert "使用 WeChat 发布" in page.locator(".phone-frame").inner_text()
    assert page.locator(".revisions tbody tr").count() == 2

    page.goto(page.url.rstrip("/") + "/preview")
    assert page.locator("h1").inner_text() == "春季运动会圆满落幕"
    assert "使用 WeChat 发布" in page.locator(".phone").inner_text()


def test_autosave_offers_the_unsaved_draft(page, live_app):
    log_in(page, "contributor")
    page.goto(page.base + "/posts/new")
    page.fill("#title", "还没保存的标题")
    page.fill("#body", "打了一半的正文")
    page.wait_for_selector("#autosave-status:has-text('草稿已自动保存于')", timeout=12_000)
    page.goto(page.base + "/posts/new")
    assert page.input_value("#title") == ""
    page.click("#draft-restore")
    assert page.input_value("#title") == "还没保存的标题"
    assert page.input_value("#body") == "打了一半的正文"
