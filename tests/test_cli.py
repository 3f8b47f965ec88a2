"""`flask cms ...` commands."""
from click.testing import CliRunner
from sqlalchemy import func, select

from cms.auth.models import User
from cms.extensions import db


def cli(app, *args, input=None):
    return CliRunner().invoke(app.cli, ["cms", *args], input=input, catch_exceptions=False)


def test_init_creates_the_first_sysadmin_once(empty_app):
    r = cli(empty_app, "init", "--username", "root", "--password", "Harbour-Light-2026")
    assert r.exit_code == 0 and "Created sysadmin root" in r.output
    root = db.session.scalar(select(User).where(User.username == "root"))
    assert root.has_permission("user.manage") and not root.must_change_password
    r = cli(empty_app, "init", "--password", "Harbour-Light-2026")
    assert "users exist already" in r.output
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_init_refuses_a_weak_password(empty_app):  # policy U2
    r = CliRunner().invoke(empty_app.cli, ["cms", "init", "--password", "weak"])
    assert r.exit_code != 0 and "至少 10 个字符" in r.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_demo_is_idempotent_and_prints_logins(empty_app):
    first = cli(empty_app, "demo")
    second = cli(empty_app, "demo")
    assert first.output == second.output
    lines = first.output.strip().splitlines()
    assert lines[0].split() == ["contributor", "Demo-Pass-2026"]
    assert {line.split()[0] for line in lines} >= {"contributor", "department_head", "supervisor", "sysadmin"}
    assert db.session.scalar(select(func.count(User.id))) == len(lines) == 14


def test_token_prints_the_token_on_its_last_line(app):
    r = cli(app, "token", "editor")
    token = r.output.strip().splitlines()[-1]
    assert token.startswith("cms_")
    me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json["username"] == "editor"
    r = CliRunner().invoke(app.cli, ["cms", "token", "nobody"])
    assert r.exit_code != 0 and "没有名为 nobody 的用户" in r.output


def test_user_create_roles_lock_depart(app):
    from cms.auth.models import Department

    dep = db.session.scalar(select(Department.id).where(Department.name == "市场部"))
    r = cli(app, "user", "create", "zhaoliu", "--real-name", "赵六", "--department", str(dep), "--role", "contributor")
    assert r.exit_code == 0
    password = r.output.strip().splitlines()[-1]
    r = cli(app, "user", "roles", "zhaoliu", "contributor", f"leader@department:{dep}")
    assert r.output.split() == [f"contributor@department:{dep}", f"leader@department:{dep}"]
    bad = CliRunner().invoke(app.cli, ["cms", "user", "roles", "zhaoliu", "leader@department:x"])
    assert bad.exit_code != 0 and "role@department:ID" in bad.output
    assert cli(app, "user", "lock", "zhaoliu", "--reason", "密码泄露").exit_code == 0
    db.session.expire_all()
    assert db.session.scalar(select(User.state).where(User.username == "zhaoliu")) == "suspended"
    bad = CliRunner().invoke(app.cli, ["cms", "user", "depart", "zhaoliu", "--confirmed-by", "editor"])
    assert bad.exit_code != 0 and "U4" in bad.output
    assert cli(app, "user", "depart", "zhaoliu", "--confirmed-by", "sysadmin").exit_code == 0
    db.session.expire_all()
    assert db.session.scalar(select(User.state).where(User.username == "zhaoliu")) == "departed"
    assert password  # was printed
