"""The sandbox's follower page and the comments under its articles, over real HTTP (issue 15): a
fake follower picks a published article with comments open, types a nickname, openid and text;
the article's phone view shows the comments with their replies; bad input is a 400 in Chinese."""
from __future__ import annotations

import requests

from cms.comments import operations
from tests.comments.conftest import channel


def test_a_follower_comments_and_sees_the_reply(app, state, published, user):
    base = app.config["PUBLIC_BASE_URL"]
    assert "还没有已发布且开放留言的文章" in requests.get(base + "/sandbox/follower-comment", timeout=10).text
    pub = published()
    page = requests.get(base + "/sandbox/follower-comment", timeout=10).text
    value = f"{pub.msg_data_id}:0"
    assert f'value="{value}"' in page and "星海集团发布年度社会责任报告（星海集团）" in page
    r = requests.post(base + "/sandbox/follower-comment", timeout=10,
                      data={"article": value, "nickname": "阿明", "openid": "o_aming", "content": "写得好！"})
    assert r.status_code == 200 and r.url.startswith(pub.url.split("?")[0])
    assert "阿明" in r.text and "写得好！" in r.text
    (c,) = state.comment.comments_of(int(pub.msg_data_id))[0]
    assert (c.openid, c.nickname, c.content) == ("o_aming", "阿明", "写得好！")
    operations.sync_channel(None, channel("星海集团"))
    from cms.comments.models import FollowerComment
    from cms.extensions import db

    stored = db.session.query(FollowerComment).one()
    operations.reply(user("moderator"), stored, "谢谢阿明！")
    article = requests.get(pub.url, timeout=10).text
    assert "作者回复：</span>谢谢阿明！" in article


def test_bad_input_is_refused_in_chinese_and_kept(app, published):
    base = app.config["PUBLIC_BASE_URL"]
    pub = published()
    r = requests.post(base + "/sandbox/follower-comment", timeout=10, data={"article": "nope", "content": "x"})
    assert r.status_code == 400 and "请选择一篇已发布且开放留言的文章" in r.text
    r = requests.post(base + "/sandbox/follower-comment", timeout=10,
                      data={"article": f"{pub.msg_data_id}:0", "nickname": "阿明", "content": "  "})
    assert r.status_code == 400 and "请填写留言内容" in r.text and 'value="阿明"' in r.text


def test_an_article_with_comments_closed_is_not_offered(app, published):
    base = app.config["PUBLIC_BASE_URL"]
    pub = published(open_comments=False)
    assert f"{pub.msg_data_id}:0" not in requests.get(base + "/sandbox/follower-comment", timeout=10).text
