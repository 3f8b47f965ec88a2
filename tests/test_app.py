"""The app's wiring: configuration, keys, health, error pages."""
import json
import os
import subprocess
import sys
from pathlib import Path

from cms import create_app, keys


def test_healthz_pings_the_database(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json == {"status": "ok", "database": "ok"}


def test_healthz_reports_a_dead_database(tmp_path):
    app = create_app({"SECRET_KEY": "x", "ENCRYPTION_KEYS": ["0f2lJ0k0mDjb6n2Zy3Z3t4q5pWb7nQn2k3d9j3v5xWo="],
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/x.db"})
    r = app.test_client().get("/healthz")
    assert r.status_code == 503 and r.json["status"] == "error"


def test_environment_overrides_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("CMS_TIMEZONE", "Asia/Urumqi")
    monkeypatch.setenv("CMS_PASSWORD_MAX_AGE_DAYS", "30")
    monkeypatch.setenv("CMS_SECRET_KEY", "from-env")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db", "ENCRYPTION_KEYS": ["0f2lJ0k0mDjb6n2Zy3Z3t4q5pWb7nQn2k3d9j3v5xWo="]})
    assert app.config["TIMEZONE"] == "Asia/Urumqi"
    assert app.config["PASSWORD_MAX_AGE_DAYS"] == 30
    assert app.config["SECRET_KEY"] == "from-env"


def test_secret_key_is_generated_once_and_shared_by_racing_processes(tmp_path):
    """Eight processes start together; all end up with the one key in instance/."""
    code = ("import sys; from cms import keys; "
            "print(keys.secret_key({}, sys.argv[1]))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
             for _ in range(8)]
    outputs = {p.communicate()[0].strip() for p in procs}
    assert len(outputs) == 1
    key = outputs.pop()
    assert len(key) > 40 and (tmp_path / "secret_key").read_text().strip() == key
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temporary files left


def test_encryption_keys_rotate_newest_first(tmp_path):
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = keys.fernet([old]).encrypt(b"AppSecret")
    rotated = keys.fernet(keys.encryption_keys({"ENCRYPTION_KEYS": json.dumps([new, old])}, str(tmp_path)))
    assert rotated.decrypt(token) == b"AppSecret"
    assert Fernet(new.encode()).decrypt(rotated.encrypt(b"x")) == b"x"
    generated = keys.encryption_keys({}, str(tmp_path))
    assert generated == keys.encryption_keys({}, str(tmp_path)) and len(generated) == 1


def test_error_pages_are_chinese_and_json_under_api(client_as, client):
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "页面不存在" in r.get_data(as_text=True)
    r = client_as("contributor").get("/admin/users")
    assert r.status_code == 403 and "没有访问此页面的权限" in r.get_data(as_text=True)
    r = client.get("/api/v1/nothing")
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"  # JSON, never an HTML page


def test_a_crash_is_a_chinese_500_page(app, client_as):
    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    boom.permission = "self"
    app.config["PROPAGATE_EXCEPTIONS"] = False
    r = client_as("editor").get("/boom")
    assert r.status_code == 500 and "服务器出错了" in r.get_data(as_text=True)


def test_security_headers(client):
    r = client.get("/login")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_no_secret_key_constant_in_code():
    source = "".join(p.read_text() for p in Path("cms").rglob("*.py"))
    assert "SECRET_KEY = \"" not in source and "SECRET_KEY = '" not in source
    assert os.path.exists("instance/README.md")


def test_every_page_has_an_icon_and_favicon_ico_answers(client_as, client):  # issue 19 part 9
    page = client_as("contributor").get("/").get_data(as_text=True)
    assert 'rel="icon"' in page and "/static/favicon.svg" in page
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml" and b"<svg" in r.data
    assert client.get("/static/favicon.svg").status_code == 200
