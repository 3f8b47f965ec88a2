"""WeCom group chats (appchat/*, WECHAT_API.md 5) through wechatpy's work client and the platform
functions (create_chat, update_chat, get_chat, send_chat_text, send_chat_card) against the sandbox:
what a group owner would see in WeCom, and the platform's refusals worded in Chinese (CallError)."""

from __future__ import annotations

import pytest
import requests

from cms.platforms import CallError, MemoryStorage, make_wecom_client
from cms.platforms.wecom import create_chat, get_chat, send_chat_card, send_chat_text, update_chat

CORP = "wwsandboxchats01"


@pytest.fixture
def members(sandbox_state):
    for userid, name, status in [("zhangsan", "张三", 1), ("lisi", "李四", 1), ("wangwu", "王五", 1),
                                 ("zhaoliu", "赵六", 5)]:
        sandbox_state.wecom.add_user(CORP, userid, name, status=status)
    return sandbox_state.wecom


@pytest.fixture
def client(sandbox_url):
    return make_wecom_client(CORP, "sandbox-secret", base_url=f"{sandbox_url}/qy/cgi-bin/", session=MemoryStorage(),
                             timeout=5)


def test_a_chat_is_created_changed_read_and_spoken_in(client, members, sandbox_url):
    assert create_chat(client, "市场部工作群", "zhangsan", ["zhangsan", "lisi"], "grp12") == "grp12"
    assert get_chat(client, "grp12") == {"chatid": "grp12", "name": "市场部工作群", "owner": "zhangsan",
                                         "userlist": ["zhangsan", "lisi"]}
    update_chat(client, "grp12", add=["wangwu"], remove=["lisi"], name="市场部工作群（新）")
    info = get_chat(client, "grp12")
    assert info["userlist"] == ["zhangsan", "wangwu"] and info["name"] == "市场部工作群（新）"
    send_chat_text(client, "grp12", "本群将于 12 月 12 日解散。")
    send_chat_card(client, "grp12", "解散通知", "<div>原因：项目结束</div>", "http://cms.test/groups/12")
    chat = members.chats.get(CORP, "grp12")
    assert [m.msgtype for m in chat.messages] == ["text", "textcard"]
    assert chat.messages[1].content["btntxt"] == "详情"
    page = requests.get(f"{sandbox_url}/sandbox/wecom/", timeout=5).text
    assert "市场部工作群（新）" in page and "本群将于 12 月 12 日解散。" in page and "移出：lisi" in page
    state = requests.get(f"{sandbox_url}/sandbox/wecom/state.json", timeout=5).json()
    assert state["chats"][0]["chatid"] == "grp12" and len(state["chats"][0]["messages"]) == 2


@pytest.mark.parametrize(("call", "errcode", "words"), [
    (lambda c: create_chat(c, "群", "zhangsan", ["zhangsan", "zhaoliu"], "grp2"), 86216, "离职"),  # a left member
    (lambda c: create_chat(c, "群", "zhangsan", ["zhangsan", "nobody"], "grp2"), 86216, "不存在"),
    (lambda c: create_chat(c, "群", "zhangsan", ["zhangsan", "lisi"], "taken"), 86215, "已经存在"),
    (lambda c: update_chat(c, "taken", remove=["zhangsan"]), 86207, "群主"),  # the owner must stay
    (lambda c: update_chat(c, "taken", add=["zhaoliu"]), 86216, "userid"),
    (lambda c: update_chat(c, "nosuchchat", add=["lisi"]), 86003, "不存在"),
    (lambda c: update_chat(c, "othersapp", add=["lisi"]), 86008, "不是本应用创建"),
    (lambda c: send_chat_text(c, "othersapp", "hi"), 86008, "不是本应用创建"),
    (lambda c: get_chat(c, "nosuchchat"), 86003, "不存在"),
])
def test_refusals_come_back_as_call_errors_in_chinese(client, members, call, errcode, words):
    create_chat(client, "已有的群", "zhangsan", ["zhangsan", "lisi"], "taken")
    members.chats.add_chat(CORP, "othersapp", "别的应用的群", "zhangsan", ["zhangsan", "lisi"])
    before = get_chat(client, "taken")
    with pytest.raises(CallError) as e:
        call(client)
    assert e.value.errcode == errcode and words in e.value.description
    assert get_chat(client, "taken") == before  # a refused change changed nothing


def test_owner_must_be_a_member_at_creation(client, members, sandbox_url):
    token = requests.get(f"{sandbox_url}/qy/cgi-bin/gettoken", params={"corpid": CORP, "corpsecret": "sandbox-secret"},
                         timeout=5).json()["access_token"]
    body = {"name": "群", "owner": "wangwu", "userlist": ["zhangsan", "lisi"], "chatid": "grp3"}
    r = requests.post(f"{sandbox_url}/qy/cgi-bin/appchat/create", params={"access_token": token}, json=body,
                      timeout=5).json()
    assert r["errcode"] == 86207
    for bad in ({"chatid": "has-dash"}, {"userlist": ["zhangsan"]}, {"name": ""}):
        r = requests.post(f"{sandbox_url}/qy/cgi-bin/appchat/create", params={"access_token": token},
                          json={**body, "owner": "zhangsan", **bad}, timeout=5).json()
        assert r["errcode"] == 86220, bad
    assert members.chats.of_corp(CORP) == []


def test_a_chat_whose_owner_left_cannot_be_spoken_in(client, members):
    create_chat(client, "项目群", "lisi", ["zhangsan", "lisi"], "grp4")
    members.add_user(CORP, "lisi", "李四", status=5)
    with pytest.raises(CallError) as e:
        send_chat_text(client, "grp4", "还在吗")
    assert e.value.errcode == 86217 and "群主" in e.value.description


def test_checks_before_calling(client, members, sandbox_state):
    """What the platform would refuse anyway is refused before any call."""
    calls = len(sandbox_state.calls)
    with pytest.raises(ValueError, match="2 to 2000"):
        create_chat(client, "群", "zhangsan", ["zhangsan"], "grp5")
    with pytest.raises(ValueError, match="owner"):
        create_chat(client, "群", "wangwu", ["zhangsan", "lisi"], "grp5")
    with pytest.raises(ValueError, match="letters or digits"):
        create_chat(client, "群", "zhangsan", ["zhangsan", "lisi"], "grp-5")
    with pytest.raises(ValueError, match="nothing"):
        update_chat(client, "grp5")
    assert len(sandbox_state.calls) == calls
