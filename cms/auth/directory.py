"""WeCom directory departures (U4; the start of G6): whoever the WeCom directory says has left
(user/get status 5) is departed here as if an administrator had marked it.

    report = sync_departures()       # the daily task (cms/tasks.py directory_sync) and
                                     # `flask cms directory-sync`

Each account not yet departed is looked up by its WeCom userid, which is its CMS username (the
convention CMS_WECOM_* notifications use, cms/config.py). The run first reads the directory for
everyone and changes nothing while it reads; a platform failure on the way (no answer, a busy
platform, a refused token or secret) ends the run with the error and nobody departed, so a half-read
directory never departs half the company. Per person, WeCom's "no such userid" (60111) and other
permanent refusals (60011: outside the application's visible range) are listed, not acted on.

Then each leaver is departed through cms.auth.service.depart, confirmed by the administrator the
company named for it (CMS_DIRECTORY_SYNC_ADMIN, a username; unset: the first active system
administrator), who must be allowed to confirm departures (U4); that account's name is on the
departure, and a `user.directory_left` entry says the directory sync did it, in the same
transaction. An account already departed is not looked up again: a second run changes nothing.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from cms import workdays
from cms.audit.service import record
from cms.auth import service
from cms.auth.models import RoleAssignment, User
from cms.auth.policy import can_confirm_departure
from cms.errors import Refused
from cms.extensions import db
from cms.transactions import operation

log = logging.getLogger(__name__)

SOURCE = "wecom_directory"


@dataclass
class SyncReport:
    checked: int = 0
    departed: list[str] = field(default_factory=list)  # usernames departed by this run
    not_found: list[str] = field(default_factory=list)  # not in the WeCom directory (60111)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (username, why) other refusals
    error: str | None = None  # the run stopped: nothing was departed
    admin: str = ""

    def as_dict(self) -> dict:
        return {"checked": self.checked, "departed": self.departed, "not_found": self.not_found,
                "refused": [list(r) for r in self.refused], "error": self.error, "admin": self.admin}


def sync_admin() -> User:
    """The administrator in whose name the sync confirms departures (U4)."""
    name = (current_app.config.get("DIRECTORY_SYNC_ADMIN") or "").strip()
    if name:
        admin = db.session.scalar(select(User).where(User.username == name))
    else:
        admin = db.session.scalar(
            select(User).join(RoleAssignment).where(RoleAssignment.role == "sysadmin",
                                                    RoleAssignment.scope_type.is_(None), User.state == "active")
            .order_by(User.id).limit(1))
    if admin is None or not can_confirm_departure(admin, admin):
        raise Refused(_("The directory sync needs an active administrator who may confirm departures "
                        "(CMS_DIRECTORY_SYNC_ADMIN: %(name)s) (U4).", name=name or "-"), code="U4", status=409)
    return admin


@operation
def depart_from_directory(user: User, admin: User, leave_date: date, wecom_status: int) -> None:
    """One leaver: the directory's word recorded, then the departure confirmed in `admin`'s name
    (one transaction: both or neither)."""
    record("user.directory_left", user, actor=admin,
           after={"source": SOURCE, "wecom_userid": user.username, "wecom_status": wecom_status,
                  "confirmed_by": admin.username})
    service.depart(user, leave_date, confirmed_by=admin)


def sync_departures(*, client=None) -> SyncReport:
    """Read the directory for every account not departed, then depart the leavers (see above)."""
    from cms.platforms import CallError, MemoryStorage, classify_wecom
    from cms.platforms.wecom import USER_LEFT, USER_NOT_FOUND, client_for, get_user

    report = SyncReport()
    if client is None:
        # one token storage per process, shared with the notifications (WeCom hands out the same token)
        client = client_for(current_app.config, current_app.extensions.setdefault("wecom_token_storage",
                                                                                   MemoryStorage()))
        if client is None:
            report.error = _("WeCom is not configured (CMS_WECOM_CORP_ID, CMS_WECOM_SECRET).")
            return report
    try:
        admin = sync_admin()
    except Refused as e:
        report.error = e.message
        return report
    report.admin = admin.username
    people = list(db.session.scalars(select(User).where(User.state != "departed").order_by(User.id)))
    ids = {u.username: u.id for u in people}
    db.session.commit()  # no transaction open while the platform answers
    left: list[tuple[int, int]] = []
    for username, uid in ids.items():
        try:
            entry = get_user(client, username)
        except CallError as e:
            if e.errcode == USER_NOT_FOUND:
                report.not_found.append(username)
            elif not e.token_call and classify_wecom(e.errcode) == "permanent":
                report.refused.append((username, e.description))
            else:
                report.error = _("WeCom directory not read (%(why)s): nobody was departed.", why=e.description)
                log.warning("directory sync stopped at %s: %s %s", username, e.errcode, e.errmsg)
                return report
            continue
        report.checked += 1
        if int(entry.get("status") or 0) == USER_LEFT:
            left.append((uid, USER_LEFT))
    today = workdays.today()
    for uid, status in left:
        user = db.session.get(User, uid)
        if user is None or user.state == "departed":
            continue  # departed meanwhile (by hand, or another run)
        try:
            depart_from_directory(user, admin, today, status)
        except Refused as e:
            report.refused.append((user.username, e.message))
            continue
        report.departed.append(user.username)
    if report.departed:
        log.info("directory sync departed %s (confirmed by %s)", report.departed, admin.username)
    return report
