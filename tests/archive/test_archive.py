"""The archive (C13): each outcome is an immutable record with the HTML, image hashes, approvals,
remote ids and URL; pages for readers of archives only; zip export of a post or a date range."""
import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from cms import workdays
from cms.archive import service as archive
from cms.archive.models import ArchiveRecord
from cms.audit.models import AuditEntry
from cms.auth.service import get_by_username, set_roles
from cms.content import service as content
from cms.extensions import db
from cms.site import service as site
from tests.archive.conftest import EXTERNAL, approve_all, channel

REMOTE = {"media_id": "MEDIA_1", "publish_id": "2247483651", "article_id": "ART_1", "msg_data_id": 2247483652}
URL = "https://mp.weixin.qq.com/s/abcdef"


def _record(post, ch=None, action="published", **kw):
    ch = ch or channel()
    rec = archive.record(post=post, revision=post.current, channel=ch, action=action,
                         remote_ids=kw.pop("remote_ids", REMOTE), url=kw.pop("url", URL),
                         push=kw.pop("push", False), **kw)
    db.session.commit()
    return rec


# --- record ----------------------------------------------------------------------------------------

def test_a_record_keeps_what_went_out_and_who_approved_it(approved):
    post, body_image, cover = approved()
    rev = post.current
    rec = _record(post)
    assert (rec.post_id, rec.channel_id, rec.channel_name, rec.action) == (post.id, channel().id, "星海集团", "published")
    assert (rec.revision_number, rec.content_hash, rec.title) == (rev.number, rev.content_hash, "市场部举办客户开放日")
    assert rec.html == rev.html and f"/assets/{body_image.id}" in rec.html
    assert rec.remote_ids == REMOTE and rec.url == URL and rec.push is False
    # images: ours by SHA-256 (body and cover), the foreign one by URL
    ours = {i["role"]: i for i in rec.images if i.get("sha256")}
    assert ours["body"]["sha256"] == body_image.blob.sha256 and ours["body"]["asset_id"] == body_image.id
    assert ours["cover"]["sha256"] == cover.blob.sha256
    # approvals: the whole C11 trail, names included, each on the revision and hash that went out
    approvals = [a for a in rec.approvals if a["action"] == "approve"]
    assert [a["username"] for a in approvals] == ["department_head", "leader", "editor", "proofreader", "supervisor"]
    assert approvals[0]["real_name"] == "李建国" and approvals[0]["role"] == "department_head"
    assert approvals[-1]["comment"] == "同意发布" and approvals[-1]["on_behalf_of"] is None
    assert all(a["revision"] == rev.number and a["hash"] == rev.content_hash and not a["stale"]
               and a["on_published_revision"] and a["at"] for a in approvals)
    assert rec.request["department"] == "市场部" and rec.request["contributor"] == "张晓雯"
    assert rec.request["workflow"]["approved_at"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "archive.recorded"))
    assert entry.target_id == str(rec.id) and entry.after["images"] == sorted(
        {body_image.blob.sha256, cover.blob.sha256})


def test_foreign_images_are_recorded_by_url_and_exported_as_they_are(app, client_as):
    from tests.archive.conftest import upload

    ours, gone = upload(), upload((200, 10, 10))
    post = content.create_post(get_by_username("contributor"), {
        "title": "转载图片", "category": "news", "source": {"kind": "original"},
        "body": {"format": "html", "text": f'<p>甲</p><img src="{EXTERNAL}"><img src="/assets/{ours.id}">'
                                           f'<img src="/assets/{ours.id}"><img src="/assets/{gone.id}">'}})
    # A draft may not name a missing image (asset_policy); one removed since is what can be missing.
    gone_id = gone.id
    db.session.delete(gone)
    db.session.commit()
    rec = _record(post)
    assert rec.images == [
        {"src": EXTERNAL, "role": "body", "external": True},
        {"src": f"/assets/{ours.id}", "role": "body", "asset_id": ours.id, "sha256": ours.blob.sha256,
         "format": "png", "bytes": ours.blob.bytes, "width": 700, "height": 400, "source": "own", "credit": ""},
        {"src": f"/assets/{gone_id}", "role": "body", "asset_id": gone_id, "missing": True},
    ]  # each image once, in order; a missing asset is named, not skipped
    r = client_as("auditor").get(f"/archive/export?post={post.id}")
    with zipfile.ZipFile(io.BytesIO(r.data)) as z:
        article = next(z.read(n).decode() for n in z.namelist() if n.endswith("article.html"))
    assert f'src="{EXTERNAL}"' in article and f'src="images/{ours.blob.sha256}.png"' in article


