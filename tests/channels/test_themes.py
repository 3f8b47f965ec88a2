"""Channel themes: one format for every post of a channel (policy C10)."""
from sqlalchemy import select

from cms.audit.models import AuditEntry
from cms.channels.models import Channel
from cms.extensions import db


def _channel(name="星海集团"):
    return db.session.scalar(select(Channel).where(Channel.name == name))


def _theme_form(**changes):
    values = {"body_font": "'PingFang SC', sans-serif", "body_size_px": "16", "body_color": "#333333",
              "line_height": "1.75", "paragraph_spacing_px": "16", "title_size_px": "22",
              "heading_color": "#1a1a1a", "accent_color": "#07c160", "quote_color": "#888888",
              "caption_size_px": "14", "allowed_colors": "", "max_font_sizes": "3"}
    return {**values, **changes}


def test_account_admin_sets_a_theme_and_the_next_save_uses_it(client_as, api):
    channel = _channel()
    call = api("contributor")
    post = call("POST", "/posts", json={"title": "主题测试", "category": "news", "channels": [channel.id],
                                        "source": {"kind": "original"},
                                        "body": {"format": "markdown", "text": "正文一段。"}}).json
    assert "font-size:16px" in post["revision"]["html"]
    admin = client_as("account_admin")
    page = admin.get(f"/channels/{channel.id}/theme").get_data(as_text=True)
    assert "正文字号（px）" in page and 'value="16"' in page and "示例标题" in page
    r = admin.post(f"/channels/{channel.id}/theme", data=_theme_form(body_size_px="17", body_color="#222222"))
    assert r.status_code == 302
    db.session.expire_all()
    assert _channel().theme["body_size_px"] == 17
    r = call("PATCH", f"/posts/{post['id']}", json={"base_revision": 1, "body": {"format": "markdown", "text": "正文两段。"}})
    assert "font-size:17px" in r.json["revision"]["html"] and "#222222" in r.json["revision"]["html"]
    old = call("GET", f"/posts/{post['id']}/revisions/1/diff/2")
    assert old.status_code == 200  # revision 1 keeps the HTML it was rendered with
    from cms.content.models import Revision

    first = db.session.scalar(select(Revision).where(Revision.post_id == post["id"], Revision.number == 1))
    assert "font-size:16px" in first.html
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "channel.theme_changed")).one()
    assert entry.after["body_size_px"] == 17 and entry.actor_name == "account_admin"


def test_bad_theme_values_are_named_and_nothing_is_saved(client_as):
    channel = _channel()
    admin = client_as("account_admin")
    for changes, message in (({"body_color": "red; background:url(x)"}, "正文颜色"),
                             ({"body_size_px": "99"}, "正文字号"),
                             ({"caption_size_px": "20", "body_size_px": "16"}, "图注字号"),
                             ({"body_font": "x;}</style><script>"}, "字体")):
        r = admin.post(f"/channels/{channel.id}/theme", data=_theme_form(**changes))
        assert r.status_code == 400 and message in r.get_data(as_text=True), changes
    db.session.expire_all()
    assert _channel().theme == {}


def test_only_account_admins_manage_channels(client_as):
    channel = _channel()
    assert client_as("contributor").get(f"/channels/{channel.id}/theme").status_code == 403
    assert client_as("account_admin").get("/channels/").status_code == 200
    assert client_as("account_admin").get("/channels/999/theme").status_code == 404
