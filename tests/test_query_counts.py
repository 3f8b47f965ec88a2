"""The main pages ask the database the same number of questions whatever the amount of data: no
N+1 (a query per row shown), which is what makes a page slow at 100,000 posts (issue 18). Each
page is loaded with 5 and with 50 extra posts (with their revisions, reviews, publications and
archive records, bench/seed_data.py) and 5 / 50 audit entries; the count of SQL statements must be
equal. The long lists page by keyset ("older"/"newer" cursors), never OFFSET."""
from __future__ import annotations

import importlib.util
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select

from cms.extensions import db
from tests.conftest import login, make_app

_spec = importlib.util.spec_from_file_location("seed_data", Path(__file__).parent.parent / "bench" / "seed_data.py")
seed_data = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(seed_data)

# every status in both runs, so each list on a page has rows in both
CYCLE = ("published", "in_review", "approved", "draft", "rejected")

# (who, what): the pages of issue 18's load test, as the role that uses them
PAGES = [
    ("account_admin", "/channels/dashboard"),
    ("leader", "/inbox"),  # the seeded in-review posts wait at the second step (the leader)
    ("editor", "/posts"),
    ("editor", "/posts?q=工作"),  # short words: the titles
    ("editor", "/posts?q=安全生产"),  # the trigram index
    ("editor", "{post}"),
    ("editor", "{diff}"),
    ("editor", "/calendar"),
    ("auditor", "/archive/"),
    ("auditor", "/audit/"),
    ("editor", "/api/v1/posts"),
]


def _counts(templates, tmp_path, n: int) -> dict[str, int]:
    from cms.content.models import Post

    (tmp_path / str(n)).mkdir()
    app = make_app(templates, tmp_path / str(n))
    try:
        with app.app_context():
            seed_data.seed_posts(n, span=timedelta(hours=20), cycle=CYCLE)
            seed_data.seed_audit(n)
            newest = select(Post).where(Post.created_by_id != None).order_by(Post.id.desc())  # noqa: E711
            post = db.session.scalars(newest.where(Post.status == "published")).first()
            edited = db.session.scalars(newest.where(Post.revision_count >= 2)).first()
            urls = {"{post}": f"/posts/{post.id}", "{diff}": f"/posts/{edited.id}/revisions/1/diff/2"}
            statements: list[str] = []

            def count(conn, cursor, statement, *args):
                statements.append(statement)

            clients = {}
            out = {}
            event.listen(db.engine, "before_cursor_execute", count)
            try:
                for who, page in PAGES:
                    if who not in clients:
                        clients[who] = login(app.test_client(), who)
                    url = urls.get(page, page)
                    headers = {}
                    if url.startswith("/api/"):
                        from cms.auth.service import create_token, get_by_username

                        headers = {"Authorization": f"Bearer {create_token(get_by_username(who), 'count')}"}
                    first = clients[who].get(url, headers=headers)  # warm: caches, first-request work
                    assert first.status_code == 200, (who, url, first.status_code)
                    statements.clear()
                    response = clients[who].get(url, headers=headers)
                    assert response.status_code == 200, (who, url, response.status_code)
                    out[page] = len(statements)
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
            return out
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        app.config["_cleanup"]()


def test_no_page_asks_more_queries_with_more_data(templates, tmp_path):
    small = _counts(templates, tmp_path, 5)
    large = _counts(templates, tmp_path, 50)
    grown = {page: (small[page], large[page]) for page in small if large[page] != small[page]}
    assert not grown, f"queries per page grow with the data (5 posts → 50 posts): {grown}"


@pytest.mark.parametrize("path, per_page", [("/posts", 50), ("/audit/", 50), ("/archive/", 30)])
def test_long_lists_page_by_cursor_through_every_row_once(app, client_as, path, per_page):
    """Older/newer links walk the whole list: every row once, in order, and back again."""
    seed_data.seed_posts(120)
    seed_data.seed_audit(120)
    who = "auditor" if path != "/posts" else "editor"
    client = client_as(who)
    seen, url, pages = [], path, 0
    row = re.compile(r'href="/posts/(\d+)"' if path == "/posts" else
                     r'<tr><td>(\d+)</td>' if path == "/audit/" else r'href="/archive/(\d+)"')
    while url and pages < 20:
        html = client.get(url).get_data(as_text=True)
        ids = [int(x) for x in row.findall(html)]
        assert 0 < len(ids) <= per_page
        seen += ids
        pages += 1
        assert len(seen) == len(set(seen)), f"a row twice on page {pages} ({url})"
        older = re.search(r'rel="next" href="([^"]+)"', html)
        url = older.group(1).replace("&amp;", "&") if older else None
    assert 3 <= pages < 20
    if path != "/posts":  # the audit trail and the archive: newest first by id/seq, ties by id
        assert seen == sorted(seen, reverse=True)
    # and back: "newer" from the last page gives the page before it
    newer = re.search(r'rel="prev" href="([^"]+)"', html)
    back = client.get(newer.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert [int(x) for x in row.findall(back)] == seen[-len(ids) - per_page:-len(ids)]


def test_a_broken_cursor_shows_the_first_page(app, client_as):
    client = client_as("auditor")
    first = client.get("/audit/").get_data(as_text=True)
    for cursor in ("x", "1~2~3", "99999999999999999999999", "2026-13-01T00:00:00~1"):
        r = client.get(f"/audit/?after={cursor}")
        assert r.status_code == 200
        r = client.get(f"/posts?before={cursor}")
        assert r.status_code == 200
    assert "<tr><td>" in first


def test_the_api_audit_trail_pages_by_seq_with_the_heads_total(app, api):
    """GET /api/v1/audit unfiltered: page N is a seq range, total the chain's length; the same
    pages and total as counting would give, every entry once, newest first."""
    from sqlalchemy import func

    from cms.audit.models import AuditEntry

    seed_data.seed_audit(120)
    call = api("auditor")
    total = db.session.scalar(select(func.count(AuditEntry.id)))
    seen, page = [], 1
    while True:
        r = call("GET", f"/audit?per_page=50&page={page}")
        assert r.status_code == 200 and r.json["total"] == total and r.json["page"] == page
        if not r.json["items"]:
            break
        seen += [e["seq"] for e in r.json["items"]]
        page += 1
    assert seen == list(range(total, 0, -1))
    filtered = call("GET", "/audit?action=post&per_page=5").json
    assert filtered["total"] == db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action.startswith("post"))) and len(filtered["items"]) == 5
