"""The content pages through the test client on a real database (C9 C10 C11 C12 C14 C15)."""
import io
import re

import pytest
from sqlalchemy import select

from cms.auth.models import Department
from cms.channels.models import Channel
from cms.content.models import Post, Revision
from cms.extensions import db


def _channel_id(name="星海集团"):
    return db.session.scalar(select(Channel.id).where(Channel.name == name))


def _form(**over):
    data = {"title": "春季运动会圆满落幕", "author": "市场部", "digest": "", "body_format": "markdown",
            "body": "公司春季运动会在体育中心举行。", "category": "internal_activity",
            "channels": [str(_channel_id())], "source_kind": "original", "source_name": "", "source_url": "",
            "source_author": "", "urgency": "regular", "planned_date": "", "open_comments": "y",
            "cover_asset_id": "0", "note": ""}
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def _create(client, **over) -> int:
    r = client.post("/posts/new", data=_form(**over))
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    return int(re.search(r"/posts/(\d+)$", r.location).group(1))


def _js(text):
    """How tojson writes Chinese into an attribute."""
    return text.encode("unicode_escape").decode()


def _revisions(post_id):
    db.session.expire_all()
    return db.session.scalars(select(Revision.number).where(Revision.post_id == post_id)
                              .order_by(Revision.number)).all()


@pytest.fixture
def other_contributor(app):
    """A contributor of another department (信息技术部)."""
    from cms.auth import service

    dep = db.session.scalar(select(Department).where(Department.name == "信息技术部"))
    service.create_user(username="it_writer", real_name="高远", department_id=dep.id, title="信息员", phone="",
                        hire_date=None, roles=[("contributor", "department", dep.id)], password="Demo-Pass-2026",
                        must_change=False)
    return "it_writer"


def test_create_shows_rendered_html_and_a_c15_error(client_as):
    c = client_as("contributor")
    post_id = _create(c, body="欢迎咨询**报名热线**：13812345678")
    page = c.get(f"/posts/{post_id}").get_data(as_text=True)
    assert "<strong>报名热线</strong>" in page
    assert "C15" in page and "finding-error" in page
    assert "13812345678" not in page.split("findings")[-1]  # the finding masks the number
    assert "phone-frame" in page and "修订历史" in page


def test_spacing_warning_is_fixed_in_one_click(client_as):
    c = client_as("contributor")
    post_id = _create(c, body="我们使用WeChat发布通知。")
    page = c.get(f"/posts/{post_id}").get_data(as_text=True)
    assert "C10" in page and 'value="space_cjk_latin"' in page and "自动修复" in page
    r = c.post(f"/posts/{post_id}/fix", data={"fix": "space_cjk_latin", "base_revision": "1"})
    assert r.status_code == 302
    assert _revisions(post_id) == [1, 2]
    page = c.get(f"/posts/{post_id}").get_data(as_text=True)
    assert 'value="space_cjk_latin"' not in page
    assert "使用 WeChat 发布" in page and "修订 2" in page


def test_bad_input_is_400_and_keeps_what_was_typed(client_as):
    c = client_as("contributor")
    r = c.post("/posts/new", data=_form(title="", category="", body="我写了很长的一段正文"))
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "我写了很长的一段正文" in page and "is-invalid" in page
    r = c.post("/posts/new", data=_form(title="好标题", source_kind="reprint", source_url="ftp://x",
                                        body="正文保留"))
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "正文保留" in page and "好标题" in page and "http://" in page


def test_stale_base_revision_shows_the_merge_page(client_as):
    c = client_as("contributor")
    post_id = _create(c, body="第一版正文")
    head = client_as("department_head")
    assert head.post(f"/posts/{post_id}/edit", data=_form(body="部门负责人改过的正文", base_revision="1")).status_code == 302
    r = c.post(f"/posts/{post_id}/edit", data=_form(body="我自己改的正文", base_revision="1"))
    assert r.status_code == 409
    page = r.get_data(as_text=True)
    assert "部门负责人改过的正文" in page and "我自己改的正文" in page
    assert 'name="base_revision" type="hidden" value="2"' in page
    assert _revisions(post_id) == [1, 2]
    # re-submitting on top of the current revision works
    r = c.post(f"/posts/{post_id}/edit", data=_form(body="合并后的正文", base_revision="2"))
    assert r.status_code == 302 and _revisions(post_id) == [1, 2, 3]


