"""The one Huey instance, built from CMS_HUEY_URL at import (Huey has no init_app).

sqlite:///path (default: instance/huey.db) → SqliteHuey; redis://host:port/db → RedisHuey.
A task runs inside an app context the worker makes once (`flask cms worker`)."""
from __future__ import annotations

import os
from functools import wraps
from pathlib import Path
from urllib.parse import urlsplit

from huey import RedisHuey, SqliteHuey, crontab

_app = None


def _default_url() -> str:
    from flask import Flask

    return f"sqlite:///{Path(Flask('cms').instance_path) / 'huey.db'}"


def make_huey(url: str | None = None, *, immediate: bool = False):
    url = url or os.environ.get("CMS_HUEY_URL") or _default_url()
    parts = urlsplit(url)
    if parts.scheme in ("redis", "rediss"):
        return RedisHuey("cms", url=url, immediate=immediate)
    if parts.scheme == "sqlite":
        path = url.removeprefix("sqlite:///")
        from cms.keys import private_file

        Path(path).parent.mkdir(parents=True, exist_ok=True)
        private_file(path)  # mode 0600 when created: queued tasks name posts and people
        return SqliteHuey("cms", filename=path, immediate=immediate)
    raise ValueError(f"CMS_HUEY_URL must be sqlite:///path or redis://host:port/db, not {url!r}")


huey = make_huey()


# Feature modules that declare tasks: the consumer imports them so it knows every task.
TASK_MODULES = ("cms.workflow.tasks", "cms.notify.tasks", "cms.publishing.tasks", "cms.callbacks.tasks",
                "cms.followers.tasks", "cms.comments.tasks", "cms.groups.tasks")


def bind_app(app) -> None:
    """The worker (or a test) names the app whose context tasks run in."""
    global _app
    _app = app
    import importlib

    for name in TASK_MODULES:
        importlib.import_module(name)


def in_app_context(fn):
    @wraps(fn)
    def wrapper(*args, **kwargs):
        from flask import has_app_context

        if has_app_context():
            return fn(*args, **kwargs)
        if _app is None:
            from cms import create_app

            bind_app(create_app())
        with _app.app_context():
            return fn(*args, **kwargs)

    return wrapper


@huey.periodic_task(crontab(minute="17", hour="3"))
@in_app_context
def purge_login_attempts():
    """Failed-login records older than 30 days have served the throttle (U3); sessions ended or
    idle for 30 days are dropped (cms.auth.sessions.purge)."""
    from cms.auth import sessions
    from cms.auth.service import purge_login_attempts as purge
    from cms.extensions import db

    count = purge() + sessions.purge()
    db.session.commit()
    return count


@huey.periodic_task(crontab(minute="30", hour="7"))
@in_app_context
def directory_sync() -> dict:
    """Every morning: whoever the WeCom directory says has left is departed (U4, G6; cms/auth/directory.py)."""
    from cms.auth.directory import sync_departures

    return sync_departures().as_dict()
