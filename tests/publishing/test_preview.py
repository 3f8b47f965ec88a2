"""Preview on a phone (issue #5): a reviewer sends the current revision to their own WeChat through
the sandbox's message/mass/preview, over loopback HTTP through wechatpy; no push quota is used."""
import pytest
from sqlalchemy import select

from cms.audit.models import AuditEntry
from cms.auth.service import get_by_username
from cms.content.service import findings
from cms.extensions import db
from cms.workflow import service
from tests.publishing.conftest import approved_post, outbox, platforms  # noqa: F401
from tests.sandbox.conftest import sandbox_server, sandbox_state, sandbox_url  # noqa: F401


@pytest.fixture
def in_review(approved_post):  # noqa: F811
    post = approved_post(approve=False)
    service.submit(get_by_username("contributor"), post, {f.id: "已知晓" for f in findings(post)})
    return post


def _set_wechat_id(username, wechat_id):
    u = get_by_username(username)
    u.wechat_id = wechat_id
    db.session.commit()


def test_reviewer_previews_on_their_phone(client_as, outbox, in_review):  # noqa: F811
    _set_wechat_id("department_head", "li_jianguo")
    c = client_as("department_head")
    assert 'id="preview-to-phone"' in c.get(f"/posts/{in_review.id}/review").get_data(as_text=True)
    r = c.post(f"/posts/{in_review.id}/preview-to-phone", follow_redirects=True)
    assert "已发送到您的微信" in r.get_data(as_text=True)
    channel = in_review.channels[0]
    acct = outbox.account(channel.app_id)
    assert [p["to"] for p in acct.previews] == ["li_jianguo"]
    assert acct.previews[0]["titles"] == [in_review.current.title]
    assert outbox.pushes_used(channel.app_id) == 0  # a preview is not a push (C18)
    draft = acct.drafts[acct.previews[0]["media_id"]]
    assert "/assets/" not in draft.articles[0]["content"]  # in-article images went up first
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "post.preview_sent"))


def test_preview_needs_a_wechat_id_and_a_reviewer(client_as, outbox, in_review):  # noqa: F811
    r = client_as("department_head").post(f"/posts/{in_review.id}/preview-to-phone", follow_redirects=True)
    assert "请先在个人资料页填写微信号" in r.get_data(as_text=True)
    _set_wechat_id("finance", "qian_wei_01")
    assert client_as("finance").post(f"/posts/{in_review.id}/preview-to-phone").status_code == 404  # cannot see it


def test_platform_refusal_is_shown_not_a_500(client_as, outbox, in_review):  # noqa: F811
    _set_wechat_id("department_head", "li_jianguo")
    outbox.configure(in_review.channels[0].app_id, preview_daily_limit=0)
    r = client_as("department_head").post(f"/posts/{in_review.id}/preview-to-phone", follow_redirects=True)
    assert r.status_code == 200 and "微信未发送预览" in r.get_data(as_text=True)