def test_records_refuse_updates_and_deletes(approved):
    post, *_ = approved()
    rec = _record(post)
    rec.title = "改过"
    with pytest.raises(PermissionError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(ArchiveRecord, rec.id))
    with pytest.raises(PermissionError):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(ArchiveRecord, rec.id).title == "市场部举办客户开放日"


def test_record_refuses_an_unknown_action_or_a_foreign_revision(approved):
    post, *_ = approved()
    other, *_ = approved(title="另一篇", color=(1, 2, 3))
    with pytest.raises(ValueError):
        archive.record(post=post, revision=post.current, channel=channel(), action="edited", remote_ids={},
                       url="", push=None)
    with pytest.raises(ValueError):
        archive.record(post=post, revision=other.current, channel=channel(), action="published", remote_ids={},
                       url="", push=None)


def test_a_correction_keeps_both_versions(approved, client_as):
    post, *_ = approved()
    web = channel("星海官网")
    url = site.publish(post, post.current, web)
    first = _record(post, web, url=url, remote_ids={}, push=None)
    first_html, first_hash = first.html, first.content_hash
    # the author corrects the article; it goes through the chain again and out as a correction
    content.save(get_by_username("contributor"), post, {"title": "市场部举办客户开放日（更正）",
                                                         "body": {"format": "markdown", "text": "更正后的正文。"}},
                 post.current.number)
    approve_all(post.id, channel())
    post = db.session.get(type(post), post.id)
    assert site.publish(post, post.current, web) == url  # same address
    second = _record(post, web, action="corrected", url=url, remote_ids={}, push=None)
    db.session.expire_all()
    records = db.session.scalars(select(ArchiveRecord).where(ArchiveRecord.post_id == post.id)
                                 .order_by(ArchiveRecord.id)).all()
    assert [r.action for r in records] == ["published", "corrected"]
    assert records[0].html == first_html and records[0].content_hash == first_hash and "展厅" in records[0].html
    assert "更正后的正文" in records[1].html and records[1].revision_number == 2
    # the stale approvals of round one are kept, flagged, in the correction's record
    assert any(a["stale"] and a["revision"] == 1 for a in records[1].approvals)
    assert all(a["on_published_revision"] for a in records[1].approvals if not a["stale"])
    page = client_as("auditor").get(f"/archive/{second.id}").get_data(as_text=True)
    assert "record-versions" in page and f"/archive/{first.id}" in page and "更正" in page


# --- pages ------------------------------------------------------------------------------------------

def test_archive_pages_for_readers_only(approved, client_as, client):
    post, body_image, _cover = approved()
    rec = _record(post)
    r = client.get("/archive/")
    assert r.status_code == 302 and "/login" in r.location
    assert client_as("contributor").get("/archive/").status_code == 403
    assert client_as("contributor").get(f"/archive/{rec.id}").status_code == 403
    assert client_as("contributor").get(f"/archive/export?post={post.id}").status_code == 403
    for role in ("auditor", "account_admin", "supervisor", "sysadmin"):
        page = client_as(role).get("/archive/").get_data(as_text=True)
        assert "市场部举办客户开放日" in page and "归档" in page, role
    auditor = client_as("auditor")
    page = auditor.get(f"/archive/{rec.id}").get_data(as_text=True)
    assert 'class="phone-frame archived-article"' in page and "本周五" in page
    assert "李建国" in page and "同意发布" in page and "MEDIA_1" in page and URL in page
    assert body_image.blob.sha256 in page
    image_url = f"/archive/{rec.id}/images/{body_image.blob.sha256}"
    assert f'src="{image_url}"' in page  # shown from the archived bytes
    r = auditor.get(image_url)
    assert r.status_code == 200 and r.mimetype == "image/png" and r.data == body_image.blob.data
    assert auditor.get(f"/archive/{rec.id}/images/{'0' * 64}").status_code == 404
    assert auditor.get("/archive/99999").status_code == 404


