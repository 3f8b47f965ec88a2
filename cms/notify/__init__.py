"""In-app notifications (the bell) and, when WeCom is configured, a WeCom application message for each.

    service.notify(users, kind, text, url, post=None)   rows in the caller's transaction; WeCom after commit
    service.unread_count(user) / recent(user) / mark_read(user, ids=None)
    views: /notifications (list, open, read-all, unread.json);  tasks: send_wecom, sweep_wecom
"""
from cms.auth import hooks


def _designation_changed(user, changes, at):
    from cms.notify.designations import tell_office

    tell_office(user, changes, at)


hooks.register_designation(_designation_changed)
