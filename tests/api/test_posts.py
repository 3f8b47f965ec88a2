"""Posts through the API: revisions, conflicts, checks, search, diff, images (API.md; C9 C10 C14 C15)."""
import io

import pytest
from PIL import Image
from sqlalchemy import select

from cms.channels.models import Channel
from cms.content.models import Post, Revision
from cms.extensions import db


def _channel(name="星海集团"):
    return db.session.scalar(select(Channel.id).where(Channel.name == name))


def _post(call, **overrides):
    body = {"title": "市场部举办客户开放日", "author": "张晓雯", "digest": "开放日活动回顾",
            "body": {"format": "markdown", "text": "# 开放日\n\n本周五，市场部邀请客户参观新产品展厅。"},
            "category": "news", "channels": [_channel()], "source": {"kind": "original"}, **overrides}
    r = call("POST", "/posts", json=body)
    assert r.status_code == 201, r.json
    return r.json


def test_create_renders_themed_html_and_checks(api):
    post = _post(api("contributor"))
    rev = post["revision"]
    assert post["status"] == "draft" and rev["number"] == 1 and len(rev["hash"]) == 64
    assert "<h1" in rev["html"] and "style=" in rev["html"] and "class=" not in rev["html"]
    assert post["checks"] == []  # a clean article has no findings


def test_a_post_without_channels_or_body(api):
    r = api("contributor")("POST", "/posts", json={"title": "先占个位", "category": "news"})
    assert r.status_code == 201 and r.json["channels"] == [] and r.json["revision"]["number"] == 1


def test_only_contributors_create(api):
    r = api("editor")("POST", "/posts", json={"title": "x", "category": "news"})
    assert r.status_code == 403


def test_bad_fields_are_named(api):  # policy C3: a category is one of five
    call = api("contributor")
    r = call("POST", "/posts", json={"title": "", "category": "gossip", "body": {"format": "doc", "text": 1},
                                     "channels": [9999], "planned_date": "next week"})
    assert r.status_code == 400
    assert set(r.json["error"]["fields"]) == {"title", "category", "body", "channels", "planned_date"}
    assert call("POST", "/posts", data="x").status_code == 400


def test_edit_makes_a_new_revision_and_keeps_the_old(api):
    call = api("contributor")
    post = _post(call)
    r = call("PATCH", f"/posts/{post['id']}", json={"base_revision": 1, "title": "客户开放日圆满举行"})
    assert r.status_code == 200 and r.json["revision"]["number"] == 2
    old = db.session.scalar(select(Revision).where(Revision.post_id == post["id"], Revision.number == 1))
    assert old.title == "市场部举办客户开放日"
    # saving the same content again makes no new revision
    r = call("PATCH", f"/posts/{post['id']}", json={"base_revision": 2, "title": "客户开放日圆满举行"})
    assert r.json["revision"]["number"] == 2


def test_stale_base_revision_is_409_with_both_versions(api):
    call, head = api("contributor"), api("department_head")
    post = _post(call)
    assert head("PATCH", f"/posts/{post['id']}", json={"base_revision": 1, "digest": "部门负责人改过"}).status_code == 200
    r = call("PATCH", f"/posts/{post['id']}", json={"base_revision": 1, "digest": "我也改了"})
    assert r.status_code == 409 and r.json["error"]["code"] == "stale_revision"
    assert r.json["error"]["current"]["digest"] == "部门负责人改过"
    assert r.json["error"]["yours"]["digest"] == "我也改了"
    assert call("PATCH", f"/posts/{post['id']}", json={"digest": "x"}).status_code == 400  # base_revision missing


def test_revisions_are_immutable(app, api):
    post = _post(api("contributor"))
    rev = db.session.scalar(select(Revision).where(Revision.post_id == post["id"]))
    rev.title = "偷偷改"
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("text, check, policy, severity", [
    ("请联系 13812345678 报名。", "compliance.mobile", "C15", "error"),
    ("使用WeChat发布活动通知。", "format.spacing", "C10", "warning"),
])
def test_checks_fire_with_policy_ids(api, text, check, policy, severity):
    post = _post(api("contributor"), body={"format": "markdown", "text": text})
    found = [c for c in post["checks"] if c["check"].startswith(check.split(".")[0])]
    assert found and found[0]["policy"] == policy and found[0]["severity"] == severity


