"""Load (issue 18): gunicorn (2 workers) on a seeded database, 20 virtual users, each logged in as a
demo role and waiting 1 s between requests, over the main pages; then the same users with no think
time, for the most requests per second the set-up sustains. Prints p50/p95 per page and the
throughput. Budget: p95 <= 100 ms per page; at 100,000 posts at most 1.3 x the p95 at 1,000.

    .venv/bin/python bench/seed_data.py URL --posts 1000 --audit 10000
    .venv/bin/python bench/load.py URL [--users 20] [--seconds 60] [--burst-seconds 20] [--workers 2]

gunicorn must be importable (pip install gunicorn; GUNICORN_PATH= a --target directory also works).
The server runs with CMS_SANDBOX off, CSRF on, as in production.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
KEY = "0f2lJ0k0mDjb6n2Zy3Z3t4q5pWb7nQn2k3d9j3v5xWo="

# (page name, role, path template): {post} a published post, {diff} one with two revisions
PAGES = [
    ("dashboard", "account_admin", "/channels/dashboard"),
    ("inbox", "leader", "/inbox"),
    ("post list", "editor", "/posts"),
    ("post page", "editor", "/posts/{post}"),
    ("diff", "editor", "/posts/{diff}/revisions/1/diff/2"),
    ("calendar", "editor", "/calendar"),
    ("archive", "auditor", "/archive/"),
    ("audit log", "auditor", "/audit/"),
    ("search", "editor", "/posts?q=安全生产"),
    ("api posts", "editor", "/api/v1/posts"),
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fixtures(url: str) -> dict:
    """Post ids to visit and an API token per role, read from the database."""
    from sqlalchemy import select

    from cms import create_app
    from cms.auth.service import create_token, get_by_username
    from cms.content.models import Post
    from cms.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "ENCRYPTION_KEYS": [KEY]})
    with app.app_context():
        newest = select(Post.id).order_by(Post.created_at.desc()).limit(2000)
        posts = list(db.session.scalars(newest.where(Post.status == "published")))[:200]
        diffs = list(db.session.scalars(newest.where(Post.revision_count >= 2)))[:200]
        tokens = {role: create_token(get_by_username(role), "bench") for role in {r for _n, r, _p in PAGES}}
        db.session.remove()
        db.engine.dispose()
    return {"posts": posts, "diffs": diffs, "tokens": tokens}


def _serve(url: str, workers: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMS_")}
    env.update({"CMS_SQLALCHEMY_DATABASE_URI": url, "CMS_SECRET_KEY": "bench", "CMS_ENCRYPTION_KEYS": json.dumps([KEY]),
                "CMS_LOGIN_IP_MAX_FAILURES": "100000", "PYTHONPATH": os.pathsep.join(
                    p for p in (ROOT, os.environ.get("GUNICORN_PATH", "")) if p)})
    cmd = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--threads", "4", "--keep-alive", "75",
           "--log-level", "warning", "wsgi:app"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    import requests

    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(base + "/healthz", timeout=2)
            return proc, base
        except requests.RequestException:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit("gunicorn did not start") from None
            time.sleep(0.3)


def _login(base: str, role: str):
    import requests

    from cms.demo import DEMO_PASSWORD

    s = requests.Session()
    page = s.get(base + "/login", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    r = s.post(base + "/login", data={"username": role, "password": DEMO_PASSWORD,
                                      "csrf_token": token.group(1) if token else ""},
               allow_redirects=False, timeout=10)
    if r.status_code != 302:
        raise SystemExit(f"login as {role} failed: {r.status_code}")
    return s


def _run(base, sessions, fx, seconds: float, think: float, stats, errors):
    stop = time.monotonic() + seconds

    def user(i: int):
        rng = random.Random(i)
        order = list(range(len(PAGES)))
        rng.shuffle(order)
        k = 0
        while time.monotonic() < stop:
            name, role, path = PAGES[order[k % len(order)]]
            k += 1
            url = base + path.format(post=rng.choice(fx["posts"]) if fx["posts"] else 1,
                                     diff=rng.choice(fx["diffs"]) if fx["diffs"] else 1)
            headers = {"Authorization": f"Bearer {fx['tokens'][role]}"} if path.startswith("/api/") else {}
            session = sessions[(i, role)]
            t0 = time.perf_counter()
            try:
                r = session.get(url, headers=headers, timeout=30)
                ok, what = r.status_code == 200, f"{r.status_code} {url}"
            except Exception as e:  # noqa: BLE001 - counted as an error
                ok, what = False, f"{type(e).__name__} {url}"
            elapsed = time.perf_counter() - t0
            (stats[name].append(elapsed * 1000) if ok else errors[name].append(what))
            if think:
                time.sleep(think)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(len({i for i, _r in sessions}))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url", help="the seeded database (bench/seed_data.py)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--burst-seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    fx = _fixtures(args.url)
    proc, base = _serve(args.url, args.workers)
    try:
        roles = sorted({r for _n, r, _p in PAGES})
        sessions = {(i, role): _login(base, role) for i in range(args.users) for role in roles}
        for (_i, _role), s in list(sessions.items())[:len(roles)]:  # warm every worker's caches a little
            for _ in range(4):
                s.get(base + "/posts", timeout=30)
        stats, errors = defaultdict(list), defaultdict(list)
        _run(base, sessions, fx, args.seconds, 1.0, stats, errors)
        print(f"{args.users} users, 1 s think time, {args.seconds:.0f} s, gunicorn -w {args.workers} --threads 4:")
        print(f"{'page':<12} {'n':>6} {'p50 ms':>8} {'p95 ms':>8}  budget p95 <= 100 ms")
        worst = 0.0
        for name, _role, _path in PAGES:
            v = stats[name]
            if not v:
                print(f"{name:<12} no successful request; errors {len(errors[name])}")
                continue
            p95 = percentile(v, 95)
            worst = max(worst, p95)
            print(f"{name:<12} {len(v):>6} {statistics.median(v):>8.1f} {p95:>8.1f}  "
                  f"{'ok' if p95 <= 100 else 'OVER'}{'  errors ' + str(len(errors[name])) if errors[name] else ''}")
        for name, seen in errors.items():
            print(f"  {name}: errors, e.g. {seen[:2]}")
        burst, burst_errors = defaultdict(list), defaultdict(list)
        t0 = time.monotonic()
        _run(base, sessions, fx, args.burst_seconds, 0.0, burst, burst_errors)
        took = time.monotonic() - t0
        total = sum(len(v) for v in burst.values())
        print(f"no think time: {total} requests in {took:.1f} s = {total / took:.1f} requests/s sustained "
              f"({sum(len(v) for v in burst_errors.values())} errors); worst page p95 above {worst:.1f} ms")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    main()
