"""Budget: searching titles and bodies in Chinese answers in p95 < 100 ms at 100,000 posts.

Builds a throwaway database (SQLite in a temp dir, or --database-url for PostgreSQL), migrates it,
fills it with N posts straight through the search table's own path (post rows + post_search, which
the FTS5 triggers or pg_trgm indexes pick up), then times list queries through the service.

    .venv/bin/python bench/search.py [--posts 100000] [--queries 200] [--database-url URL]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime

COMMON = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可也你说年发展公司市场客户产品服务员工活动新闻"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="cms-bench-")
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    os.environ.setdefault("CMS_HUEY_URL", f"sqlite:///{tmp}/huey.db")

    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from cms import create_app
    from cms.auth.models import User
    from cms.content import service
    from cms.content.models import Post, PostSearch
    from cms.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "ENCRYPTION_KEYS": ["0f2lJ0k0mDjb6n2Zy3Z3t4q5pWb7nQn2k3d9j3v5xWo="]})
    rng = random.Random(11)
    with app.app_context():
        upgrade()
        from cms import demo

        demo.load()
        author = db.session.scalar(select(User).where(User.username == "contributor"))
        reader = db.session.scalar(select(User).where(User.username == "editor"))
        start = time.perf_counter()
        now = datetime.now(UTC)
        batch = 5000
        for first in range(0, args.posts, batch):
            posts, texts = [], []
            for i in range(first, min(first + batch, args.posts)):
                title = "".join(rng.choice(COMMON) for _ in range(rng.randint(8, 20)))
                body = "".join(rng.choice(COMMON) for _ in range(rng.randint(300, 900)))
                posts.append({"id": i + 1, "status": "draft", "department_id": author.department_id,
                              "created_by_id": author.id, "category": "news", "urgency": "regular",
                              "important": False, "confidential": False, "open_comments": True, "title": title,
                              "revision_count": 1, "created_at": now, "updated_at": now})
                texts.append({"post_id": i + 1, "title": title, "body": body})
            db.session.execute(insert(Post), posts)
            db.session.execute(insert(PostSearch), texts)
            db.session.commit()
        print(f"filled {args.posts:,} posts in {time.perf_counter() - start:.0f} s ({db.engine.dialect.name})")

        results = {}
        for label, length in (("3-6 characters (trigram index)", (3, 6)), ("1-2 characters (title scan)", (1, 2))):
            times = []
            for _ in range(args.queries):
                q = "".join(rng.choice(COMMON) for _ in range(rng.randint(*length)))
                t = time.perf_counter()
                db.paginate(service.list_posts(reader, q=q), page=1, per_page=20, error_out=False)
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            results[label] = (statistics.median(times), times[int(len(times) * 0.95) - 1])
        for label, (p50, p95) in results.items():
            print(f"  search, {label:32} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms (budget p95 100 ms) "
                  f"{'OK' if p95 <= 100 else 'OVER BUDGET'}")


if __name__ == "__main__":
    main()
