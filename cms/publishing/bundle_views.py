"""多图文 pages on the channels blueprint: make a bundle for a WeChat channel (pick approved posts,
order them, the first is the headline; now or at a time today, C8), see a bundle's members and
their states, take it apart before it is sent. The rules are bundles.create / dissolve's."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cms import workdays
from cms.channels import policy as channels_policy
from cms.channels import service
from cms.channels.forms import LABELS, ActionForm
from cms.errors import Refused
from cms.publishing import bundles
from cms.publishing.forms import ScheduleForm
from cms.publishing.queries import pushes_used
from cms.publishing.views import bp
from cms.web import requires


def _publishing(channel):
    if not channels_policy.can_publish_on(current_user, channel):
        abort(403)
    return channel


def _order(post_ids: list[str]) -> list[int] | None:
    """The chosen posts in the order asked (order-<id> fields; ties keep the list's order)."""
    try:
        chosen = [int(i) for i in post_ids]
        keys = [int(request.form.get(f"order-{i}") or 99) for i in chosen]
    except ValueError:
        return None
    return [i for _k, _n, i in sorted(zip(keys, range(len(chosen)), chosen, strict=True))]


def _new_page(channel, form, status=200, chosen=()):
    return render_template("publishing/bundle_new.html", channel=channel, form=form,
                           candidates=bundles.candidates(channel), chosen=set(chosen),
                           order={int(k[6:]): v for k, v in request.form.items() if k.startswith("order-")
                                  and k[6:].isdigit()},
                           pushes=pushes_used(channel), today=workdays.today()), status


@bp.route("/channels/<int:channel_id>/bundles/new", methods=["GET", "POST"])
@requires("publish")
def bundle_new(channel_id: int):
    channel = _publishing(service.get_channel(channel_id))
    if channel.platform != "wechat":
        abort(404)
    form = ScheduleForm()
    if request.method == "GET":
        return _new_page(channel, ScheduleForm(formdata=None))
    chosen = request.form.getlist("posts")
    if not form.validate_on_submit():
        return _new_page(channel, form, 400, chosen)
    ids = _order(chosen)
    at = form.when(workdays.zone(), workdays.today())
    if ids is None or at is False:
        flash(_("The bundle was not made: correct the order numbers and the time."), "danger")
        return _new_page(channel, form, 400, chosen)
    try:
        bundle = bundles.create(current_user, channel, ids, at, form.override_reason.data)
    except Refused as e:
        flash(e.message, "danger")
        for message in (e.fields or {}).get("posts", [])[1:]:
            flash(str(message), "danger")
        return _new_page(channel, form, e.status, chosen)
    flash(_("多图文 of %(n)d posts scheduled for %(time)s (%(tz)s) on %(channel)s: one push.", n=len(ids),
            time=workdays.local(bundle.due_at).strftime("%Y-%m-%d %H:%M"), tz=current_app.config["TIMEZONE"],
            channel=channel.name), "success")
    return redirect(url_for("publishing.bundle_page", bundle_id=bundle.id))


def _bundle_page(bundle, status=200):
    return render_template("publishing/bundle.html", bundle=bundle, members=bundles.members(bundle),
                           state=bundles.state(bundle), action=ActionForm(), labels=LABELS), status


@bp.route("/channels/bundles/<int:bundle_id>")
@requires("publish")
def bundle_page(bundle_id: int):
    bundle = bundles.get(bundle_id)
    _publishing(bundle.channel)
    return _bundle_page(bundle)


@bp.route("/channels/bundles/<int:bundle_id>/dissolve", methods=["POST"])
@requires("publish")
def bundle_dissolve(bundle_id: int):
    bundle = bundles.get(bundle_id)
    _publishing(bundle.channel)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        bundles.dissolve(current_user, bundle)
    except Refused as e:
        flash(e.message, "danger")
        return _bundle_page(bundle, e.status)
    flash(_("The bundle was taken apart: its posts are approved and wait to be scheduled again."), "success")
    return redirect(url_for("publishing.dashboard"))
