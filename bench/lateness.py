"""Goal (issue 18): 200 publications due in the same second start (first platform call) within 1 s
of their due time, p99, on the scaled-out set-up: PostgreSQL, Redis-backed Huey and two
`flask cms worker` processes. Five runs, each on a fresh database; prints each run's p99 and the
median and worst of the five.

Each run is bench/schedule_lateness.py (20 posts x 10 WeChat channels, a sandbox in its own
process) pointed at a new database on the given server and at the given Redis.

    .venv/bin/python bench/lateness.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        --redis redis://127.0.0.1:6379/0 [--runs 5] [--processes 2]
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", required=True, help="a PostgreSQL server's URL (a database per run is made there)")
    parser.add_argument("--redis", required=True, help="redis://host:port/db for Huey")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--channels", type=int, default=10)
    args = parser.parse_args()
    sys.path.insert(0, os.path.dirname(HERE))
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
    p99s = []
    for run in range(1, args.runs + 1):
        name = f"cms_lateness_{uuid.uuid4().hex[:8]}"
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            env = {**os.environ, "BENCH_DATABASE_URL": make_url(args.pg).set(database=name).render_as_string(
                hide_password=False), "BENCH_HUEY_URL": args.redis}
            out = subprocess.run([sys.executable, os.path.join(HERE, "schedule_lateness.py"), "--posts", str(args.posts),
                                  "--channels", str(args.channels), "--processes", str(args.processes)],
                                 env=env, capture_output=True, text=True, check=False)
            found = re.search(r"p99 ([0-9.]+) s", out.stdout)
            if not found:
                print(out.stdout, out.stderr[-3000:])
                raise SystemExit(f"run {run}: no figure")
            p99s.append(float(found.group(1)))
            print(f"run {run}: " + next(line for line in out.stdout.splitlines() if "p99" in line))
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(f"{args.posts * args.channels} publications due together, {args.processes} workers, PostgreSQL + Redis: "
          f"p99 start lateness over {args.runs} runs: median {statistics.median(p99s):.3f} s, worst {max(p99s):.3f} s "
          f"(goal <= 1 s)")


if __name__ == "__main__":
    main()
