"""Publishing: the channel dashboard (today's queue, in flight, failures, this period's pushes), a
post's publications (each channel's state, steps, remote ids, attempts, last error, retry),
scheduling (C4 C5 C8) and the preview sent to a reviewer's phone. Routes carry their full paths
(the blueprint has no prefix): /channels/... beside channel administration, and /posts/<id>/...."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cms import workdays
from cms.channels import policy as channels_policy
from cms.channels import service
from cms.channels.forms import LABELS, ActionForm
from cms.content import service as content
from cms.errors import Refused
from cms.extensions import db
from cms.navigation import counted
from cms.permissions import SELF
from cms.publishing import bundles, policy, queries, rules, scheduling
from cms.publishing.forms import ScheduleForm
from cms.publishing.preview import send_preview
from cms.ui import zone_name
from cms.web import requires, safe_next
from cms.workflow import engine
from cms.workflow import queries as workflow_queries
from cms.worklist import provider

bp = Blueprint("publishing", __name__)


# --- publishing ----------------------------------------------------------------------------------

STATE_BADGES = {"scheduled": "secondary", "sending": "info", "submitted": "primary", "published": "success",
                "failed": "danger", "cancelled": "dark", "withdrawn": "warning", "removed_by_platform": "warning"}


@bp.app_context_processor
def _state_badges():
    """The publication state badges, for this feature's templates (a constant, no query)."""
    return {"state_badges": STATE_BADGES}


def _scheduled_posts(exclude=()) -> list:
    """Posts scheduled or partly out whose publications are today's business, but for those
    already on the queue (`exclude`: post ids)."""
    from cms.content.models import Post

    seen, posts = set(exclude), []
    for pub in [*queries.queue_today(), *queries.in_flight(), *queries.failures(days=1), *queries.published_today()]:
        if pub.post_id not in seen:
            seen.add(pub.post_id)
            posts.append(db.session.get(Post, pub.post_id))
    return posts


def c8_words(sub) -> dict | None:
    """For the pages: the day the approved `sub`'s post must go out, why, and what the schedule
    form accepts (C8, rules.due_reason / publish_window), in Chinese. None before approval."""
    if sub is None or sub.publish_day is None or sub.approved_at is None:
        return None
    today = workdays.today()
    approved_on = workdays.local(sub.approved_at).date()
    planned = sub.post.planned_date
    if engine.approval_day(approved_on, planned) != sub.publish_day:
        planned = sub.publish_day if sub.publish_day > approved_on else None  # the plan changed since
    reason, params = engine.due_reason(approved_on, planned)
    window, wparams = rules.publish_window(sub.publish_day, today)
    return {"day": sub.publish_day, "overdue": sub.publish_day < today, "later": sub.publish_day > today,
            "reason": _(reason, **params), "window": _(window, **wparams),
            "days_left": (sub.publish_day - today).days}


def c8_for_post(post) -> dict | None:
    """c8_words of the post's approved submission (None if it has none): the post page uses it."""
    return c8_words(queries.approved_submission(post)) if post.status in ("approved", "scheduled") else None


@bp.app_context_processor
def _c8_words():
    return {"c8_words": c8_words, "c8_for_post": c8_for_post}


def _queue_for(user) -> list[dict]:
    """Every approved post not yet out on a channel this user publishes on (issue 13: not the
    others'), by C8 day, the overdue first; with each channel's state and what is still to do."""
    rows = []
    subs = [sub for sub in workflow_queries.publish_queue() if channels_policy.publishes_any(user, sub.post)]
    published = queries.latest_by_post({sub.post_id for sub in subs})  # one query for the whole list
    for sub in subs:
        latest = published.get(sub.post_id, {})
        channels = [{"channel": c, "pub": latest.get(c.id),
                     "done": latest.get(c.id) is not None and latest[c.id].state == "published"}
                    for c in sub.post.channels]
        rows.append({"sub": sub, "post": sub.post, "c8": c8_words(sub), "channels": channels,
                     "todo": [r["channel"] for r in channels if not r["done"]]})
    return rows


@counted("publishing.publish_today")
def _queue_count(user) -> int:
    return len(_queue_for(user))


@provider
def _approved_to_publish(user):
    """Home page of the account administrator: every approved post still to publish, by due day,
    the overdue ones in red (C8), with the channels still to do."""
    if not user.holds("publish"):
        return None
    return {"title": _("Approved, to publish (C8)"), "empty": _("Nothing approved is waiting to go out."),
            "more": {"label": _("Open the publishing queue"), "url": url_for("publishing.publish_today")},
            "items": [{"label": _("%(title)s (due %(day)s) · to do: %(channels)s", title=r["post"].title,
                                  day=r["sub"].publish_day.isoformat(),
                                  channels="、".join(c.name for c in r["todo"]) or "—"),
                       "url": url_for("publishing.post_publications", post_id=r["post"].id),
                       "overdue": r["c8"]["overdue"],
                       "note": _("overdue (C8)") if r["c8"]["overdue"] else None}
                      for r in _queue_for(user)]}


