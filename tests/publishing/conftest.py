"""Channels against the sandbox over loopback HTTP (tests/sandbox's server), and an app whose
settings point the platform clients at it."""
import pytest

from tests.sandbox import conftest as _sandbox

sandbox_server = _sandbox.sandbox_server
sandbox_url = _sandbox.sandbox_url
sandbox_state = _sandbox.sandbox_state


@pytest.fixture
def platforms(app, sandbox_url, sandbox_state):
    """The demo app with CMS_WECHAT_API_BASE_URL and CMS_TOUTIAO_API_BASE_URL on the sandbox;
    returns the sandbox state."""
    app.config["WECHAT_API_BASE_URL"] = f"{sandbox_url}/mp/cgi-bin/"
    app.config["TOUTIAO_API_BASE_URL"] = f"{sandbox_url}/toutiao/open/v1/"
    return sandbox_state


# --- the outbox: approved posts and an app publishing to the sandbox ----------------------------

def _picture(size=(800, 420), color=(30, 90, 160)) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="JPEG", quality=85)
    return buf.getvalue()


@pytest.fixture
def outbox(app, platforms):
    """The demo app publishing to the loopback sandbox: retries and status checks without waiting
    (CMS_PUBLISH_RETRY_SCALE 0), the demo's accounts known to the sandbox with their kinds. Returns
    the sandbox state."""
    from sqlalchemy import select

    from cms.channels.models import Channel
    from cms.extensions import db
    from cms.sandbox import SANDBOX_SECRET

    app.config.update(PUBLISH_RETRY_SCALE=0, PUBLISH_INLINE_WAIT_SECONDS=5, PUBLISH_POOL=8)
    state = platforms
    for channel in db.session.scalars(select(Channel).where(Channel.platform == "wechat")):
        state.add_account(channel.app_id, SANDBOX_SECRET, kind=channel.account_kind, name=channel.name)
        # No server configuration (callback token) here: a push is done when mass/get says so.
        # tests/callbacks covers the accounts that call the app back and the wait for a push's URL.
        channel.set_callback_token(None)
        channel.set_encoding_aes_key(None)
    db.session.commit()
    for channel in db.session.scalars(select(Channel).where(Channel.platform == "toutiao")):
        state.add_toutiao_account(channel.app_id, SANDBOX_SECRET, name=channel.name)
    return state


@pytest.fixture
def approved_post(app):
    """approved_post(channels=("星海集团",), push={"星海集团": False}, images=1, cover=True, title=...,
    confidential=False, approve=True) -> a Post through the demo's review chain (C4 C7), approved
    for today (C8) with the supervisor's push choice (C18)."""
    from sqlalchemy import select

    from cms.auth.service import get_by_username
    from cms.channels.models import Channel
    from cms.content import service as content
    from cms.content.checks.base import WARNING
    from cms.extensions import db
    from cms.workflow import service as workflow

    def make(channels=("星海集团",), push=None, images=1, cover=True, title="星海集团发布年度社会责任报告",
             confidential=False, approve=True, body="集团今天发布年度社会责任报告，回顾一年来的工作。"):
        author = get_by_username("contributor")
        ids = [db.session.scalar(select(Channel.id).where(Channel.name == n)) for n in channels]
        pictures = [content.upload_asset(author, _picture(color=(30 + 40 * i, 90, 160)), "own")
                    for i in range(images)]
        text = body + "".join(f"\n\n![配图{i + 1}](/assets/{a.id})\n\n第{i + 2}段正文。" for i, a in enumerate(pictures))
        data = {"title": title, "author": "张晓雯", "digest": "年度报告摘要",
                "body": {"format": "markdown", "text": text}, "category": "news", "channels": ids,
                "source": {"kind": "original"}}
        if cover:
            data["cover_asset_id"] = content.upload_asset(author, _picture((900, 383), (200, 60, 40)), "own").id
        post = content.create_post(author, data)
        if not approve:
            return post
        reasons = {f.id: "测试：已知晓" for f in content.findings(post) if f.severity == WARNING}
        workflow.submit(author, post, reasons)
        choice = {str(db.session.scalar(select(Channel.id).where(Channel.name == n))): bool(v)
                  for n, v in (push or {}).items()}
        for c in post.channels:
            if c.platform == "wechat":
                choice.setdefault(str(c.id), False)
        approve_chain(post, choice)
        assert post.status == "approved", post.status
        if confidential:  # C5: marked after approval (the chain would not have approved it)
            post.confidential = True
            db.session.commit()
        return post

    return make


def approve_chain(post, push: dict[str, bool] | None = None) -> None:
    """Every step of the submitted post's chain approves, the deciding step with `push` ({channel
    id: push?}; default publish-only on every WeChat channel)."""
    from cms.auth.models import User
    from cms.extensions import db
    from cms.workflow import queries as workflow_queries
    from cms.workflow import service as workflow

    if push is None:
        push = {str(c.id): False for c in post.channels if c.platform == "wechat"}
    for _ in range(10):
        sub = workflow_queries.active_submission(post)
        if sub.state != "active":
            break
        step = sub.version.step_objs()[sub.step]
        reviewer = db.session.get(User, sub.assignees[0].user_id)
        decision = {"decision": "approve", "revision": post.current.number, "hash": post.current.content_hash}
        if step.decides_push:
            decision["push"] = push
        workflow.decide(reviewer, post, decision)


@pytest.fixture
def midday(clock):
    """Today at 10:00 in CMS_TIMEZONE, the clock running: a later time today always exists, whenever
    the suite runs (request it before the fixtures that approve posts)."""
    clock.today_at(10)
    return clock
