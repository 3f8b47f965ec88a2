"""WeCom directory departures (U4, G6's start): the daily sync reads user/get for every account
not departed from the WeCom sandbox (served over loopback HTTP, through wechatpy) and departs the
leavers (status 5) in a configured administrator's name, once; a platform failure departs nobody."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cms.audit.models import AuditEntry
from cms.auth.directory import sync_departures
from cms.auth.models import User
from cms.extensions import db
from cms.platforms.wecom import SANDBOX_CORP
from tests.conftest import login, served_sandbox_app

CORP = SANDBOX_CORP["corp_id"]


@pytest.fixture
def served(templates, tmp_path):
    """The demo app served with its sandbox; every demo user a WeCom member, the contributor left."""
    with served_sandbox_app(templates, tmp_path) as app:
        wecom = app.extensions["sandbox"].wecom
        for u in db.session.scalars(select(User)):
            wecom.add_user(CORP, u.username, u.real_name, status=5 if u.username == "contributor" else 1)
        yield app


def _user(name: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == name))


def _entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _lookups(app) -> list[str]:
    return [p for _t, p, _o in app.extensions["sandbox"].calls if p.endswith("/user/get")]


def test_a_leaver_is_departed_once_in_the_administrators_name(served):
    client = login(served.test_client(), "contributor")
    assert client.get("/").status_code == 200
    report = sync_departures()
    assert report.error is None and report.departed == ["contributor"] and report.admin == "sysadmin"
    leaver, admin = _user("contributor"), _user("sysadmin")
    assert leaver.state == "departed" and leaver.departed_confirmed_by_id == admin.id
    assert _user("department_head").state == "active"  # an active member is untouched
    # The audit says the directory did it, in the administrator's name (U4 U7).
    [noted] = _entries("user.directory_left")
    assert noted.actor_name == "sysadmin" and noted.after["source"] == "wecom_directory"
    assert noted.after["wecom_status"] == 5
    [departed] = _entries("user.departed")
    assert departed.after["confirmed_by"] == "sysadmin" and departed.target_id == str(leaver.id)
    # The leaver's session ended at once.
    assert client.get("/").status_code == 302
    # A second run looks the leaver up no more and changes nothing.
    looked_up = len(_lookups(served))
    again = sync_departures()
    assert again.departed == [] and again.error is None
    assert len(_lookups(served)) == looked_up + again.checked and again.checked == looked_up - 1
    assert len(_entries("user.departed")) == 1 and len(_entries("user.directory_left")) == 1


def test_a_platform_failure_midway_departs_nobody(served):
    sandbox = served.extensions["sandbox"]
    sandbox.inject_fault("/qy/cgi-bin/user/get", errcode=-1, after=3)  # the leaver was read first
    report = sync_departures()
    assert report.departed == [] and "繁忙" in report.error and "没有为任何人办理离职" in report.error
    assert _user("contributor").state == "active"
    assert _entries("user.departed") == [] and _entries("user.directory_left") == []
    # The next run, with the platform back, does the work.
    assert sync_departures().departed == ["contributor"]


def test_a_wrong_secret_stops_the_run(served):
    served.config.update(WECOM_CORP_ID=CORP, WECOM_SECRET="not-the-secret")
    served.extensions["sandbox"].wecom.add_corp(CORP, "the-real-secret")
    report = sync_departures()
    assert report.departed == [] and report.error and _user("contributor").state == "active"


def test_unknown_userids_are_listed_not_departed(served):
    sandbox = served.extensions["sandbox"].wecom
    sandbox.corps[CORP].users.pop("finance")
    report = sync_departures()
    assert report.not_found == ["finance"] and _user("finance").state == "active"
    assert report.departed == ["contributor"]


def test_the_configured_administrator_confirms_and_must_be_one(served):
    served.config["DIRECTORY_SYNC_ADMIN"] = "group_admin"  # no user.manage: may not confirm (U4)
    report = sync_departures()
    assert "U4" in report.error and report.departed == [] and _user("contributor").state == "active"
    served.config["DIRECTORY_SYNC_ADMIN"] = "sysadmin"
    assert sync_departures().departed == ["contributor"]


def test_the_command_line_and_the_task(served):
    r = CliRunner().invoke(served.cli, ["cms", "directory-sync"], catch_exceptions=False)
    assert r.exit_code == 0 and "departed contributor (confirmed by sysadmin)" in r.output
    from cms.tasks import directory_sync

    assert directory_sync.call_local()["departed"] == []  # already done: nothing more


def test_without_wecom_nothing_is_called(app):
    report = sync_departures()
    assert report.error and "CMS_WECOM_CORP_ID" in report.error and report.departed == []
