"""The navigation bar, by role: a link shows only where its view's permission is held in some
scope (`User.holds`)."""
from flask import url_for
from flask_babel import lazy_gettext as _l

# (label, endpoint, permission)
ITEMS = [
    (_l("My work"), "main.home", "self"),
    (_l("Posts"), "content.posts", "self"),
    (_l("Waiting for me"), "workflow.inbox", "post.review"),
    (_l("To publish"), "publishing.publish_today", "publish"),
    (_l("Publishing"), "publishing.dashboard", "publish"),
    (_l("Calendar"), "workflow.editorial_calendar", "self"),
    (_l("WeChat Pay"), "payments.index", "self"),
    (_l("Users"), "admin.users", "user.manage"),
    (_l("Departments"), "admin.departments", "user.manage"),
    (_l("Contributors"), "admin.contributors", "post.read_all"),
    (_l("Channels"), "channels.index", "channel.manage"),
    (_l("Comment moderation"), "comments.queue", "comment.moderate"),
    (_l("Work groups"), "groups.index", "self"),
    (_l("Review chains"), "workflow.chains", "workflow.manage"),
    (_l("Audit trail"), "audit.index", "audit.read"),
    (_l("Archive"), "archive.index", "archive.read"),
    (_l("Follower messages"), "followers.inbox", "comment.moderate"),
    (_l("Figures"), "followers.figures", "comment.moderate"),
    (_l("Violations register"), "violations.index", "group.admin"),
    (_l("Forbidden words"), "content.words", "settings.manage"),
    (_l("Holidays"), "holidays.index", "settings.manage"),
]


# endpoint → functions of the user whose counts, added up, show beside the link (several features
# may count what waits behind one link: "Waiting for me" counts review steps and withdrawal requests)
COUNTS: dict[str, list] = {}


def counted(endpoint: str):
    def register(fn):
        COUNTS.setdefault(endpoint, []).append(fn)
        return fn
    return register


def navigation(user) -> list[dict]:
    return [
        {"label": str(label), "url": url_for(endpoint), "endpoint": endpoint,
         "count": sum(fn(user) for fn in COUNTS[endpoint]) if endpoint in COUNTS else None}
        for label, endpoint, perm in ITEMS
        if user.holds(perm)  # an entry point: the page asks the policy about each object
    ]
