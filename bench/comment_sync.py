"""What one comment sync costs (issue 15): an article with `--comments` follower comments in the
sandbox, served on loopback as `make run` serves it; the first sync reads every page (49 a call)
and stores them all, the second finds nothing new, a third after `--replies` replies made on the
platform updates those. Prints the time of each and the calls made. The periodic sync runs every
5 minutes: the budget is one second for an article of 1000 comments.

    .venv/bin/python bench/comment_sync.py [--comments 1000] [--replies 100]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time

BUDGET_S = 1.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=1000)
    parser.add_argument("--replies", type=int, default=100)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="cms-bench-")
    os.environ.setdefault("CMS_HUEY_URL", f"sqlite:///{tmp}/huey.db")

    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from cms import create_app
    from cms.channels.models import Channel
    from cms.comments import operations
    from cms.comments.models import CommentThread
    from cms.extensions import db
    from cms.sandbox import SANDBOX_SECRET, get_state
    from cms.sandbox.models import MsgData

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "SECRET_KEY": "bench", "SANDBOX": True,
                      "ENCRYPTION_KEYS": ["0f2lJ0k0mDjb6n2Zy3Z3t4q5pWb7nQn2k3d9j3v5xWo="]})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["SANDBOX_URL"] = f"http://127.0.0.1:{server.server_port}/"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    appid, msg_data_id = "wxbenchcomments01", 2247480001
    state = get_state(app)
    state.add_account(appid, SANDBOX_SECRET)
    with state.lock:
        state.msg_data[msg_data_id] = MsgData(msg_data_id, appid, "bench-article", [True], [[]])
    for n in range(args.comments):
        state.add_comment(msg_data_id, 0, f"o_{n}", f"第 {n} 条留言")
    with app.app_context():
        upgrade()
        channel = Channel(name="压测号", platform="wechat", app_id=appid, theme={})
        channel.set_secret(SANDBOX_SECRET)
        db.session.add(channel)
        db.session.flush()
        db.session.add(CommentThread(channel_id=channel.id, msg_data_id=str(msg_data_id), index=0, title="压测文章"))
        db.session.commit()
        thread_id = db.session.query(CommentThread.id).scalar()

        def timed(label: str) -> None:
            calls = len(state.calls)
            start = time.perf_counter()
            r = operations.sync_article(db.session.get(CommentThread, thread_id))
            seconds = time.perf_counter() - start
            lists = sum(1 for _t, p, _o in list(state.calls)[calls:] if p.endswith("/comment/list"))
            print(f"{label}: {seconds:.3f} s, {lists} comment/list calls, inserted {r.inserted}, updated {r.updated}"
                  f"{'' if not r.error else ', error ' + r.error}")
            return seconds

        first = timed(f"first sync of {args.comments} comments")
        timed("second sync, nothing new")
        for ucid in range(1, args.replies + 1):
            state.comment.reply(appid, {"msg_data_id": msg_data_id, "index": 0, "user_comment_id": ucid,
                                        "content": "后台回复"})
        timed(f"after {args.replies} replies made on the platform")
        print(f"budget {BUDGET_S:.1f} s for the first sync of 1000: {'ok' if first <= BUDGET_S else 'OVER'}")
    server.shutdown()


if __name__ == "__main__":
    main()
