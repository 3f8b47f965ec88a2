"""Who reads an uploaded image (cms/content/asset_policy.py; issue 13 part 2; C5, C15).

An image is read by its uploader and by whoever may read a post that used it (that post's
department, its reviewers, administrators with post.read_all); a draft may show only images its
writer may read. On the demo company's real database, through the services and over HTTP."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from cms.auth.models import Department
from cms.auth.service import create_user, get_by_username
from cms.content import asset_policy
from cms.content import service as content
from cms.content.models import Asset, AssetUse, DraftBuffer, Post, Revision
from cms.demo import DEMO_PASSWORD
from cms.errors import Refused
from cms.extensions import db

MARKETING, IT = "市场部", "信息技术部"


def _png(colour=(10, 120, 200), size=(700, 400)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "PNG")
    return buf.getvalue()


def _department(name: str) -> int:
    return db.session.scalar(select(Department.id).where(Department.name == name))


def _writer(username: str, department: str):
    """A second contributor (the demo has one per role), logged in without a password change."""
    dep = _department(department)
    user, _pw = create_user(username=username, real_name=f"写稿人{username[-1]}", department_id=dep,
                            title="信息员", roles=[("contributor", "department", dep)], password=DEMO_PASSWORD,
                            must_change=False)
    return user


def _post(author, text: str, **extra) -> Post:
    return content.create_post(author, {"title": "展厅开放日", "category": "news", "source": {"kind": "original"},
                                        "body": {"format": "markdown", "text": text}, **extra})


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def people(app):
    _writer("colleague1", MARKETING)   # another contributor of the uploader's department
    _writer("itwriter1", IT)           # a contributor of another department
    return {name: get_by_username(name) for name in (
        "contributor", "colleague1", "itwriter1", "department_head", "leader", "editor", "supervisor",
        "sysadmin", "auditor", "finance")}


# (user, may read an image nobody used, may read it once the uploader's post shows it)
MATRIX = [
    ("contributor", True, True),         # the uploader
    ("colleague1", False, True),         # same department: reads the department's posts
    ("itwriter1", False, False),         # another department's contributor
    ("department_head", False, True),    # the post's first reviewer (C7)
    ("leader", False, True),             # leader in charge of 市场部, a later reviewer
    ("editor", False, True),             # office reviewers read every post
    ("supervisor", False, True),
    ("sysadmin", False, True),           # administrators with post.read_all
    ("auditor", False, True),
    ("finance", False, False),           # unrelated
]


@pytest.mark.parametrize("use", ["body", "cover"])
def test_who_reads_an_image_used_or_not(people, use):
    asset = content.upload_asset(people["contributor"], _png(), "own")
    for name, unused, _used in MATRIX:
        assert asset_policy.can_view(people[name], asset) is unused, name
        assert asset_policy.can_reference(people[name], asset) is unused, name
    if use == "body":
        post = _post(people["contributor"], f"![展厅](/assets/{asset.id})")
    else:
        post = _post(people["contributor"], "正文。", cover_asset_id=asset.id)
    assert [p.id for p in asset_policy.posts_using(asset)] == [post.id]
    for name, _unused, used in MATRIX:
        user = people[name]
        assert asset_policy.can_view(user, asset) is used, name
        assert asset_policy.can_reference(user, asset) is used, name
        listed = db.session.scalars(asset_policy.readable_assets(user, select(Asset.id))).all()
        assert (asset.id in listed) is used, name  # the query helper agrees with can_view


def test_an_image_used_in_another_departments_post_follows_that_post(people):
    asset = content.upload_asset(people["itwriter1"], _png((200, 30, 30)), "own")
    _post(people["itwriter1"], f"![机房](/assets/{asset.id})")
    assert asset_policy.can_view(people["leader"], asset)          # leader@信息技术部
    assert not asset_policy.can_view(people["contributor"], asset)  # 市场部
    assert not asset_policy.can_view(people["department_head"], asset)  # head of 市场部, not of IT


def test_a_draft_naming_someone_elses_image_is_refused_and_nothing_is_saved(people):
    asset = content.upload_asset(people["contributor"], _png(), "own")
    posts, revisions = _count(Post), _count(Revision)
    for data in ({"text": f"![偷看](/assets/{asset.id})"}, {"text": "正文。", "cover": asset.id},
                 {"text": f'<a href="https://cms.example/assets/{asset.id}">链接</a>', "format": "html"},
                 {"text": f'<p style="background-image:url(/assets/{asset.id})">背景</p>', "format": "html"}):
        with pytest.raises(Refused) as exc:
            content.create_post(people["itwriter1"], {
                "title": "偷看", "category": "news", "source": {"kind": "original"},
                "body": {"format": data.get("format", "markdown"), "text": data["text"]},
                **({"cover_asset_id": data["cover"]} if "cover" in data else {})})
        db.session.rollback()
        assert exc.value.status == 422 and exc.value.code == "asset_not_readable"
        assert f"#{asset.id}" in exc.value.message and exc.value.extra == {"assets": [asset.id]}
        assert list(exc.value.fields) == (["cover_asset_id"] if "cover" in data else ["body"])
    assert (_count(Post), _count(Revision), _count(AssetUse)) == (posts, revisions, 0)
    assert not asset_policy.can_view(people["itwriter1"], asset)  # still not theirs to read


def test_a_missing_image_gets_the_same_refusal_as_someone_elses(people):
    """So the refusal does not tell which ids exist; and an id uploaded later is never pulled in."""
    theirs = content.upload_asset(people["contributor"], _png(), "own")
    refusals = {}
    for asset_id in (theirs.id, theirs.id + 1000, 2**40):
        with pytest.raises(Refused) as exc:
            _post(people["itwriter1"], f"![图](/assets/{asset_id})")
        db.session.rollback()
        refusals[asset_id] = exc.value.message.replace(f"#{asset_id}", "#N")
    assert len(set(refusals.values())) == 1


def test_a_colleague_and_a_reviewer_keep_the_posts_images_when_they_edit(people):
    asset = content.upload_asset(people["contributor"], _png(), "own")
    post = _post(people["contributor"], f"![展厅](/assets/{asset.id})", cover_asset_id=asset.id)
    rev = content.save(people["colleague1"], post, {"title": "展厅开放日（更新）"}, 1)
    assert rev.number == 2 and rev.cover_asset_id == asset.id
    # an image the colleague uploaded themselves is theirs to add
    own = content.upload_asset(people["colleague1"], _png((0, 200, 0)), "own")
    rev = content.save(people["colleague1"], post, {"body": {"format": "markdown", "text":
                       f"![展厅](/assets/{asset.id})\n\n![新图](/assets/{own.id})"}}, 2)
    assert rev.number == 3
    assert {u.asset_id for u in db.session.scalars(select(AssetUse).where(AssetUse.post_id == post.id))} == \
        {asset.id, own.id}
    assert asset_policy.can_view(people["department_head"], own)  # the reviewer now sees it too


def test_restoring_an_old_revision_keeps_its_images(people):
    asset = content.upload_asset(people["contributor"], _png(), "own")
    post = _post(people["contributor"], f"![展厅](/assets/{asset.id})")
    content.save(people["contributor"], post, {"body": {"format": "markdown", "text": "没有图了。"}}, 1)
    rev = content.restore(people["colleague1"], post, 1)  # a colleague, not the uploader
    assert f"/assets/{asset.id}" in rev.html


# --- over HTTP ------------------------------------------------------------------------------------

def _form(**over):
    from tests.content.test_views import _form as form

    return form(**over)


def test_get_asset_is_404_for_an_unrelated_user_and_200_for_a_reviewer(people, client_as):
    asset = content.upload_asset(people["contributor"], _png(), "own")
    url = f"/assets/{asset.id}"
    post = _post(people["contributor"], f"![展厅]({url})", cover_asset_id=asset.id)
    for name in ("itwriter1", "finance"):
        c = client_as(name)
        assert c.get(url).status_code == 404, name
        assert c.get("/assets/999999").status_code == 404  # the same answer as for a missing one
        assert c.get(f"/posts/{post.id}/cover/1:1").status_code == 404
    for name in ("department_head", "editor", "colleague1", "auditor"):
        r = client_as(name).get(url)
        assert r.status_code == 200 and r.data.startswith(b"\x89PNG"), name
    assert client_as("department_head").get(f"/posts/{post.id}/cover/1:1").status_code == 200


def test_form_refuses_a_body_naming_someone_elses_image_and_keeps_the_text(people, client_as):
    asset = content.upload_asset(people["contributor"], _png(), "own")
    c = client_as("itwriter1")
    text = f"我们的展厅很漂亮。\n\n![展厅](/assets/{asset.id})"
    r = c.post("/posts/new", data=_form(body=text, channels=[]))
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert f"不能使用图片 #{asset.id}" in page and "无权查看" in page
    assert "我们的展厅很漂亮。" in page and f"/assets/{asset.id}" in page  # the text is kept in the form
    assert _count(Post) == 0
    assert c.get(f"/assets/{asset.id}").status_code == 404


def test_form_refuses_a_cover_that_is_someone_elses_image(people, client_as):
    asset = content.upload_asset(people["contributor"], _png(), "own")
    mine = _post(people["itwriter1"], "我的稿件正文。")
    c = client_as("itwriter1")
    r = c.post(f"/posts/{mine.id}/edit", data=_form(body="改过的正文。", channels=[], base_revision="1",
                                                   cover_asset_id=str(asset.id)))
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and f"不能使用图片 #{asset.id}" in page and "改过的正文。" in page
    db.session.expire_all()
    assert db.session.get(Post, mine.id).revision_count == 1
    # the editor offers the user's own uploads and the images the post used, not others'
    page = c.get(f"/posts/{mine.id}/edit").get_data(as_text=True)
    assert not re.search(rf'<option[^>]*value="{asset.id}"', page)


def test_the_editor_offers_a_colleague_the_posts_cover(people, client_as):
    asset = content.upload_asset(people["contributor"], _png(), "own")
    post = _post(people["contributor"], "正文。", cover_asset_id=asset.id)
    c = client_as("colleague1")
    page = c.get(f"/posts/{post.id}/edit").get_data(as_text=True)
    assert re.search(rf'<option selected value="{asset.id}">', page)
    r = c.post(f"/posts/{post.id}/edit", data=_form(body="同事改过的正文。", channels=[], base_revision="1",
                                                   cover_asset_id=str(asset.id)))
    assert r.status_code == 302, r.get_data(as_text=True)[:500]


def test_autosave_keeps_the_text_the_save_refused(people, client_as):
    asset = content.upload_asset(people["contributor"], _png(), "own")
    c = client_as("itwriter1")
    text = f"打了一半的正文 ![图](/assets/{asset.id})"
    assert c.post("/posts/new/autosave", json={"data": {"title": "新稿", "body": text},
                                                "base_revision": None}).status_code == 200
    assert c.post("/posts/new", data=_form(body=text, channels=[])).status_code == 400
    buffer = db.session.scalar(select(DraftBuffer).where(DraftBuffer.user_id == people["itwriter1"].id))
    assert buffer is not None and buffer.data["body"] == text


def test_api_refuses_someone_elses_image_in_body_or_cover_with_422(people, api):
    asset = content.upload_asset(people["contributor"], _png(), "own")
    call = api("itwriter1")
    base = {"title": "偷看", "category": "news", "source": {"kind": "original"}}
    r = call("POST", "/posts", json={**base, "body": {"format": "markdown", "text": f"![](/assets/{asset.id})"}})
    assert r.status_code == 422
    assert r.json["error"]["code"] == "asset_not_readable" and r.json["error"]["assets"] == [asset.id]
    assert f"#{asset.id}" in r.json["error"]["fields"]["body"][0]
    r = call("POST", "/posts", json={**base, "body": {"format": "markdown", "text": "正文"},
                                     "cover_asset_id": asset.id})
    assert r.status_code == 422 and list(r.json["error"]["fields"]) == ["cover_asset_id"]
    assert _count(Post) == 0
    created = call("POST", "/posts", json={**base, "body": {"format": "markdown", "text": "正文"}})
    assert created.status_code == 201
    r = call("PATCH", f"/posts/{created.json['id']}", json={"base_revision": 1, "cover_asset_id": asset.id})
    assert r.status_code == 422 and f"#{asset.id}" in r.json["error"]["message"]
    db.session.expire_all()
    assert db.session.get(Post, created.json["id"]).revision_count == 1
    # the uploader herself may: her image, her draft
    mine = api("contributor")("POST", "/posts", json={**base, "cover_asset_id": asset.id,
                                                       "body": {"format": "markdown", "text": "正文"}})
    assert mine.status_code == 201 and mine.json["revision"]["cover_asset_id"] == asset.id



# --- the migration's backfill ---------------------------------------------------------------------

def test_the_migration_fills_asset_use_from_the_revisions_but_not_the_hole_it_closes(people):
    """Down to the revision before asset_use and up again: the uses made the legitimate way are
    back; a reference another contributor wrote into their own draft before the rule grants nothing."""
    from flask_migrate import downgrade, upgrade

    from cms import workdays
    from cms.articles.render import render_article
    from cms.articles.themes import Theme

    asset = content.upload_asset(people["contributor"], _png(), "own")
    cover = content.upload_asset(people["contributor"], _png((0, 0, 0)), "own")
    own_post = _post(people["contributor"], f"![展厅](/assets/{asset.id})", cover_asset_id=cover.id)
    reused = _post(people["contributor"], "另一篇。")  # the editor later shows the image in it too
    content.save(people["colleague1"], reused, {"body": {"format": "markdown", "text": "改过。"}}, 1)
    # A draft saved before the rule existed: itwriter1 named the contributor's image (written
    # directly, as the old code let it be written).
    html = render_article(f"![偷看](/assets/{asset.id})", "markdown", Theme())
    stolen = Post(department_id=people["itwriter1"].department_id, created_by_id=people["itwriter1"].id,
                  category="news", revision_count=1, title="偷看")
    db.session.add(stolen)
    db.session.flush()
    db.session.add(Revision(post_id=stolen.id, number=1, written_by_id=people["itwriter1"].id, title="偷看",
                            body_format="markdown", body_source="x", html=html, meta={}, content_hash="x",
                            created_at=workdays.now()))
    editor_rev = Revision(post_id=reused.id, number=3, written_by_id=people["editor"].id, title="另一篇",
                          body_format="markdown", body_source="x", html=html, meta={}, content_hash="y",
                          cover_asset_id=cover.id, created_at=workdays.now())
    db.session.add(editor_rev)
    db.session.commit()
    expected = {(own_post.id, asset.id), (own_post.id, cover.id), (reused.id, asset.id), (reused.id, cover.id)}
    ids = (asset.id, people["itwriter1"].id)
    db.session.remove()

    downgrade(revision="h4d1f6a8e234")
    upgrade()
    rows = {(u.post_id, u.asset_id) for u in db.session.scalars(select(AssetUse))}
    assert rows == expected   # the editor's (post.read_all) reuse counts, itwriter1's reference does not
    asset, thief = db.session.get(Asset, ids[0]), db.session.get(type(people["itwriter1"]), ids[1])
    assert not asset_policy.can_view(thief, asset)