def test_archive_list_filters(approved, client_as, clock):
    clock.set("2026-03-02 02:00:00+00:00")
    first, *_ = approved(title="三月的文章")
    _record(first)
    clock.set("2026-04-10 02:00:00+00:00")
    second, *_ = approved(title="四月的文章", color=(0, 0, 0))
    _record(second, channel("星海科技"))
    c = client_as("auditor")

    def titles(query):
        page = c.get(f"/archive/?{query}").get_data(as_text=True)
        return [t for t in ("三月的文章", "四月的文章") if t in page]

    assert titles("") == ["三月的文章", "四月的文章"]
    assert c.get("/archive/").get_data(as_text=True).index("四月的文章") < c.get("/archive/").get_data(
        as_text=True).index("三月的文章")  # newest first
    assert titles("start=2026-04-01") == ["四月的文章"]
    assert titles("end=2026-03-02") == ["三月的文章"]  # the end day is included (CMS_TIMEZONE)
    assert titles(f"channel={channel('星海科技').id}") == ["四月的文章"]
    assert titles("q=三月") == ["三月的文章"]
    for bad in ("start=2026-13-01", "start=0001-01-01", "end=9999-12-31", "channel=99999999999999999999999"):
        r = c.get(f"/archive/?{bad}")
        assert r.status_code == 200, bad
    assert "YYYY-MM-DD" in c.get("/archive/?start=2026-13-01").get_data(as_text=True)
    assert c.get("/archive/99999999999999999999999").status_code == 404


def test_a_channel_scoped_reader_sees_only_that_channel(approved, client_as):
    post, *_ = approved()
    other = _record(post, channel("星海科技"))
    mine = _record(post)
    admin = get_by_username("account_admin")
    set_roles(admin, [("account_admin", "channel", channel().id)])
    c = client_as("account_admin")
    assert c.get(f"/archive/{mine.id}").status_code == 200
    assert c.get(f"/archive/{other.id}").status_code == 404
    with zipfile.ZipFile(io.BytesIO(c.get(f"/archive/export?post={post.id}").data)) as z:
        assert [r["id"] for r in json.loads(z.read("index.json"))["records"]] == [mine.id]


# --- export -----------------------------------------------------------------------------------------

def test_export_a_post_as_a_zip(approved, client_as, clock):
    clock.set("2026-05-20 16:30:00+00:00")  # 00:30 on the 21st in Shanghai
    post, body_image, cover = approved(title='标题 <&> "引号"')
    rec = _record(post)
    r = client_as("auditor").get(f"/archive/export?post={post.id}")
    assert r.status_code == 200 and r.mimetype == "application/zip"
    assert f"archive-post-{post.id}.zip" in r.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(r.data)) as z:
        folder = f"2026-05-21_{post.id}_{channel().id}_{rec.id}"
        names = set(z.namelist())
        assert {"index.json", f"{folder}/article.html", f"{folder}/record.json",
                f"{folder}/images/{body_image.blob.sha256}.png", f"{folder}/images/{cover.blob.sha256}.png"} == names
        assert z.read(f"{folder}/images/{body_image.blob.sha256}.png") == body_image.blob.data
        index = json.loads(z.read("index.json"))
        assert index["count"] == 1 and index["filter"] == {"post": post.id} and index["exported_by"] == "auditor"
        assert index["records"][0]["folder"] == folder
        data = json.loads(z.read(f"{folder}/record.json"))
        assert data["at"] == "2026-05-21T00:30:00+08:00" and data["timezone"] == "Asia/Shanghai"
        assert data["title"] == '标题 <&> "引号"' and data["remote_ids"] == REMOTE and data["url"] == URL
        assert data["content_hash"] == post.current.content_hash and data["push"] is False
        assert [a["username"] for a in data["approvals"]][:1] == ["department_head"]
        assert all(a["at"].endswith("+08:00") for a in data["approvals"])
        held = {i["sha256"]: i["file"] for i in data["images"] if i.get("sha256")}
        assert held[body_image.blob.sha256] == f"images/{body_image.blob.sha256}.png"
        article = z.read(f"{folder}/article.html").decode()
        assert article.startswith("<!doctype html>")
        assert "<title>标题 &lt;&amp;&gt; &#34;引号&#34;</title>" in article
        assert f'src="images/{body_image.blob.sha256}.png"' in article
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "archive.exported"))
    assert entry.actor_name == "auditor" and entry.after == {"post": post.id, "records": 1}


