"""What the follower inbox costs (issue 15): the median time of the channel's conversation list
(`queries.conversations`, the inbox page) and of the menu's unanswered count
(`queries.unanswered_count`, on every page a moderator opens) with `--followers` followers of
`--messages` messages each kept (CMS_FOLLOWER_MESSAGE_RETENTION_DAYS' worth), and of the retention
purge deleting them. Budget: 50 ms for the count (it is on every page).

    .venv/bin/python bench/followers_inbox.py [--followers 2000] [--messages 5] [--rounds 20]
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import timedelta

BUDGET_MS = 50.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--followers", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="cms-bench-")
    os.environ.setdefault("CMS_HUEY_URL", f"sqlite:///{tmp}/huey.db")

    from flask_migrate import upgrade

    from cms import create_app, workdays
    from cms.channels.models import Channel
    from cms.extensions import db
    from cms.followers import operations, queries
    from cms.followers.models import IN, OUT, FollowerMessage

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "SECRET_KEY": "bench",
                      "ENCRYPTION_KEYS": ["0f2lJ0k0mDjb6n2Zy3Z3t4q5pWb7nQn2k3d9j3v5xWo="]})
    with app.app_context():
        upgrade()
        channel = Channel(name="压测号", platform="wechat", app_id="wxbenchfollowers", theme={})
        db.session.add(channel)
        db.session.commit()
        start = workdays.now() - timedelta(days=170)
        rows = []
        for f in range(args.followers):
            for m in range(args.messages):
                at = start + timedelta(minutes=f * 7 + m)
                direction = OUT if m % 2 and f % 3 else IN
                rows.append(dict(channel_id=channel.id, openid=f"o_bench_{f}", direction=direction,
                                 msg_id=f"{f}-{m}" if direction == IN else None, content="压测消息" * 5, sent_at=at))
        db.session.execute(FollowerMessage.__table__.insert(), rows)
        db.session.commit()

        def timed(fn) -> list[float]:
            out = []
            for _ in range(args.rounds):
                t = time.perf_counter()
                fn()
                out.append((time.perf_counter() - t) * 1000)
            return out

        n = len(rows)
        inbox = timed(lambda: queries.conversations(channel.id))
        count = timed(lambda: queries.unanswered_count([channel.id]))
        print(f"{n} messages of {args.followers} followers kept")
        print(f"inbox (200 newest conversations): median {statistics.median(inbox):.1f} ms")
        median = statistics.median(count)
        print(f"menu's unanswered count: median {median:.1f} ms "
              f"({'within' if median <= BUDGET_MS else 'OVER'} the {BUDGET_MS:.0f} ms budget)")
        app.config["FOLLOWER_MESSAGE_RETENTION_DAYS"] = 1
        t = time.perf_counter()
        deleted = operations.purge()
        print(f"purge of {sum(deleted.values())} messages: {(time.perf_counter() - t) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
