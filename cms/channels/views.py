"""Channel administration (account administrators): the list, new and edit forms, AppSecret rotation
and "test connection" (C1 C2 C17 C18), each channel's theme (C10), and the C17 reminder panel."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from cms.articles.render import render_article, wrap_for_preview
from cms.articles.themes import theme_to_dict
from cms.channels import clients, service
from cms.channels.forms import LABELS, ActionForm, ChannelForm, RotateSecretForm, ThemeForm
from cms.errors import Refused
from cms.web import flash_refusal, requires, safe_next
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
        "base_url": clients.api_base_url(c),
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
    from cms.channels.callback_config import callback_url

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