def test_reprint_without_source_is_a_c9_error_and_gets_an_attribution_line(api):
    call = api("contributor")
    post = _post(call, source={"kind": "reprint"})
    assert any(c["policy"] == "C9" and c["severity"] == "error" for c in post["checks"])
    r = call("PATCH", f"/posts/{post['id']}", json={"base_revision": 1, "source": {
        "kind": "reprint", "name": "人民日报", "url": "https://example.com/a", "author": "李四"}})
    assert not any(c["policy"] == "C9" and c["severity"] == "error" for c in r.json["checks"])
    assert "本文转载自：人民日报" in r.json["revision"]["html"]


def test_recommended_category_starts_as_reprint(api):  # policy C9
    post = _post(api("contributor"), category="recommended", source=None)
    assert post["revision"]["source"]["kind"] == "reprint"


def test_visibility_follows_department(api):
    post = _post(api("contributor"))
    assert api("department_head")("GET", f"/posts/{post['id']}").status_code == 200
    assert api("editor")("GET", f"/posts/{post['id']}").status_code == 200  # reviewers read all
    assert api("finance")("GET", f"/posts/{post['id']}").status_code == 404
    assert api("finance")("GET", "/posts").json["total"] == 0
    r = api("finance")("PATCH", f"/posts/{post['id']}", json={"base_revision": 1, "title": "x"})
    assert r.status_code == 404


def test_list_filters_and_chinese_search(api):
    call = api("contributor")
    a = _post(call, title="春节慰问一线员工", body={"format": "markdown", "text": "公司领导走访生产一线，送上新春祝福。"})
    b = _post(call, title="新品发布会", category="promotion")
    assert {p["id"] for p in call("GET", "/posts?q=走访生产").json["items"]} == {a["id"]}
    assert {p["id"] for p in call("GET", "/posts?q=春节").json["items"]} == {a["id"]}   # two characters: titles
    assert {p["id"] for p in call("GET", "/posts?q=发").json["items"]} == {b["id"]}      # one character
    assert {p["id"] for p in call("GET", "/posts?category=promotion").json["items"]} == {b["id"]}
    assert call("GET", f"/posts?channel={_channel('星海头条号')}").json["total"] == 0
    assert call("GET", "/posts?status=draft").json["total"] == 2
    assert call("GET", "/posts?status=nonsense").status_code == 400
    # search follows edits
    call("PATCH", f"/posts/{a['id']}", json={"base_revision": 1, "body": {"format": "markdown", "text": "改写后的正文"}})
    assert call("GET", "/posts?q=走访生产").json["total"] == 0
    assert call("GET", "/posts?q=改写后").json["total"] == 1


def test_diff_between_revisions(api):
    call = api("contributor")
    post = _post(call)
    call("PATCH", f"/posts/{post['id']}", json={"base_revision": 1, "body": {
        "format": "markdown", "text": "# 开放日\n\n本周六，市场部邀请客户参观新产品展厅。"}})
    r = call("GET", f"/posts/{post['id']}/revisions/1/diff/2")
    rows = r.json["fields"]["body_source"]
    changed = [row for row in rows if row["kind"] == "changed"]
    assert changed[0]["left"].count("<del>五</del>") == 1 and "<ins>六</ins>" in changed[0]["right"]
    assert "title" not in r.json["fields"]
    assert call("GET", f"/posts/{post['id']}/revisions/1/diff/9").status_code == 404


