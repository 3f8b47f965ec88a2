"""Behind a reverse proxy (CMS_TRUSTED_PROXIES): the per-IP login throttle (U3), the audit trail
and the session list see the browser's address, and only when a proxy is configured."""
from sqlalchemy import select

from cms.audit.models import AuditEntry
from cms.auth.models import UserSession
from cms.demo import DEMO_PASSWORD
from cms.extensions import db
from tests.conftest import _close, make_app

PROXY = "10.0.0.99"


def _login(client, username, password, forwarded_for):
    return client.post("/login", data={"username": username, "password": password},
                       headers={"X-Forwarded-For": forwarded_for},
                       environ_base={"REMOTE_ADDR": PROXY})


def _fail_three_times_from(client, forwarded_for):
    for i in range(3):
        assert _login(client, f"nobody{i}", "wrong-Password-1", forwarded_for).status_code == 401


def test_without_the_setting_the_header_is_not_believed(app, client):  # policy U3
    app.config["LOGIN_IP_MAX_FAILURES"] = 3
    _fail_three_times_from(client, "203.0.113.5")
    # Everyone arrives from the proxy's address: another browser is throttled too, and a forged
    # header does not get anyone out of it.
    r = _login(client, "contributor", DEMO_PASSWORD, "198.51.100.7")
    assert r.status_code == 429
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry.ip == PROXY


def test_with_one_trusted_proxy_each_browser_has_its_own_count(templates, tmp_path):  # policy U3
    app = make_app(templates, tmp_path, TRUSTED_PROXIES=1, LOGIN_IP_MAX_FAILURES=3)
    try:
        with app.app_context():
            client = app.test_client()
            _fail_three_times_from(client, "203.0.113.5")
            assert _login(client, "contributor", DEMO_PASSWORD, "203.0.113.5").status_code == 429
            # A client-supplied value before the proxy's own is not believed: the last one is.
            assert _login(client, "contributor", DEMO_PASSWORD, "198.51.100.7, 203.0.113.5").status_code == 429
            other = app.test_client()
            assert _login(other, "contributor", DEMO_PASSWORD, "203.0.113.5, 198.51.100.7").status_code == 302
            row = db.session.scalars(select(UserSession).order_by(UserSession.created_at.desc())).first()
            assert row.ip == "198.51.100.7"
            entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "login")
                                       .order_by(AuditEntry.seq.desc())).first()
            assert entry.ip == "198.51.100.7"
    finally:
        _close(app)


def test_the_setting_comes_from_the_environment(templates, tmp_path, monkeypatch):
    monkeypatch.setenv("CMS_TRUSTED_PROXIES", "2")
    app = make_app(templates, tmp_path)
    try:
        with app.app_context():
            from werkzeug.middleware.proxy_fix import ProxyFix

            assert isinstance(app.wsgi_app, ProxyFix) and app.wsgi_app.x_for == 2
            assert app.wsgi_app.x_proto == 2 and app.wsgi_app.x_host == 2
    finally:
        _close(app)