def test_edit_page_loads_the_current_revision(client_as):
    c = client_as("contributor")
    post_id = _create(c, body="可编辑的正文")
    page = c.get(f"/posts/{post_id}/edit").get_data(as_text=True)
    assert "可编辑的正文" in page and 'name="base_revision" type="hidden" value="1"' in page
    assert "editor.js" in page and "<script>" not in page


def test_another_department_gets_404(client_as, other_contributor):
    c = client_as("contributor")
    post_id = _create(c)
    other = client_as(other_contributor)
    for path in (f"/posts/{post_id}", f"/posts/{post_id}/edit", f"/posts/{post_id}/revisions/1/diff/1",
                 f"/posts/{post_id}/preview", f"/posts/{post_id}/request-form"):
        assert other.get(path).status_code == 404, path
    assert other.post(f"/posts/{post_id}/revisions/1/restore").status_code == 404
    assert other.post(f"/posts/{post_id}/fix", data={"fix": "space_cjk_latin"}).status_code == 404
    assert "春季运动会" not in other.get("/posts").get_data(as_text=True)
    assert "春季运动会" in client_as("editor").get("/posts").get_data(as_text=True)  # post.read_all


def test_preview_has_the_csp_header(client_as):
    c = client_as("contributor")
    post_id = _create(c, body="正文<script>alert(1)</script>")
    r = c.get(f"/posts/{post_id}/preview")
    assert r.status_code == 200
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'none'" in csp and "default-src 'none'" in csp
    page = r.get_data(as_text=True)
    assert "春季运动会圆满落幕" in page and "max-width:375px" in page and "<script" not in page


def test_diff_shows_del_and_ins_and_restore_makes_a_new_revision(client_as):
    c = client_as("contributor")
    post_id = _create(c, body="今天天气很好")
    assert c.post(f"/posts/{post_id}/edit", data=_form(body="今天天气不好", base_revision="1")).status_code == 302
    page = c.get(f"/posts/{post_id}/revisions/1/diff/2").get_data(as_text=True)
    assert "<del>很</del>" in page and "<ins>不</ins>" in page
    r = c.post(f"/posts/{post_id}/revisions/1/restore")
    assert r.status_code == 302 and _revisions(post_id) == [1, 2, 3]
    rev = db.session.scalar(select(Revision).where(Revision.post_id == post_id, Revision.number == 3))
    assert rev.body_source == "今天天气很好" and "1" in rev.note


def test_request_form_is_printable(client_as):
    c = client_as("contributor")
    post_id = _create(c)
    page = c.get(f"/posts/{post_id}/request-form").get_data(as_text=True)
    assert "信息发布申请表" in page and "<th>标题</th>" in page and "职务" not in page and "张晓雯" in page and "市场部" in page and "星海集团" in page
    assert "尚无审核意见" in page  # the signature trail fills in as reviewers decide (C11)


def test_list_filters_and_search(client_as):
    c = client_as("contributor")
    _create(c, title="运动会通知")
    _create(c, title="产品发布会", category="promotion", body="新品上市。")
    page = c.get("/posts?category=promotion").get_data(as_text=True)
    assert "产品发布会" in page and "运动会通知" not in page
    page = c.get("/posts?q=运动会").get_data(as_text=True)
    assert "运动会通知" in page and "产品发布会" not in page
    assert c.get("/posts?status=bogus").status_code == 200


def test_words_admin_saves_and_a_post_shows_the_new_word(client_as):
    admin = client_as("sysadmin")
    page = admin.get("/admin/words").get_data(as_text=True)
    assert "赌博" in page and "标题" in page
    r = admin.post("/admin/words", data={"words-gambling": "赌博\n老虎机", "new_category": "", "new_terms": ""})
    assert r.status_code == 302
    c = client_as("contributor")
    post_id = _create(c, body="公司年会上没有老虎机。")
    page = c.get(f"/posts/{post_id}").get_data(as_text=True)
    assert "finding-error" in page and "老虎机" in page and "C15" in page
    assert client_as("contributor").get("/admin/words").status_code == 403


