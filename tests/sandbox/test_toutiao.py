"""The Toutiao-style channel through ToutiaoClient (WECHAT_API.md 7)."""

from __future__ import annotations

import pytest
import requests

from cms.platforms import ToutiaoError


def _cover(client, jpeg) -> str:
    return client.upload_image(jpeg)["image_id"]


def test_toutiao_flow(toutiao_client, jpeg, png):
    client = toutiao_client()
    cover = client.upload_image(jpeg)
    body_image = client.upload_image(png, "body.png")
    assert requests.get(body_image["url"], timeout=5).content == png
    created = client.create_article(
        client_id="pub-7",
        title="新产品发布会",
        cover_image_ids=[cover["image_id"]],
        content=f'<p>发布会现场</p><img src="{body_image["url"]}">',
        abstract="摘要",
    )
    assert created["reused"] is False
    article_id = created["article_id"]
    assert client.article_status(article_id)["status"] == "draft"
    assert client.publish_article(article_id)["publish_id"]
    status = client.article_status(article_id)
    assert status["status"] == "published" and status["url"]
    page = requests.get(status["url"], timeout=5)
    assert page.status_code == 200 and "新产品发布会" in page.text


def test_client_id_is_idempotent(toutiao_client, jpeg, sandbox_state):
    client = toutiao_client()
    cover = _cover(client, jpeg)
    first = client.create_article(
        client_id="same", title="标题一", content="<p>x</p>", cover_image_ids=[cover]
    )
    again = client.create_article(
        client_id="same", title="标题二", content="<p>y</p>", cover_image_ids=[cover]
    )
    assert again == {"article_id": first["article_id"], "reused": True}
    assert len(sandbox_state.toutiao_accounts["tt_sandbox_1"].articles) == 1
    raw = requests.post(
        client.base_url + "article/create",
        params={"access_token": client.access_token},
        timeout=5,
        json={"client_id": "same", "title": "标题三", "content": "<p>z</p>", "cover_image_ids": [cover]},
    ).json()
    assert raw["errcode"] == 70006 and raw["article_id"] == first["article_id"]


@pytest.mark.parametrize(
    ("fields", "errcode"),
    [
        ({"title": "短"}, 70002),
        ({"title": "长" * 31}, 70002),
        ({"cover_image_ids": "TWO"}, 41001),
        ({"cover_image_ids": ["nope"]}, 70001),
        ({"content": '<img src="https://example.com/a.jpg">'}, 70001),
        ({"abstract": "摘" * 121}, 41001),
    ],
)
def test_article_rules(toutiao_client, jpeg, fields, errcode):
    client = toutiao_client()
    cover = _cover(client, jpeg)
    data = {"title": "合规标题", "content": "<p>正文</p>", "cover_image_ids": [cover], **fields}
    if data["cover_image_ids"] == "TWO":
        data["cover_image_ids"] = [cover, cover]
    with pytest.raises(ToutiaoError) as e:
        client.create_article(**data)
    assert e.value.errcode == errcode


def test_three_covers_and_title_bounds(toutiao_client, jpeg):
    client = toutiao_client()
    covers = [_cover(client, jpeg) for _ in range(3)]
    assert client.create_article(title="两字", content="<p>a</p>", cover_image_ids=covers)["article_id"]
    assert client.create_article(title="三" * 30, content="<p>a</p>", cover_image_ids=covers[:1])[
        "article_id"
    ]


def test_review_delay_and_rejection(toutiao_client, jpeg, sandbox_state):
    sandbox_state.configure(review_delay=60)
    client = toutiao_client()
    cover = _cover(client, jpeg)
    a = client.create_article(title="要审核的文章", content="<p>a</p>", cover_image_ids=[cover])["article_id"]
    client.publish_article(a)
    assert client.article_status(a)["status"] == "reviewing"
    sandbox_state.advance(61)
    assert client.article_status(a)["status"] == "published"

    sandbox_state.reject_next_toutiao("标题夸张")
    b = client.create_article(title="被拒的文章", content="<p>b</p>", cover_image_ids=[cover])["article_id"]
    client.publish_article(b)
    sandbox_state.advance(61)
    status = client.article_status(b)
    assert status["status"] == "rejected" and status["reject_reason"] == "标题夸张"
    with pytest.raises(ToutiaoError) as e:
        client.article_status("404")
    assert e.value.errcode == 70004


def test_token_refreshed_once_on_expiry(toutiao_client, sandbox_state):
    client = toutiao_client()
    with pytest.raises(ToutiaoError):
        client.article_status("1")
    old = client.access_token
    sandbox_state.expire_tokens()
    with pytest.raises(ToutiaoError) as e:
        client.article_status("1")
    assert e.value.errcode == 70004  # the call got through on a new token
    assert client.access_token != old
    sandbox_state.inject_fault("article/status", errcode=40001, times=2)
    with pytest.raises(ToutiaoError) as e:
        client.article_status("1")
    assert e.value.errcode == 40001  # refreshed once, not in a loop


def test_bad_credentials_and_http_errors(toutiao_client, sandbox_state):
    sandbox_state.add_toutiao_account("tt_registered", "real")
    with pytest.raises(ToutiaoError) as e:
        toutiao_client("tt_registered", "wrong").article_status("1")
    assert e.value.errcode == 41001
    sandbox_state.inject_fault("/toutiao/open/v1/article/status", http_status=500)
    with pytest.raises(ToutiaoError) as e:
        toutiao_client().article_status("1")
    assert e.value.errcode is None


def test_daily_publish_quota(toutiao_client, jpeg, sandbox_state):
    sandbox_state.configure(toutiao_daily_quota=1)
    client = toutiao_client()
    cover = _cover(client, jpeg)
    ids = [
        client.create_article(title=f"文章{i}", content="<p>a</p>", cover_image_ids=[cover])["article_id"]
        for i in range(2)
    ]
    client.publish_article(ids[0])
    assert client.publish_article(ids[0])["publish_id"]  # publishing the same one again is harmless
    with pytest.raises(ToutiaoError) as e:
        client.publish_article(ids[1])
    assert e.value.errcode == 70005
