"""Goal: 200 publications due in the same second each make their first platform call within 2 s of
their due time (p99), with a real consumer.

Builds a throwaway SQLite database and SqliteHuey file (migrated, demo company, 10 extra WeChat
channels), runs the sandbox (`flask cms sandbox`) and one worker (`flask cms worker`) each in its
own process, approves --posts posts for the 10 channels through the review chain, schedules them
all for the same instant a few seconds ahead (Huey ETA), and reads each publication's lateness
(first platform call minus due time) from the database once all are out.

The worker runs with the defaults `make run` and README.md document (`flask cms worker --workers 2`,
CMS_PUBLISH_POOL from cms/config.py) unless told otherwise.

    .venv/bin/python bench/schedule_lateness.py [--posts 20] [--channels 10] [--workers 2] [--pool N]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import publish_fanout as fanout  # noqa: E402  (the shared set-up)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2, help="the consumer's threads (flask cms worker --workers)")
    parser.add_argument("--pool", type=int, help="CMS_PUBLISH_POOL of the worker (default: the configured one)")
    parser.add_argument("--processes", type=int, default=1, help="worker processes (scaled out)")
    parser.add_argument("--db-pool", type=int, default=0, help="the worker's SQLAlchemy pool_size (default: 5 + 10)")
    parser.add_argument("--lead", type=float, default=6.0, help="seconds between scheduling and the due time")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="cms-bench-lateness-")
    # BENCH_HUEY_URL (redis://...) and BENCH_DATABASE_URL (PostgreSQL): scaled out (bench/lateness.py)
    os.environ["CMS_HUEY_URL"] = os.environ.get("BENCH_HUEY_URL") or f"sqlite:///{tmp}/huey.db"
    app, sandbox = fanout.make_env(tmp, args.channels)
    names = [f"压测号{i:02d}" for i in range(1, args.channels + 1)]
    workers: list = []
    try:
        with app.app_context():
            from sqlalchemy import select

            from cms import workdays
            from cms.auth.service import get_by_username
            from cms.channels.models import Publication
            from cms.extensions import db
            from cms.publishing.scheduling import schedule
            from cms.tasks import huey

            huey.flush()
            fanout._warm_tokens(names)
            posts = [fanout.approved_post(names, f"准点压测 第{n + 1}篇", n) for n in range(args.posts)]
            env = {k: v for k, v in os.environ.items() if not k.startswith("CMS_") or k == "CMS_HUEY_URL"}
            env.update({"FLASK_APP": "cms", "CMS_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "CMS_SECRET_KEY": "bench", "CMS_ENCRYPTION_KEYS": json.dumps([fanout.KEY]),
                        "CMS_WECHAT_API_BASE_URL": app.config["WECHAT_API_BASE_URL"]})
            if args.pool:
                env["CMS_PUBLISH_POOL"] = str(args.pool)
            if args.db_pool:
                env["CMS_SQLALCHEMY_ENGINE_OPTIONS"] = json.dumps({"pool_size": args.db_pool, "max_overflow": 10})
            flask = os.path.join(os.path.dirname(sys.executable), "flask")
            log = open(os.path.join(tmp, "worker.log"), "wb")  # noqa: SIM115 - closed with the worker
            for _ in range(args.processes):
                workers.append(subprocess.Popen([flask, "cms", "worker", "--workers", str(args.workers)], env=env,
                                                stdout=log, stderr=subprocess.STDOUT))
            time.sleep(3)  # the consumer is up and idle
            admin = get_by_username("account_admin")
            due = workdays.now().replace(microsecond=0) + timedelta(seconds=args.lead)
            for post in posts:
                schedule(admin, post, due)
            total = args.posts * args.channels
            deadline = time.monotonic() + args.lead + 180
            while time.monotonic() < deadline:
                db.session.expire_all()
                done = db.session.scalar(select(db.func.count(Publication.id)).where(
                    Publication.state.in_(("published", "failed"))))
                if done == total:
                    break
                time.sleep(0.2)
            db.session.expire_all()
            pubs = db.session.scalars(select(Publication)).all()
            late = [(p.first_call_at - p.due_at).total_seconds() for p in pubs if p.first_call_at]
            finished = [(p.published_at - p.due_at).total_seconds() for p in pubs if p.published_at]
            states = {s: sum(1 for p in pubs if p.state == s) for s in {p.state for p in pubs}}
            print(f"{total} publications ({args.posts} posts x {args.channels} WeChat channels) due at the same "
                  f"second; {args.processes} x flask cms worker --workers {args.workers}, "
                  f"CMS_PUBLISH_POOL={args.pool or app.config['PUBLISH_POOL']}; "
                  f"states {states}")
            print(f"lateness to the first platform call: p50 {percentile(late, 50):.3f} s, "
                  f"p90 {percentile(late, 90):.3f} s, p99 {percentile(late, 99):.3f} s, max {max(late):.3f} s, "
                  f"min {min(late):.3f} s (goal p99 <= 2 s)")
            if finished:
                print(f"due to published: p50 {statistics.median(finished):.3f} s, max {max(finished):.3f} s")
    finally:
        cpu = 0.0
        for worker in workers:
            worker.terminate()
            _pid, _status, usage = os.wait4(worker.pid, 0)
            cpu += usage.ru_utime + usage.ru_stime
        if workers:
            print(f"worker CPU {cpu:.2f} s in all, start-up included ({os.cpu_count()} CPUs here, shared with "
                  f"the sandbox and this script)")
        sandbox.close()


if __name__ == "__main__":
    main()