def test_autosave_and_restore_offer(client_as):
    c = client_as("contributor")
    post_id = _create(c, body="已保存的正文")
    r = c.post(f"/posts/{post_id}/autosave", json={"data": {"body": "还没保存的正文"}, "base_revision": 1})
    assert r.status_code == 200 and "saved_at" in r.json
    page = c.get(f"/posts/{post_id}/edit").get_data(as_text=True)
    assert "恢复未保存的草稿" in page and "data-draft=" in page and _js("还没保存的正文") in page
    assert c.post("/posts/new/autosave", json={"data": {"title": "新稿"}, "base_revision": None}).status_code == 200
    assert _js("新稿") in c.get("/posts/new").get_data(as_text=True)
    assert c.post(f"/posts/{post_id}/autosave", data="x").status_code == 400


def test_upload_rejects_a_non_image_and_accepts_a_png(client_as):
    from PIL import Image

    c = client_as("contributor")
    r = c.post("/assets/upload", data={"file": (io.BytesIO(b"not an image at all"), "x.png"), "source": "own",
                                       "credit": ""}, content_type="multipart/form-data")
    assert r.status_code == 400
    assert re.search(r"[\u4e00-\u9fff]", r.get_data(as_text=True).split("invalid-feedback")[1][:200])
    buf = io.BytesIO()
    Image.new("RGB", (900, 600), (30, 120, 200)).save(buf, "PNG")
    r = c.post("/assets/upload", data={"file": (io.BytesIO(buf.getvalue()), "blue.png"), "source": "own",
                                       "credit": ""}, content_type="multipart/form-data")
    assert r.status_code == 302
    page = c.get(r.location).get_data(as_text=True)
    m = re.search(r"!\[\]\(/assets/(\d+)\)", page)
    assert m
    image = c.get(f"/assets/{m.group(1)}")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data.startswith(b"\x89PNG")
    assert "max-age" in image.headers["Cache-Control"]
    # a reprint without credit is refused (C14)
    r = c.post("/assets/upload", data={"file": (io.BytesIO(buf.getvalue()), "blue.png"), "source": "reprint",
                                       "credit": ""}, content_type="multipart/form-data")
    assert r.status_code == 400


def test_only_contributors_create(client_as):
    assert client_as("editor").get("/posts/new").status_code == 403
    assert client_as("editor").get("/posts").status_code == 200
    assert db.session.scalar(select(Post.id)) is None


def test_images_are_seen_only_with_a_post_that_uses_them(app, client_as):  # DESIGN: per-object checks; C5
    import io

    from PIL import Image

    from cms.auth.service import get_by_username
    from cms.content import service as content

    buf = io.BytesIO()
    Image.new("RGB", (700, 400), (10, 120, 200)).save(buf, "PNG")
    asset = content.upload_asset(get_by_username("contributor"), buf.getvalue(), "own")
    url = f"/assets/{asset.id}"
    assert client_as("contributor").get(url).status_code == 200          # the uploader
    assert client_as("department_head").get(url).status_code == 404      # not used in any post yet
    assert client_as("finance").get(url).status_code == 404
    content.create_post(get_by_username("contributor"), {
        "title": "展厅照片", "category": "news", "source": {"kind": "original"},
        "body": {"format": "markdown", "text": f"![展厅]({url})"}})
    r = client_as("department_head").get(url)                            # sees the post, so the image
    assert r.status_code == 200 and r.mimetype == "image/png"
    assert client_as("finance").get(url).status_code == 404              # another department: still not
    assert client_as("editor").get(url).status_code == 200               # reviewers read all posts


def test_live_preview_renders_without_saving(app, client_as):  # C10 theme, sanitised, nothing stored
    from sqlalchemy import func, select

    from cms.content.models import Post, Revision
    from cms.extensions import db

    client = client_as("contributor")
    r = client.post("/posts/live-preview", data={
        "title": "预览标题", "author": "张晓雯", "body_format": "html", "category": "news", "source_kind": "reprint",
        "source_name": "人民日报", "source_url": "https://example.com/a",
        "body": '<p onclick="alert(1)">正文</p><script>alert(2)</script>'})
    html = r.json["html"]
    assert r.status_code == 200 and "预览标题" in html and "正文" in html
    assert "onclick" not in html and "<script" not in html and "alert(2)" not in html
    assert "本文转载自：人民日报" in html and "max-width:375px" in html
    assert db.session.scalar(select(func.count(Post.id))) == 0
    assert db.session.scalar(select(func.count(Revision.id))) == 0
    bad = client.post("/posts/live-preview", data={"title": "x", "body_format": "html", "source_kind": "reprint",
                                                   "source_url": "javascript:alert(1)"})
    assert bad.status_code == 400 and "http" in bad.json["error"]


