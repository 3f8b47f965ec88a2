"""Comments on a published article (WECHAT_API.md 1.6)."""

from __future__ import annotations

import pytest
import requests
from wechatpy.exceptions import WeChatClientException


@pytest.fixture
def published(mp_client, cover, article):
    client = mp_client()
    media_id = client.draft.add([article(cover(client), need_open_comment=1)])["media_id"]
    return client, client.freepublish.submit(media_id)["msg_data_id"]


def test_list_reply_and_second_reply(published, sandbox_state):
    client, msg_data_id = published
    first = sandbox_state.add_comment(msg_data_id, 0, "o" * 28, "写得好！")
    sandbox_state.add_comment(msg_data_id, 0, "p" * 28, "什么时候还有活动？")
    listed = client.material.list_comment(msg_data_id, index=0, begin=0, count=49)
    assert listed["total"] == 2
    assert [c["content"] for c in listed["comment"]] == ["写得好！", "什么时候还有活动？"]
    assert listed["comment"][0]["user_comment_id"] == first and "reply" not in listed["comment"][0]

    client.material.add_reply_comment(msg_data_id, 0, first, "谢谢支持")
    reply = client.material.list_comment(msg_data_id, index=0, count=49)["comment"][0]["reply"]
    assert reply["content"] == "谢谢支持" and reply["create_time"]
    with pytest.raises(WeChatClientException) as e:
        client.material.add_reply_comment(msg_data_id, 0, first, "再回复一次")
    assert e.value.errcode == 88005

    client.material.delete_reply_comment(msg_data_id, 0, first)
    with pytest.raises(WeChatClientException) as e:
        client.material.delete_reply_comment(msg_data_id, 0, first)
    assert e.value.errcode == 88009
    client.material.add_reply_comment(msg_data_id, 0, first, "重新回复")


def test_count_of_50_is_refused(published):
    client, msg_data_id = published
    with pytest.raises(WeChatClientException) as e:
        client.material.list_comment(msg_data_id, index=0)  # wechatpy's default count=50
    assert e.value.errcode == 88010


def test_elect_delete_and_missing(published, sandbox_state):
    client, msg_data_id = published
    ucid = sandbox_state.add_comment(msg_data_id, 0, "o" * 28, "好")
    other = sandbox_state.add_comment(msg_data_id, 0, "q" * 28, "赞")
    client.material.markelect_comment(msg_data_id, 0, ucid)
    selected = client.material.list_comment(msg_data_id, index=0, count=10, type=2)
    assert [c["user_comment_id"] for c in selected["comment"]] == [ucid]
    assert selected["comment"][0]["comment_type"] == 1
    assert [
        c["user_comment_id"]
        for c in client.material.list_comment(msg_data_id, index=0, count=10, type=1)["comment"]
    ] == [other]
    client.material.unmarkelect_comment(msg_data_id, 0, ucid)
    client.material.delete_comment(msg_data_id, 0, ucid)
    assert client.material.list_comment(msg_data_id, index=0, count=10)["total"] == 1
    with pytest.raises(WeChatClientException) as e:
        client.material.add_reply_comment(msg_data_id, 0, ucid, "x")
    assert e.value.errcode == 88008
    sandbox_state.user_delete_comment(msg_data_id, 0, other)
    with pytest.raises(WeChatClientException) as e:
        client.material.add_reply_comment(msg_data_id, 0, other, "x")
    assert e.value.errcode == 88004
    with pytest.raises(WeChatClientException) as e:
        client.material.list_comment(123, index=0, count=10)
    assert e.value.errcode == 88001
    with pytest.raises(WeChatClientException) as e:
        client.material.list_comment(msg_data_id, index=1, count=10)  # one article: index 0 only
    assert e.value.errcode == 88001


def test_open_close_and_comments_over_control(published, sandbox_state, sandbox_url):
    client, msg_data_id = published
    client.material.close_comment(msg_data_id, index=0)
    with pytest.raises(ValueError):
        sandbox_state.add_comment(msg_data_id, 0, "o" * 28, "关了还能评论吗")
    client.material.open_comment(msg_data_id, index=0)
    r = requests.post(
        f"{sandbox_url}/sandbox/control",
        timeout=5,
        json={"add_comment": {"msg_data_id": msg_data_id, "index": 0, "openid": "o" * 28, "content": "开了"}},
    )
    assert r.json()["user_comment_id"]
    assert client.material.list_comment(msg_data_id, index=0, count=10)["comment"][0]["content"] == "开了"


def test_comments_on_a_push(mp_client, cover, article, sandbox_state):
    client = mp_client()
    media_id = client.draft.add([article(cover(client), need_open_comment=1)])["media_id"]
    sent = client.message.send_mass_article(media_id, is_to_all=True, client_msg_id="c1")
    ucid = sandbox_state.add_comment(sent["msg_data_id"], 0, "o" * 28, "收到")
    client.material.add_reply_comment(sent["msg_data_id"], 0, ucid, "好的")
    assert sandbox_state.comments_of(sent["msg_data_id"])[0][0].reply["content"] == "好的"
