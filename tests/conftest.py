"""Fixtures: an app and a fresh database per test, cloned from a migrated template.

SQLite by default: the template is a file, copied per test. With CMS_TEST_DATABASE_URL naming a
PostgreSQL server, each test gets `CREATE DATABASE ... TEMPLATE` of a migrated database, which is
fast. Huey uses Redis when CMS_TEST_REDIS_URL is set, else a SQLite file.

Time: the `clock` fixture is the one way a test sets or moves the time (cms.workdays.now() is the
app's one clock), and `wait_until(predicate, timeout, message)` the one way it waits for something
another thread or process does. No test sleeps or measures a duration (bench/ prints figures).
tests/test_hygiene.py keeps it so."""
from __future__ import annotations

import contextlib
import contextvars
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="cms-tests-"))


def _worker_redis(url: str | None) -> str | None:
    """Under pytest-xdist each worker process takes its own Redis database (gw0 the one named,
    gw1 the next...), so one worker's queue, nonces and tokens never meet another's."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker.startswith("gw"):
        return url
    head, _, db_index = url.rpartition("/")
    return f"{head}/{int(db_index or 0) + int(worker[2:])}"


os.environ["CMS_HUEY_URL"] = _worker_redis(os.environ.get("CMS_TEST_REDIS_URL")) or f"sqlite:///{_TMP / 'huey.db'}"
for name in list(os.environ):  # a developer's own CMS_* settings must not leak into the tests
    # (CMS_TEST_*: the databases the suite is asked to run on, read below and by the Redis tests)
    if name.startswith("CMS_") and name != "CMS_HUEY_URL" and not name.startswith("CMS_TEST_"):
        os.environ.pop(name)

from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from cms import create_app  # noqa: E402
from cms.demo import DEMO_PASSWORD  # noqa: E402
from cms.extensions import db  # noqa: E402

PG_URL = os.environ.get("CMS_TEST_DATABASE_URL")
BASE_CONFIG = {
    "TESTING": True,
    "WTF_CSRF_ENABLED": False,
    "SECRET_KEY": "test-secret-key",
    "ENCRYPTION_KEYS": ["0f2lJ0k0mDjb6n2Zy3Z3t4q5pWb7nQn2k3d9j3v5xWo="],
    "SERVER_NAME": None,
}


# --- time ---------------------------------------------------------------------------------------

class Clock:
    """The test's clock, on time-machine: it moves cms.workdays.now() (the app's one clock, which
    reads datetime.now(UTC)), and with it time.time() (wechatpy's token expiry, the token storage,
    the sandbox's clock, callback timestamps) in this process. It does not move time.monotonic()
    (timeouts, `wait_until`) nor another process's clock (a worker started by the test).

    clock.set("2026-11-25 10:00")            10:00 in CMS_TIMEZONE, held still
    clock.set("2026-11-25 02:00:00+00:00")   an aware time (or a datetime, or a Unix timestamp)
    clock.set(..., tick=True)                from there the clock runs
    clock.today_at(10)                       today at 10:00 in CMS_TIMEZONE, running
    clock.freeze()                           held still at the current time
    clock.advance(minutes=20)                moved on (held still or running, as it was)
    clock.now() / clock.local()              workdays.now(), in UTC / in CMS_TIMEZONE
    """

    def __init__(self, machine):
        self._machine = machine
        self._started = False

    def set(self, when, *, tick: bool = False) -> datetime:
        from cms import workdays

        if isinstance(when, str):
            when = datetime.fromisoformat(when)
        if isinstance(when, datetime) and when.tzinfo is None:
            when = when.replace(tzinfo=workdays.zone())
        self._machine.move_to(when, tick=tick)
        self._started = True
        return self.now()

    def today_at(self, hour: int, minute: int = 0, *, tick: bool = True) -> datetime:
        from cms import workdays

        day = workdays.local(workdays.now()).date()
        return self.set(datetime(day.year, day.month, day.day, hour, minute, tzinfo=workdays.zone()), tick=tick)

    def freeze(self) -> datetime:
        return self.set(self.now())

    def advance(self, delta: timedelta | None = None, **kwargs) -> datetime:
        delta = delta if delta is not None else timedelta(**kwargs)
        if not self._started:
            return self.set(self.now() + delta, tick=True)
        self._machine.shift(delta)
        return self.now()

    @staticmethod
    def now() -> datetime:
        from cms import workdays

        return workdays.now()

    @staticmethod
    def local() -> datetime:
        from cms import workdays

        return workdays.local(workdays.now())


@pytest.fixture
def clock(time_machine) -> Clock:
    """The one clock fixture (see Clock). Request it before fixtures that read the time if they
    must see the moved clock."""
    return Clock(time_machine)


def wait_until(predicate: Callable[[], object], timeout: float, message: str | Callable[[], str]):
    """Wait until `predicate()` is true (another thread or process acts) and return its value; after
    `timeout` seconds, fail with `message` (a text, or a function making one, e.g. with a log tail).
    Its deadline is on time.monotonic(), which the `clock` fixture leaves alone. The timeout is a
    safety net, never a measurement: no test asserts how long something took."""
    import time as _time

    deadline = _time.monotonic() + timeout
    pause = 0.005
    while True:
        value = predicate()
        if value:
            return value
        if _time.monotonic() >= deadline:
            raise AssertionError(f"waited {timeout} s in vain: {message() if callable(message) else message}")
        threading.Event().wait(min(pause, max(0.0, deadline - _time.monotonic())))
        pause = min(pause * 2, 0.1)


def _build_template(url: str, demo: bool) -> None:
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        if demo:
            from cms import demo as demo_data

            demo_data.load()
        db.session.remove()
        db.engine.dispose()


def _pg_admin():
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def templates():
    """{'empty': locator, 'demo': locator}: a file path (SQLite) or a database name (PostgreSQL)."""
    made = {}
    if PG_URL:
        admin = _pg_admin()
        for kind in ("empty", "demo"):
            name = f"cms_tpl_{kind}_{os.getpid()}"
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                c.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\''))
            _build_template(make_url(PG_URL).set(database=name).render_as_string(hide_password=False), kind == "demo")
            made[kind] = name
        yield made
        with admin.connect() as c:
            for name in made.values():
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        for kind in ("empty", "demo"):
            path = _TMP / f"template-{kind}.db"
            _build_template(f"sqlite:///{path}", kind == "demo")
            made[kind] = path
        yield made
    shutil.rmtree(_TMP, ignore_errors=True)


def _fresh_database(templates, kind: str, tmp_path: Path):
    """(url, cleanup) of a new database cloned from the template."""
    if PG_URL:
        name = f"cms_t_{uuid.uuid4().hex[:12]}"
        admin = _pg_admin()
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{templates[kind]}"'))

        def drop():
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        return make_url(PG_URL).set(database=name).render_as_string(hide_password=False), drop
    path = tmp_path / "cms.db"
    shutil.copyfile(templates[kind], path)
    return f"sqlite:///{path}", lambda: None


class IsolatedClient(FlaskClient):
    """Each request runs outside the test's app context, as a real one would: its own `g`
    (so its own logged-in user) and its own database session."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


def make_app(templates, tmp_path, kind="demo", **config):
    url, cleanup = _fresh_database(templates, kind, tmp_path)
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, **config})
    app.test_client_class = IsolatedClient
    app.config["_cleanup"] = cleanup
    return app


