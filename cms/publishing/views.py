"""Channel administration (account administrators): the list, new and edit forms, AppSecret rotation
and "test connection" (C1 C2 C17 C18), and each channel's theme (C10). Publishing: the channel
dashboard (today's queue, in flight, failures, this period's pushes), a post's publications (each
channel's state, steps, remote ids, attempts, last error, retry) and scheduling (C4 C5 C8)."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from cms import workdays
from cms.articles.render import render_article, wrap_for_preview
from cms.articles.themes import theme_to_dict
from cms.channels import service
from cms.errors import Refused
from cms.extensions import db
from cms.permissions import SELF, requires
from cms.publishing import bundles, policy, queries, scheduling
from cms.publishing.forms import LABELS, ActionForm, ChannelForm, RotateSecretForm, ScheduleForm, ThemeForm
from cms.web import flash_refusal, safe_next
from cms.worklist import provider

bp = Blueprint("channels", __name__)

SAMPLE = """## 小标题示例

这是一段正文示例，用来查看字体、字号、颜色、行距和段落间距。[链接样式](https://example.com)

> 引用段落示例：重要的话引用出来。

- 列表第一项
- 列表第二项
"""


def _managed(channel_id: int):
    """The channel, if the current user manages it (a channel-scoped administrator only theirs)."""
    channel = service.get_channel(channel_id)
    if not service.can_manage(current_user, channel):
        abort(403)
    return channel


def _rows(channels) -> list[dict]:
    return [{
        "channel": c,
        "age": service.secret_age_days(c),
        "due": service.secret_due_at(c),
        "overdue": service.secret_overdue(c),
        "due_soon": service.secret_due_soon(c),
        "allowance": service.push_allowance(c) if c.platform == "wechat" else None,
        "base_url": service.api_base_url(c),
    } for c in channels]


@bp.route("/")
@requires("channel.manage")
def index():
    return render_template("channels/index.html", rows=_rows(service.managed_channels(current_user)),
                           labels=LABELS, action=ActionForm(), may_create=service.can_manage(current_user))


@bp.route("/new", methods=["GET", "POST"])
@requires("channel.manage")
def new():
    if not service.can_manage(current_user):
        abort(403)  # a channel-scoped administrator manages their channel, not new ones
    form = ChannelForm()
    form.set_managers(service.manager_candidates())
    status = 200
    if form.validate_on_submit():
        try:
            channel = service.create_channel(form.values(creating=True))
        except Refused as e:
            flash_refusal(e, form)
            status = 400
        else:
            flash(_("Channel %(name)s saved. Its secrets are stored encrypted and are not shown again.",
                    name=channel.name), "success")
            return redirect(url_for("channels.edit", channel_id=channel.id))
    elif request.method == "POST":
        status = 400
    elif not form.manager_id.data and current_user.id in {u.id for u in service.manager_candidates()}:
        form.manager_id.data = str(current_user.id)
    return render_template("channels/form.html", form=form, channel=None, labels=LABELS), status


def _edit_page(channel, form, rotate, status=200):
    from cms.callbacks.service import callback_url

    return render_template("channels/form.html", form=form, rotate=rotate, channel=channel, labels=LABELS,
                           row=_rows([channel])[0], action=ActionForm(),
                           callback_url=callback_url(channel) if channel.platform == "wechat" else None), status


@bp.route("/<int:channel_id>/edit", methods=["GET", "POST"])
@requires("channel.manage")
def edit(channel_id: int):
    channel = _managed(channel_id)
    form = ChannelForm()
    form.set_managers(service.manager_candidates())
    status = 200
    if form.validate_on_submit():
        try:
            service.update_channel(channel, form.values(creating=False))
        except Refused as e:
            db.session.rollback()
            flash_refusal(e, form)
            status = 400
        else:
            flash(_("Channel %(name)s saved.", name=channel.name), "success")
            return redirect(url_for("channels.edit", channel_id=channel.id))
    elif request.method == "POST":
        status = 400
    else:
        form.load(channel)
    return _edit_page(channel, form, RotateSecretForm(formdata=None), status)


@bp.route("/<int:channel_id>/rotate-secret", methods=["POST"])
@requires("channel.manage")
def rotate_secret(channel_id: int):
    channel = _managed(channel_id)
    rotate = RotateSecretForm()
    if rotate.validate_on_submit():
        if (rotate.new_secret.data or "") != (rotate.confirm.data or ""):
            rotate.confirm.errors = [_("The two entries differ.")]
        else:
            try:
                service.rotate_secret(channel, rotate.new_secret.data)
            except Refused as e:
                db.session.rollback()
                flash_refusal(e, rotate, {"app_secret": "new_secret"})
            else:
                flash(_("The AppSecret of %(name)s was changed. Test the connection to confirm it.",
                        name=channel.name), "success")
                return redirect(url_for("channels.edit", channel_id=channel.id))
    form = ChannelForm(formdata=None)
    form.set_managers(service.manager_candidates())
    form.load(channel)
    return _edit_page(channel, form, rotate, 400)


@bp.route("/<int:channel_id>/test", methods=["POST"])
@requires("channel.manage")
def test_connection(channel_id: int):
    channel = _managed(channel_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    ok, message = service.test_connection(channel)
    flash(_("%(name)s: %(answer)s", name=channel.name, answer=message), "success" if ok else "danger")
    return redirect(safe_next(request.form.get("next")) or url_for("channels.index"))


@bp.route("/<int:channel_id>/theme", methods=["GET", "POST"])
@requires("channel.manage")
def theme(channel_id: int):
    channel = _managed(channel_id)
    form = ThemeForm()
    status = 200
    if form.validate_on_submit():
        try:
            service.set_theme(channel, form.values())
        except Refused as e:
            flash_refusal(e, form)
            status = 400
        else:
            flash(_("Theme saved. Posts use it from their next save."), "success")
            return redirect(url_for("channels.theme", channel_id=channel.id))
    else:
        form.load(theme_to_dict(channel.theme_obj()))
    theme_obj = channel.theme_obj()
    sample = wrap_for_preview(render_article(SAMPLE, "markdown", theme_obj), _("Sample title"), _("Author"), theme_obj)
    return render_template("channels/theme.html", channel=channel, form=form, sample=sample), status


@bp.before_app_request
def _sandbox_knows_the_channels():
    """With the sandbox mounted (make run), its in-memory accounts are made from the channels at this
    process's first request, before the sandbox answers any call."""
    app = current_app._get_current_object()
    if "sandbox" not in app.extensions or app.extensions.get("cms_sandbox_accounts"):
        return
    app.extensions["cms_sandbox_accounts"] = True
    try:
        service.register_sandbox_accounts(app)
    except SQLAlchemyError:  # not migrated yet: the sandbox makes accounts on first use instead
        db.session.rollback()
        app.logger.warning("sandbox: could not read the channels", exc_info=True)


@provider
def _channel_secrets(user):
    """C17: AppSecrets overdue or due soon, for the administrators of those channels, and for
    system administrators (who remind the designated manager)."""
    from cms.auth.policy import can_manage_users

    admin = user.holds("channel.manage")  # whether to look; can_manage asks each channel
    sysadmin = can_manage_users(user)
    if not admin and not sysadmin:
        return None
    items = []
    for c in service.overdue_channels():
        mine = service.can_manage(user, c)
        if not mine and not sysadmin:
            continue
        overdue = service.secret_overdue(c)
        manager = f"{c.manager.real_name}（{c.manager.username}）" if c.manager else _("no manager named")
        label = (_("Channel %(name)s: the AppSecret is overdue for rotation (C17); manager %(manager)s.",
                   name=c.name, manager=manager) if overdue else
                 _("Channel %(name)s: the AppSecret is due for rotation soon (C17); manager %(manager)s.",
                   name=c.name, manager=manager))
        if mine:
            url = url_for("channels.edit", channel_id=c.id)
        elif c.manager_id:
            url = url_for("admin.user_edit", user_id=c.manager_id)
        else:
            url = url_for("admin.users")
        items.append({"label": label, "url": url, "due": service.secret_due_at(c), "overdue": overdue})
    return {"title": _("Channel credentials"), "items": items,
            "empty": _("Every channel's AppSecret is within its rotation period.")}


# --- publishing ----------------------------------------------------------------------------------

STATE_BADGES = {"scheduled": "secondary", "sending": "info", "submitted": "primary", "published": "success",
                "failed": "danger", "cancelled": "dark", "withdrawn": "warning", "removed_by_platform": "warning"}


class _OutboxPages:
    """What templates outside this blueprint ask of the outbox (the publish-today page)."""

    badges = STATE_BADGES

    @staticmethod
    def publications(post):
        return queries.publications_for(post)

    @staticmethod
    def scheduled_posts():
        """Posts scheduled or partly out whose publications are today's business (they leave the
        approved queue once scheduled)."""
        from cms.content.models import Post

        seen, posts = set(), []
        for pub in [*queries.queue_today(), *queries.in_flight(), *queries.failures(days=1), *queries.published_today()]:
            if pub.post_id not in seen:
                seen.add(pub.post_id)
                posts.append(db.session.get(Post, pub.post_id))
        return posts

    @staticmethod
    def schedule_form():
        return ScheduleForm(formdata=None)

    @staticmethod
    def may_schedule(post):
        return policy.can_schedule(current_user, post)


@bp.app_context_processor
def _outbox_pages():
    return {"outbox_pages": _OutboxPages, "state_badges": STATE_BADGES}


def _publishing_channels():
    """Channels the current user publishes on (global or channel-scoped "publish")."""
    return [c for c in service.channels() if policy.can_publish_on(current_user, c)]


@bp.route("/dashboard")
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
                           may_retry={p.id: policy.can_publish_on(current_user, p.channel) for p in pubs},
                           labels=LABELS, today=workdays.today()), status


@bp.route("/posts/<int:post_id>/publications")
@requires(SELF)  # whoever may see the post (content.get_post answers 404 to others)
def post_publications(post_id: int):
    from cms.content.service import get_post

    return _post_page(get_post(current_user, post_id))


@bp.route("/posts/<int:post_id>/schedule", methods=["POST"])
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
        db.session.rollback()
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
                time=workdays.local(when).strftime("%Y-%m-%d %H:%M"), tz=current_app.config["TIMEZONE"],
                channels="、".join(p.channel.name for p in pubs)), "success")
    return redirect(safe_next(form.next.data) or url_for("channels.post_publications", post_id=post.id))


@bp.route("/publications/<int:publication_id>/retry", methods=["POST"])
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
        db.session.rollback()
        flash(e.message, "danger")
        return _post_page(post, status=e.status)
    flash(_("%(channel)s: publishing again.", channel=pub.channel.name), "success")
    return redirect(safe_next(request.form.get("next")) or url_for("channels.post_publications", post_id=post.id))
from cms.publishing import bundle_views  # noqa: E402,F401  (the 多图文 pages, on this blueprint)
