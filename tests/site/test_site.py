"""The website channel: public /p/<slug> pages (404 unknown, 410 withdrawn), their images only
when the live page shows them, and the Atom feed /feeds/<slug>.xml."""
import io
import re
import xml.etree.ElementTree as ET

import pytest
from PIL import Image
from sqlalchemy import select

from cms.audit.models import AuditEntry
from cms.auth.service import get_by_username
from cms.channels.models import Channel
from cms.content import service as content
from cms.extensions import db
from cms.site import service as site
from cms.site.models import SitePage

A = "{http://www.w3.org/2005/Atom}"


def _channel(name="星海官网") -> Channel:
    return db.session.scalar(select(Channel).where(Channel.name == name))


def _image(color=(10, 120, 200)):
    buf = io.BytesIO()
    Image.new("RGB", (700, 400), color).save(buf, "PNG")
    return content.upload_asset(get_by_username("contributor"), buf.getvalue(), "own")


def _post(title="市场部举办客户开放日", text="本周五，市场部邀请客户参观新产品展厅。", **extra):
    return content.create_post(get_by_username("contributor"), {
        "title": title, "author": "张晓雯", "digest": "开放日活动回顾", "category": "news",
        "body": {"format": "markdown", "text": text}, "source": {"kind": "original"},
        "channels": [_channel().id], **extra})


def _publish(post, channel=None):
    url = site.publish(post, post.current, channel or _channel())
    db.session.commit()
    return url


def _feed(client, slug="xinghai"):
    r = client.get(f"/feeds/{slug}.xml")
    assert r.status_code == 200 and r.mimetype == "application/atom+xml"
    return ET.fromstring(r.data)


@pytest.fixture(autouse=True)
def _demo_website(app):
    """The demo's website channel, 星海官网, has the feed name xinghai (/feeds/xinghai.xml)."""
    assert _channel().slug == "xinghai" and _channel().platform == "website"


def test_a_published_page_is_public(client, clock):
    clock.set("2026-06-01 02:05:00+00:00")
    post = _post()
    url = _publish(post)
    assert re.fullmatch(rf"/p/{post.id}-[0-9a-f]{{12}}", url)
    r = client.get(url)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "<title>市场部举办客户开放日 · 星海官网</title>" in html and "张晓雯" in html
    assert "2026-06-01 10:05" in html and "北京时间" in html  # in CMS_TIMEZONE, the zone named
    assert "本周五，市场部邀请客户参观新产品展厅。" in html
    assert 'href="/feeds/xinghai.xml"' in html
    assert "script-src 'none'" in r.headers["Content-Security-Policy"]
    assert "/login" not in html  # not the CMS's own chrome
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "site.page_published")).after["slug"] \
        == url.removeprefix("/p/")


def test_unknown_pages_are_404_and_withdrawn_ones_410(client):
    post = _post()
    url = _publish(post)
    r = client.get("/p/1-000000000000")
    assert r.status_code == 404 and "没有这篇文章" in r.get_data(as_text=True)
    site.withdraw(post, _channel())
    db.session.commit()
    r = client.get(url)
    assert r.status_code == 410 and "撤回" in r.get_data(as_text=True)
    assert "本周五" not in r.get_data(as_text=True)
    site.withdraw(post, _channel())  # twice is harmless
    db.session.commit()
    assert client.get(url).status_code == 410


def test_a_correction_keeps_the_address(client, clock):
    clock.set("2026-06-01 02:00:00+00:00")
    post = _post()
    url = _publish(post)
    clock.set("2026-06-01 06:00:00+00:00")
    content.save(get_by_username("contributor"), post, {"title": "开放日（更正）",
                                                         "body": {"format": "markdown", "text": "更正后的正文。"}}, 1)
    assert _publish(post) == url
    html = client.get(url).get_data(as_text=True)
    assert "开放日（更正）" in html and "更正后的正文" in html and "本周五" not in html
    assert "2026-06-01 10:00" in html and "更正于 2026-06-01 14:00" in html
    page = db.session.scalar(select(SitePage).where(SitePage.post_id == post.id))
    assert page.revision_number == 2
    site.withdraw(post, _channel())
    db.session.commit()
    assert _publish(post) == url and client.get(url).status_code == 200  # back after a withdrawal