def test_export_a_date_range(approved, client_as, clock):
    clock.set("2026-03-02 02:00:00+00:00")
    march, *_ = approved(title="三月的文章")
    _record(march)
    clock.set("2026-04-10 02:00:00+00:00")
    april, *_ = approved(title="四月的文章", color=(0, 0, 0))
    on_tech = _record(april, channel("星海科技"))
    _record(april)
    c = client_as("auditor")

    def exported(query):
        r = c.get(f"/archive/export?{query}")
        assert r.status_code == 200, r.get_data(as_text=True)
        with zipfile.ZipFile(io.BytesIO(r.data)) as z:
            return [(x["title"], x["channel"]) for x in json.loads(z.read("index.json"))["records"]]

    assert exported("start=2026-03-01&end=2026-04-30") == [
        ("三月的文章", "星海集团"), ("四月的文章", "星海科技"), ("四月的文章", "星海集团")]
    assert exported("start=2026-04-10&end=2026-04-10") == [("四月的文章", "星海科技"), ("四月的文章", "星海集团")]
    assert exported(f"start=2026-01-01&end=2026-12-31&channel={on_tech.channel_id}") == [("四月的文章", "星海科技")]
    assert exported("start=2025-01-01&end=2025-12-31") == []


@pytest.mark.parametrize("query, status", [
    ("", 400),
    ("start=2026-01-01", 400),
    ("start=2026-02-30&end=2026-03-01", 400),
    ("start=yesterday&end=today", 400),
    ("start=2026-03-01&end=2026-02-01", 400),
    ("start=2025-01-01&end=2026-01-02", 400),  # 367 days: 366 is the most
    ("start=2026-01-01&end=2026-01-31&channel=x", 400),
    ("start=0001-01-01&end=0001-01-02", 400),
    ("start=9999-12-30&end=9999-12-31", 400),
    ("start=2026-01-01&end=2026-01-31&channel=99999999999999999999999", 400),
    ("post=abc", 400),
    ("post=１２", 400),
    ("post=999999", 404),
    ("post=99999999999999999999999", 404),
])
def test_bad_export_requests_are_refused_in_chinese(approved, client_as, query, status):
    post, *_ = approved()
    _record(post)
    r = client_as("auditor").get(f"/archive/export?{query}")
    assert r.status_code == status
    html = r.get_data(as_text=True)
    assert 'id="refusal"' in html and any("\u4e00" <= ch <= "\u9fff" for ch in html.split('id="refusal"')[1][:80])


def test_a_post_without_records_has_nothing_to_export(approved, client_as):
    post, *_ = approved()
    assert client_as("auditor").get(f"/archive/export?post={post.id}").status_code == 404


def test_a_full_year_is_allowed(client_as):
    today = workdays.today()
    start = today - timedelta(days=365)  # 366 days, both ends included
    assert client_as("auditor").get(f"/archive/export?start={start}&end={today}").status_code == 200
