"""Push (mass send), its quota, clientmsgid, and preview."""

from __future__ import annotations

import pytest
import requests
from wechatpy.exceptions import WeChatClientException


def _draft(client, cover, article, **fields) -> str:
    return client.draft.add([article(cover(client), **fields)])["media_id"]


def test_push_sends_and_the_draft_leaves_the_box(mp_client, cover, article, sandbox_state):
    client = mp_client()
    media_id = _draft(client, cover, article, title="年度表彰大会")
    sent = client.message.send_mass_article(media_id, is_to_all=True, client_msg_id="pub-1")
    assert isinstance(sent["msg_id"], int) and isinstance(sent["msg_data_id"], int)
    assert client.message.get_mass(sent["msg_id"])["msg_status"] == "SEND_SUCCESS"
    assert client.draft.count()["total_count"] == 0
    art = sandbox_state.published(client.appid)[0]
    assert art.source == "mass" and art.msg_id == sent["msg_id"]
    assert "年度表彰大会" in requests.get(art.url(1), timeout=5).text
    with pytest.raises(WeChatClientException) as e:
        client.message.get_mass(999)
    assert e.value.errcode == 40059


def test_subscription_account_has_one_push_a_day(mp_client, cover, article, sandbox_state):
    sandbox_state.add_account("wxsubscription0001", kind="subscription")
    client = mp_client("wxsubscription0001")
    client.message.send_mass_article(_draft(client, cover, article), is_to_all=True, client_msg_id="a")
    second = _draft(client, cover, article)
    with pytest.raises(WeChatClientException) as e:
        client.message.send_mass_article(second, is_to_all=True, client_msg_id="b")
    assert e.value.errcode == 45028
    assert client.draft.get(second)  # a refused push keeps its draft
    sandbox_state.advance(24 * 3600)  # the next day (Beijing time)
    assert client.message.send_mass_article(second, is_to_all=True, client_msg_id="b")["msg_id"]


def test_service_account_has_four_pushes_a_month(mp_client, cover, article, sandbox_state):
    client = mp_client()  # auto-created accounts are service accounts
    for i in range(4):
        client.message.send_mass_article(
            _draft(client, cover, article), is_to_all=True, client_msg_id=f"m{i}"
        )
    with pytest.raises(WeChatClientException) as e:
        client.message.send_mass_article(_draft(client, cover, article), is_to_all=True, client_msg_id="m5")
    assert e.value.errcode == 45028
    assert sandbox_state.pushes_used(client.appid) == 4


def test_repeated_clientmsgid_answers_45065_with_the_first_msg_id(mp_client, cover, article):
    client = mp_client()
    first = client.message.send_mass_article(
        _draft(client, cover, article), is_to_all=True, client_msg_id="p-42"
    )
    again = _draft(client, cover, article)
    with pytest.raises(WeChatClientException) as e:
        client.message.send_mass_article(again, is_to_all=True, client_msg_id="p-42")
    assert e.value.errcode == 45065
    assert e.value.response.json()["msg_id"] == first["msg_id"]
    assert client.draft.get(again)  # nothing was sent the second time
    with pytest.raises(WeChatClientException) as e:
        client.message.send_mass_article(again, is_to_all=True, client_msg_id="x" * 65)
    assert e.value.errcode == 45067


def test_clientmsgid_repeat_wins_over_an_exhausted_quota(mp_client, cover, article, sandbox_state):
    sandbox_state.add_account("wxsubscription0002", kind="subscription")
    client = mp_client("wxsubscription0002")
    first = client.message.send_mass_article(
        _draft(client, cover, article), is_to_all=True, client_msg_id="once"
    )
    with pytest.raises(WeChatClientException) as e:  # a retried push after a lost answer
        client.message.send_mass_article(_draft(client, cover, article), is_to_all=True, client_msg_id="once")
    assert e.value.errcode == 45065 and e.value.response.json()["msg_id"] == first["msg_id"]


def test_preview_uses_no_quota(mp_client, cover, article, sandbox_state):
    sandbox_state.add_account("wxsubscription0003", kind="subscription")
    client = mp_client("wxsubscription0003")
    media_id = _draft(client, cover, article)
    preview = client.post(
        "message/mass/preview",
        data={"towxname": "reviewer-wx", "msgtype": "mpnews", "mpnews": {"media_id": media_id}},
    )
    assert preview["msg_id"]
    assert sandbox_state.pushes_used(client.appid) == 0
    assert client.draft.get(media_id)  # a preview does not consume the draft
    assert client.message.send_mass_article(media_id, is_to_all=True, client_msg_id="after-preview")["msg_id"]
    with pytest.raises(WeChatClientException) as e:
        client.post(
            "message/mass/preview",
            data={"touser": "o" * 28, "msgtype": "mpnews", "mpnews": {"media_id": "gone"}},
        )
    assert e.value.errcode == 40007
