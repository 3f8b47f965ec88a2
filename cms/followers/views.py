"""The follower pages (blueprint "followers", /followers): the inbox of each WeChat channel
(conversations by follower, newest first, the unanswered ones marked), a conversation with its
answer form (a customer-service message inside the 48-hour window, screened like a post: C15,
C16), and the figures page (the platform's reads, shares and followers, charts, CSV, "fetch
now"). The comment moderator of the channel (comment.moderate, globally or for the channel) sees
them; thin views: operations.py checks, sends and audits."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cms import exports, workdays
from cms.channels.models import Channel
from cms.errors import Refused
from cms.extensions import db
from cms.followers import operations, policy, queries, rules
from cms.followers.forms import AnswerForm, FetchForm
from cms.navigation import counted
from cms.web import requires

bp = Blueprint("followers", __name__)

MODERATE = "comment.moderate"
RANGE_MAX_DAYS = 366


def _channels() -> list[Channel]:
    return [c for c in queries.wechat_channels() if policy.can_view(current_user, c)]


def _channel(channel_id: int) -> Channel:
    channel = db.session.get(Channel, channel_id)
    if channel is None or channel.platform != "wechat":
        abort(404)
    if not policy.can_view(current_user, channel):
        abort(403)
    return channel


@counted("followers.inbox")
def _unanswered(user) -> int:
    if not user.holds(MODERATE):
        return 0
    return queries.unanswered_count([c.id for c in queries.wechat_channels() if policy.can_view(user, c)])


# --- inbox ---------------------------------------------------------------------------------------

@bp.route("/")
@requires(MODERATE)
def inbox():
    channels = _channels()
    channel_id = request.args.get("channel", type=int)
    channel = _channel(channel_id) if channel_id is not None else (channels[0] if channels else None)
    now = workdays.now()
    return render_template("followers/inbox.html", channels=channels, channel=channel, now=now,
                           conversations=queries.conversations(channel.id) if channel else [])


def _conversation_page(channel: Channel, openid: str, form: AnswerForm | None = None, warnings=None,
                       status: int = 200):
    messages = queries.messages(channel.id, openid)
    if not messages:
        abort(404)
    last_in = queries.last_message_at(channel.id, openid)
    now = workdays.now()
    return render_template("followers/conversation.html", channel=channel, openid=openid, messages=messages,
                           form=form or AnswerForm(), now=now, window_open=rules.window_open(last_in, now),
                           closes_at=rules.window_closes_at(last_in), warnings=warnings or [],
                           can_answer=policy.can_answer(current_user, channel)), status


@bp.route("/<int:channel_id>/<string(maxlength=64):openid>")
@requires(MODERATE)
def conversation(channel_id: int, openid: str):
    return _conversation_page(_channel(channel_id), openid)


@bp.route("/<int:channel_id>/<string(maxlength=64):openid>/answer", methods=["POST"])
@requires(MODERATE)
def answer(channel_id: int, openid: str):
    channel = _channel(channel_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _conversation_page(channel, openid, form, status=400)
    try:
        operations.answer(current_user, channel, openid, form.text.data, confirmed=bool(form.confirm.data))
    except Refused as e:
        flash(e.message, "danger")  # the whole reason on top; the text stays in the form
        warnings = (e.fields or {}).get("confirm", []) if e.code == "C16" else []
        return _conversation_page(channel, openid, form, warnings=warnings, status=e.status)
    flash(_("The answer went out to the follower."), "success")
    return redirect(url_for("followers.conversation", channel_id=channel.id, openid=openid))


# --- figures -------------------------------------------------------------------------------------

def _range() -> tuple[date, date]:
    """The days asked for (?begin=&end=, YYYY-MM-DD), default the last 30 up to yesterday; at most
    a year; a day that does not parse is the default."""
    default_begin, default_end = rules.fetch_range(workdays.today(), 30)

    def parse(name, default):
        try:
            return date.fromisoformat(request.args.get(name, ""))
        except ValueError:
            return default

    begin, end = parse("begin", default_begin), parse("end", default_end)
    if end < begin:
        begin, end = end, begin
    if (end - begin).days >= RANGE_MAX_DAYS:
        begin = end - timedelta(days=RANGE_MAX_DAYS - 1)
    return begin, end


@bp.route("/figures")
@requires(MODERATE)
def figures():
    channels = _channels()
    channel_id = request.args.get("channel", type=int)
    channel = _channel(channel_id) if channel_id is not None else (channels[0] if channels else None)
    begin, end = _range()
    form = FetchForm(begin=begin, end=end)
    data = dict(channels=channels, channel=channel, begin=begin, end=end, form=form)
    if channel is not None:
        data.update(articles=queries.article_rows(channel.id, begin, end),
                    users=queries.user_days(channel.id, begin, end),
                    chart=queries.chart_data(channel.id, begin, end))
    return render_template("followers/figures.html", **data)


@bp.route("/figures/<int:channel_id>/fetch", methods=["POST"])
@requires(MODERATE)
def fetch(channel_id: int):
    channel = _channel(channel_id)
    form = FetchForm()
    if not form.validate_on_submit():  # a stale form (CSRF) or a day that does not parse: nothing fetched
        flash(_("The form could not be read: reload the page and try again."), "danger")
        return redirect(url_for("followers.figures", channel=channel.id)), 303
    default_begin, default_end = rules.fetch_range(workdays.today(), 7)
    begin, end = form.begin.data or default_begin, form.end.data or default_end
    if (end - begin).days >= 31:
        flash(_("Fetch at most 31 days at a time."), "danger")
        return redirect(url_for("followers.figures", channel=channel.id, begin=begin.isoformat(),
                                end=end.isoformat())), 303
    try:
        result = operations.fetch_figures(channel, begin, end, user=current_user)
    except Refused as e:
        flash(e.message, "danger")
    else:
        flash(_("Figures fetched: %(a)d article rows, %(u)d days of followers.", a=result["article_rows"],
                u=result["user_days"]), "success")
    return redirect(url_for("followers.figures", channel=channel.id, begin=begin.isoformat(), end=end.isoformat()))


def _csv(name: str, header: list[str], rows) -> Response:
    # cms/exports.py: BOM for Excel, formula-looking cells neutralised
    return Response(exports.csv_text(header, rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@bp.route("/figures/<int:channel_id>/articles.csv")
@requires(MODERATE)
def articles_csv(channel_id: int):
    channel = _channel(channel_id)
    begin, end = _range()
    rows = ([f.ref_date.isoformat(), f.msgid, f.title, f.read_user, f.read_count, f.share_user, f.share_count,
             f.fav_user] for f in queries.article_days(channel.id, begin, end))
    return _csv(f"articles-{channel.id}-{begin}-{end}.csv",
                [_("Date"), "msgid", _("Article title"), _("Readers"), _("Reads"), _("Sharers"), _("Shares"),
                 _("Saved by")], rows)


@bp.route("/figures/<int:channel_id>/users.csv")
@requires(MODERATE)
def users_csv(channel_id: int):
    channel = _channel(channel_id)
    begin, end = _range()
    rows = ([u.ref_date.isoformat(), u.new_user, u.cancel_user, u.new_user - u.cancel_user,
             "" if u.cumulate_user is None else u.cumulate_user] for u in queries.user_days(channel.id, begin, end))
    return _csv(f"users-{channel.id}-{begin}-{end}.csv",
                [_("Date"), _("New followers"), _("Unfollowed"), _("Net"), _("Followers in all")], rows)
