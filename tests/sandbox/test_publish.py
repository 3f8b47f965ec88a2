"""Images, drafts and freepublish through wechatpy against the sandbox."""

from __future__ import annotations

import pytest
import requests
from wechatpy.exceptions import WeChatClientException


def test_full_publish_flow(mp_client, jpeg, png, sandbox_state):
    client = mp_client()
    body_image = client.media.upload_image(("body.png", png, "image/png"))
    assert "/sandbox/media/" in body_image and body_image.endswith(".png")
    assert requests.get(body_image, timeout=5).content == png

    thumb = client.material.add("thumb", ("cover.jpg", jpeg, "image/jpeg"))
    assert thumb["media_id"] and "url" not in thumb

    media_id = client.draft.add(
        [
            {
                "title": "春季运动会圆满落幕",
                "author": "工会",
                "digest": "",
                "content": f'<p>比赛现场</p><img src="{body_image}"><script>alert(1)</script>',
                "thumb_media_id": thumb["media_id"],
                "need_open_comment": 1,
            }
        ]
    )["media_id"]
    draft = client.draft.get(media_id)["news_item"][0]
    assert draft["digest"] == "比赛现场"  # single article: the first 54 characters of the text
    assert body_image in draft["content"] and "<script" not in draft["content"]
    assert client.draft.batchget()["total_count"] == 1

    submitted = client.freepublish.submit(media_id)
    assert submitted["publish_id"] and isinstance(submitted["msg_data_id"], int)

    status = client.freepublish.get(submitted["publish_id"])
    assert status["publish_status"] == 0 and status["fail_idx"] == []
    assert status["article_detail"]["count"] == 1
    url = status["article_detail"]["item"][0]["article_url"]
    page = requests.get(url, timeout=5)
    assert page.status_code == 200 and "春季运动会圆满落幕" in page.text and "工会" in page.text

    # the published draft has left the box
    assert client.draft.batchget()["total_count"] == 0
    with pytest.raises(WeChatClientException) as e:
        client.draft.get(media_id)
    assert e.value.errcode == 40007

    got = client.freepublish.getarticle(status["article_id"])["news_item"][0]
    assert got["title"] == "春季运动会圆满落幕" and got["is_deleted"] is False and got["url"] == url


def test_publish_goes_through_publishing_after_a_delay(mp_client, cover, article, sandbox_state):
    sandbox_state.configure(publish_delay=30)
    client = mp_client()
    media_id = client.draft.add([article(cover(client))])["media_id"]
    publish_id = client.freepublish.submit(media_id)["publish_id"]
    status = client.freepublish.get(publish_id)
    assert status["publish_status"] == 1 and "article_id" not in status
    assert client.draft.count()["total_count"] == 1  # still in the box while publishing
    with pytest.raises(WeChatClientException) as e:
        client.freepublish.submit(media_id)
    assert e.value.errcode == 53501
    sandbox_state.advance(31)
    assert client.freepublish.get(publish_id)["publish_status"] == 0
    assert client.draft.count()["total_count"] == 0


def test_failed_publication_keeps_the_draft(mp_client, cover, article, sandbox_state):
    sandbox_state.fail_next_publish(4, fail_idx=[1])
    client = mp_client()
    media_id = client.draft.add([article(cover(client))])["media_id"]
    status = client.freepublish.get(client.freepublish.submit(media_id)["publish_id"])
    assert status["publish_status"] == 4 and status["fail_idx"] == [1] and "article_id" not in status
    assert client.draft.get(media_id)["news_item"][0]["title"] == "沙箱测试文章"
    # and it can be submitted again
    assert client.freepublish.get(client.freepublish.submit(media_id)["publish_id"])["publish_status"] == 0


def test_freepublish_delete_index_zero_deletes_all(mp_client, cover, article, sandbox_state):
    client = mp_client()
    thumb = cover(client)
    media_id = client.draft.add([article(thumb, title="第一篇"), article(thumb, title="第二篇")])["media_id"]
    publish_id = client.freepublish.submit(media_id)["publish_id"]
    status = client.freepublish.get(publish_id)
    assert [i["idx"] for i in status["article_detail"]["item"]] == [1, 2]
    article_id = status["article_id"]

    client.freepublish.delete(article_id, index=2)
    items = client.freepublish.getarticle(article_id)["news_item"]
    assert [i["is_deleted"] for i in items] == [False, True]
    second = requests.get(status["article_detail"]["item"][1]["article_url"], timeout=5)
    assert "该内容已被发布者删除" in second.text and "第二篇" not in second.text

    client.freepublish.delete(article_id)  # wechatpy's default index 0: all
    assert all(i["is_deleted"] for i in client.freepublish.getarticle(article_id)["news_item"])
    assert client.freepublish.get(publish_id)["publish_status"] == 5
    with pytest.raises(WeChatClientException) as e:
        client.freepublish.getarticle("no-such-article")
    assert e.value.errcode == 53600
    with pytest.raises(WeChatClientException) as e:
        client.freepublish.get("12345")
    assert e.value.errcode == 53502