def _close(app):
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    app.config["_cleanup"]()


@contextlib.contextmanager
def served_sandbox_app(templates, tmp_path, **config):
    """The demo app with CMS_SANDBOX on, served on a loopback port as `make run` serves it (its
    CMS_SANDBOX_URL and CMS_PUBLIC_BASE_URL its own address), an app context pushed; closed after."""
    app = make_app(templates, tmp_path, SANDBOX=True, **config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config.update(SANDBOX_URL=base + "/", PUBLIC_BASE_URL=base)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with app.app_context():
            yield app
    finally:
        server.shutdown()
        thread.join(5)
        _close(app)


@pytest.fixture
def app(templates, tmp_path):
    """The app on a fresh database holding the demo company; an app context is pushed."""
    app = make_app(templates, tmp_path)
    with app.app_context():
        yield app
    _close(app)


@pytest.fixture
def empty_app(templates, tmp_path):
    """The app on a fresh, migrated, empty database."""
    app = make_app(templates, tmp_path, kind="empty")
    with app.app_context():
        yield app
    _close(app)


@pytest.fixture
def csrf_app(templates, tmp_path):
    """The app with CSRF protection on, as in production."""
    app = make_app(templates, tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app
    _close(app)


@pytest.fixture
def client(app):
    return app.test_client()


def login(client, username: str, password: str = DEMO_PASSWORD):
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, f"login as {username} failed: {response.status_code}"
    return client


@pytest.fixture
def client_as(app):
    """client_as("editor") → a test client logged in as that demo user."""
    def make(username: str):
        return login(app.test_client(), username)

    return make


@pytest.fixture
def user(app):
    """user("editor") → the demo user as the database has it now."""
    from cms.auth.service import get_by_username

    def fetch(username: str):
        db.session.expire_all()
        return get_by_username(username)

    return fetch


@pytest.fixture
def api(app):
    """api("sysadmin") → a function (method, path, json=None) calling /api/v1 with a bearer token."""
    from cms.auth.service import create_token, get_by_username

    def make(username: str):
        token = create_token(get_by_username(username), "test")
        client = app.test_client()

        def call(method: str, path: str, **kwargs):
            headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
            return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

        call.token = token
        return call

    return make