def test_only_the_supervisor_clears_the_confidential_flag(app, client_as, api):  # policy C5
    from sqlalchemy import select

    from cms.audit.models import AuditEntry
    from cms.content.models import Post
    from cms.content.rules import publishing_blockers
    from cms.extensions import db

    call = api("contributor")
    post = call("POST", "/posts", json={"title": "未公开的薪酬改革方案", "category": "news", "confidential": True,
                                        "source": {"kind": "original"}}).json
    assert post["confidential"] is True
    r = call("PATCH", f"/posts/{post['id']}", json={"base_revision": 1, "confidential": False})
    assert r.status_code == 422 and r.json["error"]["code"] == "C5"
    assert publishing_blockers(True) == ["C5"] and publishing_blockers(False) == []
    url = f"/posts/{post['id']}/clear-confidential"
    assert client_as("contributor").post(url, data={"reason": "x"}).status_code == 403
    supervisor = client_as("supervisor")
    page = supervisor.get(f"/posts/{post['id']}").get_data(as_text=True)
    assert 'id="clear-confidential"' in page
    r = supervisor.post(url, data={"reason": ""}, follow_redirects=True)
    assert "请说明解除原因" in r.get_data(as_text=True)
    r = supervisor.post(url, data={"reason": "方案已于今日正式发布"}, follow_redirects=True)
    assert "已解除涉密标记" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Post, post["id"]).confidential is False
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "post.confidential_cleared")).one()
    assert entry.actor_name == "supervisor" and entry.after["reason"] == "方案已于今日正式发布"


def test_list_filters_by_author(client_as, api):
    from cms.auth.service import get_by_username

    api("contributor")("POST", "/posts", json={"title": "张晓雯的稿件", "category": "news"})
    api("department_head")("POST", "/posts", json={"title": "李建国的稿件", "category": "news"})
    head = get_by_username("department_head")
    page = client_as("editor").get(f"/posts?author={head.id}").get_data(as_text=True)
    assert "李建国的稿件" in page and "张晓雯的稿件" not in page
    assert f'<option value="{head.id}" selected>李建国</option>' in page


def _header_only_png(width: int, height: int) -> bytes:
    """A PNG of under 100 bytes whose header declares width x height pixels (its IDAT is not even
    zlib): decoding it would fail as 'broken'; only the header check names the pixel limit."""
    import struct
    import zlib

    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", b"not zlib") + chunk(b"IEND", b""))


def test_upload_of_too_many_pixels_is_refused_naming_the_limit(client_as, api):
    """Issue 13 part 6: an 8000x6000 (48-megapixel) picture, refused from its header, 4xx never 500."""
    from cms.content.models import Asset

    data = _header_only_png(8000, 6000)
    r = client_as("contributor").post("/assets/upload", data={"file": (io.BytesIO(data), "big.png"),
                                                              "source": "own", "credit": ""},
                                      content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "8000×6000" in page and "上限为 3000 万像素" in page
    r = api("contributor")("POST", "/assets", data={"file": (io.BytesIO(_header_only_png(30000, 30000)), "b.png"),
                                                     "source": "own"}, content_type="multipart/form-data")
    assert r.status_code == 422 and r.json["error"]["code"] == "invalid_image"
    assert "上限为 3000 万像素" in r.json["error"]["fields"]["file"][0]  # Pillow's own bomb error, the same refusal
    assert db.session.scalar(select(Asset.id)) is None


def test_the_pixel_limit_is_the_setting(templates, tmp_path):
    from cms.auth.service import get_by_username
    from cms.content import image_limits
    from cms.content import service as content
    from cms.errors import Refused
    from tests.conftest import _close, make_app

    app = make_app(templates, tmp_path, IMAGE_MAX_PIXELS=400_000)
    try:
        with app.app_context():
            from PIL import Image

            buf = io.BytesIO()
            Image.new("RGB", (801, 500), (30, 120, 200)).save(buf, "PNG")
            with pytest.raises(Refused) as exc:
                content.upload_asset(get_by_username("contributor"), buf.getvalue(), "own")
            assert "801×500" in exc.value.message and "上限为 40 万像素" in exc.value.message
    finally:
        _close(app)
        image_limits.configure()  # back to the shipped settings for the tests after this one
