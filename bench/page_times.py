"""The server's own time per main page, one request at a time (no concurrency, so much less noise
than bench/load.py on a shared machine): the median and p95 of --repeat requests per page through
the app in this process (Flask's test client, no HTTP), on a seeded database, and the SQL
statements each page asked. Compare a 1,000-post and a 100,000-post database for growth.

    .venv/bin/python bench/page_times.py URL [--repeat 30]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from load import KEY, PAGES, percentile  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    from sqlalchemy import event, select

    from cms import create_app
    from cms.auth.service import create_token, get_by_username
    from cms.content.models import Post
    from cms.demo import DEMO_PASSWORD
    from cms.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.url, "SECRET_KEY": "bench", "ENCRYPTION_KEYS": [KEY],
                      "WTF_CSRF_ENABLED": False, "LOGIN_IP_MAX_FAILURES": 100000})
    with app.app_context():
        newest = select(Post.id).order_by(Post.created_at.desc())
        post = db.session.scalar(newest.where(Post.status == "published"))
        diff = db.session.scalar(newest.where(Post.revision_count >= 2))
        posts = db.session.scalar(select(db.func.count(Post.id)))
        tokens = {role: create_token(get_by_username(role), "bench") for _n, role, _p in PAGES}
        engine = db.engine
        db.session.remove()
    # the requests run outside this app context, each in its own (as a server runs them)
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(1))
    clients = {}
    if True:  # noqa: SIM108 - keeps the block of the report together
        print(f"{posts} posts; {args.repeat} requests per page, one at a time, in process:")
        print(f"{'page':<12} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
        for name, role, path in PAGES:
            if role not in clients:
                c = app.test_client()
                r = c.post("/login", data={"username": role, "password": DEMO_PASSWORD})
                assert r.status_code == 302, (role, r.status_code)
                clients[role] = (c, tokens[role])
            c, token = clients[role]
            url = path.format(post=post, diff=diff)
            headers = {"Authorization": f"Bearer {token}"} if url.startswith("/api/") else {}
            assert c.get(url, headers=headers).status_code == 200, url
            times = []
            for _ in range(args.repeat):
                statements.clear()
                t0 = time.perf_counter()
                c.get(url, headers=headers)
                times.append((time.perf_counter() - t0) * 1000)
            print(f"{name:<12} {statistics.median(times):>8.1f} {percentile(times, 95):>8.1f} {len(statements):>8}")


if __name__ == "__main__":
    main()
