"""The navigation bar, by role: a link shows only where its view's permission is held."""
from flask import url_for
from flask_babel import lazy_gettext as _l

# (label, endpoint, permission)
ITEMS = [
    (_l("My work"), "main.home", "self"),
    (_l("Posts"), "content.posts", "self"),
    (_l("Waiting for me"), "workflow.inbox", "post.review"),
    (_l("Publish today"), "workflow.publish_today", "publish"),
    (_l("Publishing"), "channels.dashboard", "publish"),
    (_l("Calendar"), "workflow.editorial_calendar", "self"),
    (_l("Users"), "admin.users", "user.manage"),
    (_l("Departments"), "admin.departments", "user.manage"),
    (_l("Channels"), "channels.index", "channel.manage"),
    (_l("Review chains"), "workflow.chains", "workflow.manage"),
    (_l("Audit trail"), "audit.index", "audit.read"),
    (_l("Archive"), "archive.index", "archive.read"),
    (_l("Forbidden words"), "content.words", "settings.manage"),
]


# endpoint → a function of the user giving the count shown beside the link
COUNTS = {}


def counted(endpoint: str):
    def register(fn):
        COUNTS[endpoint] = fn
        return fn
    return register


def navigation(user) -> list[dict]:
    return [
        {"label": str(label), "url": url_for(endpoint), "endpoint": endpoint,
         "count": COUNTS[endpoint](user) if endpoint in COUNTS else None}
        for label, endpoint, perm in ITEMS
        if user.has_permission(perm)
    ]
