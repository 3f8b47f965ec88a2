"""Goal: one post to 10 WeChat channels takes at most 1.25 times as long as one post to one channel,
at 200 ms of sandbox latency per platform call (the fan-out runs the channels in parallel).

Builds a throwaway SQLite database (migrated, demo company, 10 extra WeChat channels), runs the
sandbox (`flask cms sandbox`) in its own process on a loopback port (real HTTP, wechatpy's own
stack), approves posts through the review
chain, and times the outbox's run (`publish_due`, the Huey task's body) for 1 channel and for 10,
each on fresh posts, tokens fetched beforehand. Prints the median of --repeat runs and the ratio.

    .venv/bin/python bench/publish_fanout.py [--channels 10] [--latency-ms 200] [--repeat 3] [--pool 16 --pool 8]
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time

KEY = "0f2lJ0k0mDjb6n2Zy3Z3t4q5pWb7nQn2k3d9j3v5xWo="


class Sandbox:
    """`flask cms sandbox` in its own process (as the real platform is: its work does not share
    this process's interpreter), driven through POST /sandbox/control."""

    def __init__(self):
        import socket
        import subprocess
        import sys

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        flask = os.path.join(os.path.dirname(sys.executable), "flask")
        env = {**os.environ, "FLASK_APP": "cms"}
        self.proc = subprocess.Popen([flask, "cms", "sandbox", "--port", str(port)], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import requests

        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(self.url + "/sandbox/state.json", timeout=1)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def control(self, **body) -> dict:
        import requests

        r = requests.post(self.url + "/sandbox/control", json=body, timeout=10)
        r.raise_for_status()
        return r.json()

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def make_env(tmp: str, channels: int):
    """(app, sandbox) on a fresh database with `channels` extra WeChat channels ("压测号01"...)."""
    os.environ.setdefault("CMS_HUEY_URL", f"sqlite:///{tmp}/huey.db")
    from flask_migrate import upgrade

    from cms import create_app
    from cms.sandbox import SANDBOX_SECRET

    sandbox = Sandbox()
    url = sandbox.url
    # BENCH_DATABASE_URL: an empty PostgreSQL database instead of a SQLite file (bench/lateness.py)
    database = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "bench",
                      "ENCRYPTION_KEYS": [KEY], "WECHAT_API_BASE_URL": f"{url}/mp/cgi-bin/",
                      "TOUTIAO_API_BASE_URL": f"{url}/toutiao/open/v1/"})
    with app.app_context():
        upgrade()
        from cms import demo
        from cms.auth.service import get_by_username
        from cms.channels import service

        demo.load()
        manager = get_by_username("account_admin")
        for i in range(1, channels + 1):
            name = f"压测号{i:02d}"
            try:
                service.get_channel_by_name(name)
            except Exception:  # noqa: BLE001 - not made yet
                service.create_channel({"name": name, "platform": "wechat", "app_id": f"wxbench{i:08d}",
                                        "app_secret": SANDBOX_SECRET, "account_kind": "service",
                                        "channel_type": "brand", "audience": "public", "level": "department",
                                        "manager_id": str(manager.id)})
    return app, sandbox


def _picture(color) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (800, 420), color).save(buf, format="JPEG", quality=85)
    return buf.getvalue()


def approved_post(channel_names: list[str], title: str, n: int = 0):
    """A post with one in-article image and a cover, through the review chain, approved today."""
    from sqlalchemy import select

    from cms.auth.models import User
    from cms.auth.service import get_by_username
    from cms.channels.models import Channel
    from cms.content import service as content
    from cms.content.checks.base import WARNING
    from cms.extensions import db
    from cms.workflow import queries as workflow_queries
    from cms.workflow import service as workflow

    author = get_by_username("contributor")
    ids = [db.session.scalar(select(Channel.id).where(Channel.name == c)) for c in channel_names]
    picture = content.upload_asset(author, _picture((n % 200, 90, 160)), "own")
    cover = content.upload_asset(author, _picture((200, n % 200, 40)), "own")
    post = content.create_post(author, {
        "title": title, "author": "张晓雯", "digest": "压测摘要", "category": "news", "channels": ids,
        "body": {"format": "markdown", "text": f"压测正文第一段。\n\n![配图](/assets/{picture.id})\n\n第二段。"},
        "source": {"kind": "original"}, "cover_asset_id": cover.id})
    workflow.submit(author, post, {f.id: "压测" for f in content.findings(post) if f.severity == WARNING})
    for _ in range(10):
        sub = workflow_queries.active_submission(post)
        if sub.state != "active":
            break
        step = sub.version.step_objs()[sub.step]
        decision = {"decision": "approve", "revision": post.current.number, "hash": post.current.content_hash}
        if step.decides_push:
            decision["push"] = {str(i): False for i in ids}
        workflow.decide(db.session.get(User, sub.assignees[0].user_id), post, decision)
    assert post.status == "approved", post.status
    return post


def _warm_tokens(names):
    from cms.channels import clients, service
    from cms.extensions import db

    for name in names:
        clients.mp_client(service.get_channel_by_name(name)).fetch_access_token()
    db.session.commit()


def time_fanout(names: list[str], n: int) -> float:
    """Seconds from the run's start until every publication of a fresh post on `names` is final."""
    from cms.auth.service import get_by_username
    from cms.extensions import db
    from cms.publishing.queries import publications_for
    from cms.publishing.scheduling import schedule
    from cms.publishing.tasks import publish_due

    post = approved_post(names, f"扇出压测 {len(names)} 个渠道 第{n}次", n)
    schedule(get_by_username("account_admin"), post)
    start = time.perf_counter()
    result = publish_due.call_local(post.id)
    elapsed = time.perf_counter() - start
    db.session.expire_all()
    states = sorted(p.state for p in publications_for(post))
    assert states == ["published"] * len(names), (result, states)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pool", type=int, action="append", help="CMS_PUBLISH_POOL values to try (default: the configured one)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="cms-bench-fanout-")
    app, sandbox = make_env(tmp, args.channels)
    names = [f"压测号{i:02d}" for i in range(1, args.channels + 1)]
    with app.app_context():
        from huey import RedisHuey

        from cms.tasks import huey

        if not isinstance(huey, RedisHuey):
            huey.flush()
        _warm_tokens(names)
        sandbox.control(latency_ms=args.latency_ms)
        print(f"sandbox latency {args.latency_ms} ms per call; {args.repeat} runs each, median; "
              f"calls per channel: uploadimg, add_material, draft/add, freepublish/submit, freepublish/get")
        n = 0
        for pool in args.pool or [app.config["PUBLISH_POOL"]]:
            app.config["PUBLISH_POOL"] = pool
            one, many = [], []
            for _ in range(args.repeat):
                n += 1
                one.append(time_fanout(names[:1], n))
                n += 1
                many.append(time_fanout(names, n))
            t1, tn = statistics.median(one), statistics.median(many)
            print(f"CMS_PUBLISH_POOL={pool}: 1 channel {t1:.3f} s; {args.channels} channels {tn:.3f} s; "
                  f"ratio {tn / t1:.2f} (goal <= 1.25)")
    sandbox.close()


if __name__ == "__main__":
    main()
