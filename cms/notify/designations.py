"""C6: the office is told when a department's contributor (供稿员) changes. Registered with
cms/auth/hooks.py, so the notification is made in the transaction that gives or takes the role
(or creates, locks, unlocks or closes the account), and is rolled back with it."""
from __future__ import annotations

from flask_babel import gettext as _

from cms.auth.models import Department
from cms.auth.queries import office_users
from cms.extensions import db
from cms.notify.service import notify

REGISTER_URL = "/admin/contributors"


def tell_office(user, changes: dict[int, str], at) -> None:
    office = office_users()
    for department_id, change in sorted(changes.items()):
        department = db.session.get(Department, department_id)
        name = department.name if department is not None else str(department_id)
        if change == "added":
            text = _("%(department)s: %(name)s is now a contributor (C6).", department=name, name=user.real_name)
        else:
            text = _("%(department)s: %(name)s is no longer a contributor (C6).", department=name,
                     name=user.real_name)
        notify(office, "contributor_changed", text, REGISTER_URL)
