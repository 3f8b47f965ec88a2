"""Login, logout, password change, and the user's own profile with API tokens."""
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from cms.auth import service, sessions
from cms.auth.forms import ChangePasswordForm, LoginForm, TokenForm, WechatIdForm
from cms.auth.models import ApiToken
from cms.errors import Refused
from cms.extensions import db
from cms.permissions import SELF
from cms.web import flash_refusal, requires, safe_next

bp = Blueprint("auth", __name__)


def _begin_session(user) -> None:
    """Log `user` in on a new server-side session. Against session fixation nothing the browser
    brought survives: the Flask session is emptied (so Flask-WTF makes a new CSRF token at the
    next form; its per-request copy in g goes too) and the session token is new."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    sessions.begin(user, request.remote_addr or "", request.user_agent.string)
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = service.authenticate(form.username.data, form.password.data, request.remote_addr or "")
        except Refused as e:
            form.password.errors.append(e.message)
            return render_template("auth/login.html", form=form), e.status
        _begin_session(user)
        return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@requires(SELF)
def logout():
    service.record_logout(current_user)
    sessions.end(current_user.session_token, "logout")  # a copy of the cookie stops working too
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@requires(SELF)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            service.change_password(current_user, form.current.data, form.new.data)
        except Refused as e:
            flash_refusal(e, form, {"password": "new"})
        else:
            # Every session ended with the old password; this browser goes on in a new one.
            _begin_session(current_user._get_current_object())
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form,
                           policy=service.policy(), forced=service.needs_password_change(current_user)), \
        (400 if form.errors else 200)


@bp.route("/profile", methods=["GET", "POST"])
@requires(SELF)
def profile():
    form = TokenForm()
    wechat = WechatIdForm(prefix="wx", data={"wechat_id": current_user.wechat_id})
    new_token = None
    if wechat.save.data and wechat.validate_on_submit():
        try:
            service.set_wechat_id(current_user, wechat.wechat_id.data or "")
        except Refused as e:
            flash_refusal(e, wechat, {})
        else:
            flash(_("Your WeChat ID is saved: previews of drafts go there."), "success")
            return redirect(url_for("auth.profile"))
    elif form.submit.data and form.validate_on_submit():
        new_token = service.create_token(current_user, form.name.data)
        form = TokenForm(formdata=None)
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == current_user.id)
                                .order_by(ApiToken.id.desc())).all()
    return render_template("auth/profile.html", form=form, wechat=wechat, tokens=tokens, new_token=new_token), \
        (400 if form.errors or wechat.errors else 200)


@bp.route("/profile/tokens/<int:token_id>/revoke", methods=["POST"])
@requires(SELF)
def revoke_token(token_id: int):
    service.revoke_token(current_user, token_id)
    flash(_("The token has been revoked."), "success")
    return redirect(url_for("auth.profile"))