def test_images_are_public_only_while_the_live_page_shows_them(client):
    shown, other = _image(), _image((200, 10, 10))
    post = _post(text=f"展厅照片：\n\n![展厅](/assets/{shown.id})")
    url = _publish(post)
    html = client.get(url).get_data(as_text=True)
    image_url = f"{url}/images/{shown.id}"
    assert f'src="{image_url}"' in html and f'src="/assets/{shown.id}"' not in html
    r = client.get(image_url)
    assert r.status_code == 200 and r.mimetype == "image/png" and r.data == shown.blob.data
    assert client.get(f"{url}/images/{other.id}").status_code == 404      # not on this page
    assert client.get(f"/p/nope/images/{shown.id}").status_code == 404
    assert client.get(f"{url}/images/99999999999999999999999").status_code == 404
    assert client.get(f"/assets/{shown.id}").status_code == 302          # the CMS route still needs a login
    site.withdraw(post, _channel())
    db.session.commit()
    assert client.get(image_url).status_code == 404


def test_the_feed_lists_live_pages_escaped(client, clock):
    clock.set("2026-06-01 02:00:00+00:00")
    first = _post(title='标题 <&> "引号"', text="第一篇")
    _publish(first)
    clock.set("2026-06-02 02:00:00+00:00")
    img = _image()
    second = _post(title="第二篇", text=f"第二篇 ![图](/assets/{img.id})")
    second_url = _publish(second)
    gone = _post(title="撤回的文章")
    _publish(gone)
    site.withdraw(gone, _channel())
    _post(title="还是草稿的文章")  # never published
    db.session.commit()

    feed = _feed(client)
    assert feed.tag == f"{A}feed"
    assert feed.findtext(f"{A}title") == "星海官网"
    assert feed.findtext(f"{A}id") == "http://localhost/feeds/xinghai.xml"
    assert feed.find(f"{A}link[@rel='self']").get("href") == "http://localhost/feeds/xinghai.xml"
    assert feed.findtext(f"{A}updated") == "2026-06-02T10:00:00+08:00"
    entries = feed.findall(f"{A}entry")
    assert [e.findtext(f"{A}title") for e in entries] == ["第二篇", '标题 <&> "引号"']  # newest first
    e = entries[0]
    assert e.findtext(f"{A}id") == f"http://localhost{second_url}"
    assert e.find(f"{A}link").get("href") == f"http://localhost{second_url}"
    assert e.findtext(f"{A}published") == e.findtext(f"{A}updated") == "2026-06-02T10:00:00+08:00"
    assert e.findtext(f"{A}author/{A}name") == "张晓雯" and e.findtext(f"{A}summary") == "开放日活动回顾"
    body = e.find(f"{A}content")
    assert body.get("type") == "html" and "第二篇" in body.text
    assert f'src="http://localhost{second_url}/images/{img.id}"' in body.text
    raw = client.get("/feeds/xinghai.xml").get_data(as_text=True)
    assert "标题 &lt;&amp;&gt;" in raw and "撤回的文章" not in raw and "还是草稿的文章" not in raw


def test_the_feed_holds_the_20_latest(client):
    for n in range(22):
        _publish(_post(title=f"文章{n}", text=f"正文{n}"))
    titles = [e.findtext(f"{A}title") for e in _feed(client).findall(f"{A}entry")]
    assert len(titles) == 20 and "文章21" in titles and "文章0" not in titles and "文章1" not in titles


def test_an_empty_feed_and_unknown_feeds(client):
    feed = _feed(client)
    assert feed.findall(f"{A}entry") == [] and feed.findtext(f"{A}updated")
    assert client.get("/feeds/nope.xml").status_code == 404
    assert client.get("/feeds/xinghai.atom").status_code == 404


def test_drafts_never_appear(client):
    post = _post()
    assert db.session.scalar(select(SitePage.id)) is None
    assert _feed(client).findall(f"{A}entry") == []
    assert client.get(f"/p/{post.id}").status_code == 404


def test_only_website_channels_publish_here(app):
    post = _post()
    with pytest.raises(ValueError):
        site.publish(post, post.current, _channel("星海集团"))
    with pytest.raises(ValueError):
        site.withdraw(post, _channel("星海集团"))


def test_a_stray_control_character_does_not_break_the_feed(client):
    post = _post(title="标题\x08带控制字符")
    _publish(post)
    assert _feed(client).find(f"{A}entry").findtext(f"{A}title") == "标题带控制字符"
