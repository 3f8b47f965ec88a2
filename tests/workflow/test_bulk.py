"""Issue 19 part 8: bulk actions on the post list, each post checked on its own (seen at all? the
author's side? its checks clean, C4?), with one summary of what was done and why the rest was not."""
from sqlalchemy import select

from cms.auth.service import get_by_username
from cms.channels.models import Channel
from cms.content import service as content
from cms.content.models import Post
from cms.extensions import db


def _post(title, text="本周五，市场部邀请客户参观新产品展厅。"):
    channel = db.session.scalar(select(Channel).where(Channel.name == "星海集团"))
    return content.create_post(get_by_username("contributor"), {
        "title": title, "author": "张晓雯", "digest": "回顾", "category": "news", "channels": [channel.id],
        "body": {"format": "markdown", "text": text}, "source": {"kind": "original"}}).id


def test_bulk_submit_and_withdraw_with_a_summary(app, client_as):
    ok = [_post("开放日稿件一"), _post("开放日稿件二")]
    c = client_as("contributor")
    assert 'id="bulk-form"' in c.get("/posts").get_data(as_text=True)
    r = c.post("/posts/bulk", data={"action": "submit", "post": [*map(str, ok), "999999"]}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "2 篇稿件已提交审核" in page and "1 篇未处理" in page and "999999" in page
    assert {db.session.get(Post, i).status for i in ok} == {"in_review"}
    # submitting again is refused per post, with its reason; withdrawing works
    page = c.post("/posts/bulk", data={"action": "submit", "post": [str(ok[0])]}, follow_redirects=True) \
        .get_data(as_text=True)
    assert "1 篇未处理" in page and "开放日稿件一" in page
    page = c.post("/posts/bulk", data={"action": "withdraw", "post": list(map(str, ok))}, follow_redirects=True) \
        .get_data(as_text=True)
    assert "2 篇稿件已撤回为草稿" in page
    db.session.expire_all()
    assert {db.session.get(Post, i).status for i in ok} == {"draft"}


def test_bulk_respects_each_posts_permissions(app, client_as):
    mine = _post("别人的稿件")
    # the editor sees the post only once it is with the office; as a draft it is not theirs to submit
    page = client_as("finance").post("/posts/bulk", data={"action": "submit", "post": [str(mine)]},
                                     follow_redirects=True).get_data(as_text=True)
    assert "1 篇未处理" in page and db.session.get(Post, mine).status == "draft"
    assert client_as("contributor").post("/posts/bulk", data={"action": "delete", "post": [str(mine)]},
                                         follow_redirects=True).status_code == 200
    assert db.session.get(Post, mine).status == "draft"


def test_bulk_assign_by_the_chain_administrator_only(app, client_as):
    from cms.auth.models import User
    from cms.workflow import queries
    from cms.workflow import service as workflow

    ids = [_post("待改派稿件一"), _post("待改派稿件二")]
    for i in ids:
        workflow.submit(get_by_username("contributor"), db.session.get(Post, i), {})
    deputy = db.session.scalar(select(User).where(User.username == "leader"))
    admin = client_as("sysadmin")
    assert 'name="assignee"' in admin.get("/posts").get_data(as_text=True)
    assert 'name="assignee"' not in client_as("contributor").get("/posts").get_data(as_text=True)
    page = admin.post("/posts/bulk", data={"action": "assign", "post": list(map(str, ids)), "assignee": str(deputy.id),
                                           "reason": "部门负责人休假"}, follow_redirects=True).get_data(as_text=True)
    assert "2 篇稿件已改派" in page
    db.session.expire_all()
    for i in ids:
        assert [a.user_id for a in queries.active_submission(db.session.get(Post, i)).assignees] == [deputy.id]
    page = client_as("contributor").post("/posts/bulk", data={"action": "assign", "post": [str(ids[0])],
                                                              "assignee": str(deputy.id), "reason": "想换人"},
                                         follow_redirects=True).get_data(as_text=True)
    assert "1 篇未处理" in page and "审核流程管理员" in page
    page = admin.post("/posts/bulk", data={"action": "assign", "post": [str(ids[0])]},
                      follow_redirects=True).get_data(as_text=True)
    assert "请选择审核人并说明理由" in page
