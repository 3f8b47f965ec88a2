"""Issue 19 part 8: the header's search box finds posts, people and channels, and only the posts
the user may see; the edit links only for those who manage users or the channel."""
from sqlalchemy import select

from cms.auth.service import get_by_username
from cms.channels.models import Channel
from cms.content import service as content
from cms.extensions import db


def _post(title="星海客户开放日回顾"):
    channel = db.session.scalar(select(Channel).where(Channel.name == "星海集团"))
    return content.create_post(get_by_username("contributor"), {
        "title": title, "author": "张晓雯", "digest": "回顾", "category": "news", "channels": [channel.id],
        "body": {"format": "markdown", "text": "本周五，市场部邀请客户参观新产品展厅。"}, "source": {"kind": "original"}})


def test_the_box_is_on_every_page_and_finds_posts_people_and_channels(app, client_as):
    post = _post()
    c = client_as("contributor")
    assert 'action="/search"' in c.get("/").get_data(as_text=True)
    page = c.get("/search?q=星海").get_data(as_text=True)
    assert f'href="/posts/{post.id}"' in page and "星海集团" in page and "星海头条号" in page
    people = c.get("/search?q=张晓雯").get_data(as_text=True)
    assert "张晓雯" in people and "市场部" in people and "/admin/users/" not in people  # no edit link
    assert "/admin/users/" in client_as("sysadmin").get("/search?q=张晓雯").get_data(as_text=True)


def test_a_post_the_user_may_not_see_is_not_found(app, client_as):
    post = _post("仅市场部可见的草稿")
    page = client_as("finance").get("/search?q=仅市场部可见").get_data(as_text=True)
    assert f'href="/posts/{post.id}"' not in page and "没有" in page
    assert client_as("finance").get("/search?q=" + "%" * 5).status_code == 200  # wildcards are literal
    assert client_as("finance").get("/search").status_code == 200