def _png(width=800, height=600):
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def test_assets_upload_dedupes_and_declares_source(api):  # policy C14
    call = api("contributor")
    data = {"file": (io.BytesIO(_png()), "a.png"), "source": "own"}
    first = call("POST", "/assets", data=data, content_type="multipart/form-data")
    again = call("POST", "/assets", data={"file": (io.BytesIO(_png()), "b.jpg"), "source": "own"},
                 content_type="multipart/form-data")
    assert first.status_code == again.status_code == 201
    assert first.json["sha256"] == again.json["sha256"] and first.json["format"] == "png"
    from cms.content.models import Blob

    assert db.session.scalar(select(db.func.count(Blob.id))) == 1
    r = call("POST", "/assets", data={"file": (io.BytesIO(_png()), "a.png"), "source": "reprint"},
             content_type="multipart/form-data")
    assert r.status_code == 422 and r.json["error"]["code"] == "C14"
    r = call("POST", "/assets", data={"file": (io.BytesIO(b"not an image"), "x.png"), "source": "own"},
             content_type="multipart/form-data")
    assert r.status_code == 422 and "图片" in r.json["error"]["message"]
    small = call("POST", "/assets", data={"file": (io.BytesIO(_png(300, 200)), "s.png"), "source": "own"},
                 content_type="multipart/form-data")
    assert small.json["warning"]  # low resolution (C10 photo quality)


def test_reprinted_image_without_credit_in_body_is_an_error(api):  # policy C14
    post = _post(api("contributor"), body={"format": "html", "text": '<p>图：</p><img src="https://other.example/x.jpg">'})
    assert any(c["policy"] == "C14" and c["severity"] == "error" for c in post["checks"])


def test_post_count_in_db(api):
    _post(api("contributor"))
    assert db.session.scalar(select(db.func.count(Post.id))) == 1


def _stripes_png():
    """800x400: the left half black, the right half white, so where a crop sits shows in its pixels."""
    img = Image.new("RGB", (800, 400), (255, 255, 255))
    img.paste((0, 0, 0), (0, 0, 400, 400))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def test_cover_crops_at_both_ratios_around_the_focus(api, client_as):  # WeChat covers: 2.35:1 and 1:1
    call = api("contributor")
    cover = call("POST", "/assets", data={"file": (io.BytesIO(_stripes_png()), "c.png"), "source": "own"},
                 content_type="multipart/form-data").json["id"]
    post = _post(call, cover_asset_id=cover)
    assert post["revision"]["cover_focus"] == {"x": 0.5, "y": 0.5}   # centre by default
    browser = client_as("contributor")

    def crop(ratio, query=""):
        r = browser.get(f"/posts/{post['id']}/cover/{ratio}{query}")
        assert r.status_code == 200 and r.mimetype == "image/png"
        return Image.open(io.BytesIO(r.data)).convert("RGB")

    wide, square = crop("2.35:1"), crop("1:1")
    assert abs(wide.width / wide.height - 2.35) < 0.01 and wide.width == 800
    assert square.size == (400, 400)
    assert square.getpixel((10, 200)) == (0, 0, 0) and square.getpixel((390, 200)) == (255, 255, 255)
    # the author moves the focus to the right edge: the square crop shows the white half only
    r = call("PATCH", f"/posts/{post['id']}", json={"base_revision": 1, "cover_focus": {"x": 1.0, "y": 0.5}})
    assert r.json["revision"]["cover_focus"] == {"x": 1.0, "y": 0.5} and r.json["revision"]["number"] == 2
    assert crop("1:1").getpixel((10, 200)) == (255, 255, 255)
    assert crop("1:1", "?x=0&y=50").getpixel((390, 200)) == (0, 0, 0)   # trying a focus without saving
    bad = call("PATCH", f"/posts/{post['id']}", json={"base_revision": 2, "cover_focus": {"x": 2, "y": 0}})
    assert bad.status_code == 400 and "cover_focus" in bad.json["error"]["fields"]
    assert browser.get(f"/posts/{post['id']}/cover/4:3").status_code == 404
    assert client_as("finance").get(f"/posts/{post['id']}/cover/1:1").status_code == 404


def test_a_post_without_cover_has_no_crop(api, client_as):
    post = _post(api("contributor"))
    assert client_as("contributor").get(f"/posts/{post['id']}/cover/1:1").status_code == 404