def test_invalid_media_id_is_40007(mp_client, article):
    client = mp_client()
    with pytest.raises(WeChatClientException) as e:
        client.draft.add([article("no-such-media-id")])
    assert e.value.errcode == 40007
    with pytest.raises(WeChatClientException) as e:
        client.freepublish.submit("no-such-draft")
    assert e.value.errcode == 40007


def test_media_ids_belong_to_their_account(mp_client, cover, article):
    other_thumb = cover(mp_client("wxsandbox00000002"))
    with pytest.raises(WeChatClientException) as e:
        mp_client().draft.add([article(other_thumb)])
    assert e.value.errcode == 40007


def test_draft_without_thumb_is_40007(mp_client):
    with pytest.raises(WeChatClientException) as e:
        mp_client().post("draft/add", data={"articles": [{"title": "无封面", "content": "<p>x</p>"}]})
    assert e.value.errcode == 40007


@pytest.mark.parametrize(
    ("field", "value", "errcode"),
    [
        ("title", "标" * 33, 45003),
        ("author", "作" * 17, 45110),
        ("digest", "摘" * 129, 45004),
        ("content", "<p>" + "字" * 19993 + "</p>", 45002),  # 20 000 characters with the tags
        ("title", "", 44003),
    ],
)
def test_article_limits(mp_client, cover, article, field, value, errcode):
    client = mp_client()
    with pytest.raises(WeChatClientException) as e:
        client.draft.add([article(cover(client), **{field: value})])
    assert e.value.errcode == errcode


def test_article_limits_are_inclusive(mp_client, cover, article):
    client = mp_client()
    ok = article(
        cover(client),
        title="标" * 32,
        author="作" * 16,
        digest="摘" * 128,
        content="<p>" + "字" * 19992 + "</p>",
    )
    assert client.draft.add([ok])["media_id"]


def test_image_limits(mp_client, jpeg, gif, big_jpeg):
    client = mp_client()
    for call, data, errcode in [
        (lambda d: client.media.upload_image(("a.gif", d, "image/gif")), gif, 40005),
        (lambda d: client.media.upload_image(("a.jpg", d, "image/jpeg")), big_jpeg, 40009),
        (lambda d: client.material.add("thumb", ("a.gif", d, "image/gif")), gif, 40005),
        (
            lambda d: client.material.add("thumb", ("a.jpg", d, "image/jpeg")),
            b"\xff\xd8\xff" + bytes(65 * 1024),
            40009,
        ),
    ]:
        with pytest.raises(WeChatClientException) as e:
            call(data)
        assert e.value.errcode == errcode
    image = client.material.add("image", ("big.jpg", big_jpeg, "image/jpeg"))  # images may be up to 10 MB
    assert image["url"].endswith(".jpg")
    assert client.material.add("image", ("a.gif", gif, "image/gif"))["media_id"]


def test_foreign_images_are_stripped(mp_client, cover, article):
    client = mp_client()
    content = '<p>a</p><img src="https://example.com/x.jpg"><p onclick="steal()">b</p>'
    media_id = client.draft.add([article(cover(client), content=content)])["media_id"]
    stored = client.draft.get(media_id)["news_item"][0]["content"]
    assert "example.com" not in stored and "onclick" not in stored and "<p>b</p>" in stored


def test_draft_update_takes_one_object(mp_client, cover, article):
    client = mp_client()
    thumb = cover(client)
    media_id = client.draft.add([article(thumb)])["media_id"]
    client.draft.update(media_id, 0, article(thumb, title="改过的标题"))
    assert client.draft.get(media_id)["news_item"][0]["title"] == "改过的标题"
    with pytest.raises(WeChatClientException) as e:
        client.draft.update(media_id, 0, [article(thumb)])
    assert e.value.errcode == 47001
    with pytest.raises(WeChatClientException) as e:
        client.draft.update(media_id, 1, article(thumb))
    assert e.value.errcode == 40007
    with pytest.raises(WeChatClientException) as e:
        client.draft.update(media_id, 0, article(thumb, title="标" * 33))
    assert e.value.errcode == 45003


def test_draft_batchget_and_delete(mp_client, cover, article):
    client = mp_client()
    thumb = cover(client)
    ids = [client.draft.add([article(thumb, title=f"草稿{i}")])["media_id"] for i in range(3)]
    listed = client.draft.batchget(offset=0, count=2, no_content=1)
    assert listed["total_count"] == 3 and listed["item_count"] == 2
    assert "content" not in listed["item"][0]["content"]["news_item"][0]
    client.draft.delete(ids[0])
    assert client.draft.count()["total_count"] == 2
    with pytest.raises(WeChatClientException) as e:
        client.draft.delete(ids[0])
    assert e.value.errcode == 40007
    with pytest.raises(WeChatClientException) as e:
        client.draft.batchget(count=21)
    assert e.value.errcode == 47001
