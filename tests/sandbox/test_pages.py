"""The sandbox's own pages."""

from __future__ import annotations

import requests


def test_index_lists_accounts_drafts_and_published(
    mp_client, cover, article, sandbox_url, toutiao_client, jpeg
):
    assert "还没有账号" in requests.get(f"{sandbox_url}/sandbox/", timeout=5).text
    client = mp_client()
    thumb = cover(client)
    published = client.draft.add([article(thumb, title="已经发表的文章")])["media_id"]
    client.freepublish.get(client.freepublish.submit(published)["publish_id"])
    client.draft.add([article(thumb, title="还在草稿箱里")])
    tt = toutiao_client()
    tt.create_article(
        title="头条上的文章", content="<p>a</p>", cover_image_ids=[tt.upload_image(jpeg)["image_id"]]
    )
    page = requests.get(f"{sandbox_url}/sandbox/", timeout=5)
    assert page.status_code == 200
    for text in ("wxsandbox00000001", "已经发表的文章", "还在草稿箱里", "头条上的文章", "/sandbox/articles/"):
        assert text in page.text


def test_article_and_draft_pages(mp_client, cover, article, sandbox_url):
    client = mp_client()
    media_id = client.draft.add([article(cover(client), title="手机上看")])["media_id"]
    draft_url = client.draft.get(media_id)["news_item"][0]["url"]
    draft_page = requests.get(draft_url, timeout=5)
    assert draft_page.status_code == 200 and "草稿预览" in draft_page.text and "手机上看" in draft_page.text
    status = client.freepublish.get(client.freepublish.submit(media_id)["publish_id"])
    page = requests.get(f"{sandbox_url}/sandbox/articles/{status['article_id']}", timeout=5)
    assert page.status_code == 200 and "max-width:414px" in page.text and "第一段正文" in page.text
    assert requests.get(f"{sandbox_url}/sandbox/articles/nope", timeout=5).status_code == 404
    assert requests.get(f"{sandbox_url}/sandbox/media/nope.jpg", timeout=5).status_code == 404


def test_thumb_is_served_back(mp_client, jpeg, sandbox_state):
    client = mp_client()
    media_id = client.material.add("thumb", ("c.jpg", jpeg, "image/jpeg"))["media_id"]
    r = requests.get(sandbox_state.image(media_id).url, timeout=5)
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/jpeg" and r.content == jpeg
