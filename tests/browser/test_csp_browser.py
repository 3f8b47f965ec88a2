"""The Content-Security-Policy in Chromium (issue 13 part 7): our own static scripts still work,
and script that reached an article's HTML past the sanitiser does not run."""
from sqlalchemy import select, update

from cms.auth.service import get_by_username
from cms.channels.models import Channel
from cms.content import service as content
from cms.content.models import Revision
from cms.extensions import db
from tests.browser.conftest import log_in


def test_the_calendar_filter_still_submits_itself(page, live_app):
    app, base = live_app
    channel = db.session.scalars(select(Channel).order_by(Channel.id)).first()
    log_in(page, "editor")
    page.goto(base + "/calendar")
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.select_option("select[name=channel]", str(channel.id))
    page.wait_for_url(f"**/calendar?*channel={channel.id}*")
    assert page.locator("select[name=channel]").input_value() == str(channel.id)
    assert violations == []


def test_script_that_slipped_into_an_article_does_not_run(page, live_app):
    app, base = live_app
    channel = db.session.scalars(select(Channel).order_by(Channel.id)).first()
    post = content.create_post(get_by_username("contributor"), {
        "title": "客户开放日", "author": "张晓雯", "digest": "回顾",
        "body": {"format": "markdown", "text": "正文"},
        "category": "news", "channels": [channel.id], "source": {"kind": "original"}})
    # As if the sanitiser had missed them: written into the stored HTML directly (past the guard
    # that keeps revisions immutable, which a bulk UPDATE does not trigger).
    db.session.execute(update(Revision).where(Revision.id == post.current.id).values(html='<p id="planted">正文</p><script>document.title="pwned"</script>'
                         '<img src="/nothing.png" onerror="document.title=\'pwned\'">'))
    db.session.commit()
    messages = []
    page.on("console", lambda m: messages.append(m.text))
    # Chromium reports each refusal to the page as a securitypolicyviolation event: kept where the
    # test can wait for it (an init script is the browser's, not the page's, so CSP lets it run).
    page.add_init_script("window.__refused = [];"
                         "document.addEventListener('securitypolicyviolation',"
                         " e => window.__refused.push(e.effectiveDirective));")
    log_in(page, "contributor")
    page.goto(f"{base}/posts/{post.id}")
    page.locator("#planted").wait_for()
    # The broken image's onerror refused: the moment it would have run, not a guessed delay.
    page.wait_for_function("() => window.__refused.includes('script-src-attr')")
    assert page.title() != "pwned"
    assert "script-src-elem" in page.evaluate("window.__refused")  # the <script> was refused too
    assert any("Content Security Policy" in m for m in messages), messages