@bp.route("/publish/today")
@requires("publish")
def publish_today():
    """The account administrator's one queue: every approved post not yet out, by due day, the
    overdue first, with its channels still to do and the schedule form; then what is going out or
    went out today."""
    rows = _queue_for(current_user)
    going = _scheduled_posts(exclude={r["post"].id for r in rows})
    return render_template(
        "publishing/publish_today.html", rows=rows, going=going, today=workdays.today(),
        publications={p.id: queries.publications_for(p) for p in [*(r["post"] for r in rows), *going]},
        may_schedule={r["post"].id: policy.can_schedule(current_user, r["post"]) for r in rows},
        may_override={r["post"].id: policy.can_override_day(current_user, r["post"].channels) for r in rows},
        schedule_form_obj=ScheduleForm(formdata=None))


def _publishing_channels():
    """Channels the current user publishes on (global or channel-scoped "publish")."""
    return [c for c in service.channels() if channels_policy.can_publish_on(current_user, c)]


@bp.route("/channels/dashboard")
@requires("publish")
def dashboard():
    """Today's queue, what is in flight (each step's progress), failures and this period's pushes."""
    channels = _publishing_channels()
    ids = [c.id for c in channels]
    pushes = {c.id: queries.pushes_used(c) for c in channels if c.platform == "wechat"}
    return render_template("publishing/dashboard.html", channels=channels, pushes=pushes,
                           queue=queries.queue_today(ids), flight=queries.in_flight(ids),
                           failures=queries.failures(ids), done=queries.published_today(ids),
                           bundle_list=bundles.bundles_for(ids), bundle_state=bundles.state,
                           action=ActionForm(), now=workdays.now(), labels=LABELS)


def _post_page(post, form=None, status=200):
    from cms.workflow.queries import active_submission

    sub = active_submission(post)
    pubs = queries.publications_for(post, all_generations=True)
    return render_template("publishing/post.html", post=post, sub=sub, pubs=pubs,
                           latest={p.id for p in queries.publications_for(post)},
                           form=form or ScheduleForm(formdata=None), action=ActionForm(),
                           may_schedule=policy.can_schedule(current_user, post) and post.status in ("approved",
                                                                                                    "scheduled"),
                           may_override=policy.can_override_day(current_user, post.channels),
                           may_retry={p.id: channels_policy.can_publish_on(current_user, p.channel) for p in pubs},
                           labels=LABELS, today=workdays.today()), status


@bp.route("/channels/posts/<int:post_id>/publications")
@requires(SELF)  # whoever may see the post (content.get_post answers 404 to others)
def post_publications(post_id: int):
    from cms.content.service import get_post

    return _post_page(get_post(current_user, post_id))


@bp.route("/channels/posts/<int:post_id>/schedule", methods=["POST"])
@requires(SELF)  # scheduling.schedule decides: the channels' account administrator, or the supervisor
def schedule(post_id: int):
    from cms.content.service import get_post

    post = get_post(current_user, post_id)
    form = ScheduleForm()
    if not form.validate_on_submit():
        return _post_page(post, form, 400)
    at = form.when(workdays.zone(), workdays.today())
    if at is False:
        flash(_("The post was not scheduled: correct the time."), "danger")
        return _post_page(post, form, 400)
    try:
        pubs = scheduling.schedule(current_user, post, at, form.override_reason.data)
    except Refused as e:
        flash(e.message, "danger")  # the whole reason, and beside the fields it names
        for name, messages in (e.fields or {}).items():
            field = getattr(form, {"at": "day" if form.day.data else "time"}.get(name, name), None)
            if field is not None and hasattr(field, "errors"):
                field.errors = [*field.errors, *(str(m) for m in messages)]
        return _post_page(post, form, e.status)
    when = pubs[0].due_at
    if at is None:
        flash(_("「%(title)s」 is going out now on %(channels)s.", title=post.title,
                channels="、".join(p.channel.name for p in pubs)), "success")
    else:
        flash(_("「%(title)s」 is scheduled for %(time)s (%(tz)s) on %(channels)s.", title=post.title,
                time=workdays.local(when).strftime("%Y-%m-%d %H:%M"), tz=zone_name(current_app.config["TIMEZONE"]),
                channels="、".join(p.channel.name for p in pubs)), "success")
    return redirect(safe_next(form.next.data) or url_for("publishing.post_publications", post_id=post.id))


@bp.route("/channels/publications/<int:publication_id>/retry", methods=["POST"])
@requires("publish")
def retry(publication_id: int):
    from cms.content.service import get_post

    pub = queries.get_publication(publication_id)
    post = get_post(current_user, pub.post_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        scheduling.retry(current_user, pub)
    except Refused as e:
        flash(e.message, "danger")
        return _post_page(post, status=e.status)
    flash(_("%(channel)s: publishing again.", channel=pub.channel.name), "success")
    return redirect(safe_next(request.form.get("next")) or url_for("publishing.post_publications", post_id=post.id))
@bp.route("/posts/<int:post_id>/preview-to-phone", methods=["POST"])
@requires(SELF)
def preview_to_phone(post_id: int):
    """Send the current revision to the reviewer's own WeChat (message/mass/preview)."""
    post = content.get_post(current_user, post_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        send_preview(current_user, post)
    except Refused as e:
        flash(e.message, "danger")
    else:
        flash(_("Sent to your WeChat (%(id)s): open it on your phone.", id=current_user.wechat_id), "success")
    return redirect(url_for("workflow.review", post_id=post_id))


from cms.publishing import bundle_views  # noqa: E402,F401  (the 多图文 pages, on this blueprint)
