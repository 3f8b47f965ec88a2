"""The CMS through which a company runs its WeChat official accounts under its own rules."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Request, g, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException

from cms import config as default_config
from cms.extensions import babel, bootstrap, csrf, db, login_manager, migrate

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


class TextRequest(Request):
    """Form fields reach the views without NUL characters: PostgreSQL cannot store one in text and
    no user means one (it comes with pasted binary); the rest of what was typed is kept."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        form = self.__dict__.get("form")
        if form is not None and any("\x00" in v for _k, v in form.items(multi=True)):
            self.__dict__["form"] = ImmutableMultiDict(
                [(k, v.replace("\x00", "")) for k, v in form.items(multi=True)])


def create_app(config: dict | None = None) -> Flask:
    # CMS_INSTANCE_PATH: another instance folder (keys, SQLite files) than ./instance (an absolute path)
    app = Flask(__name__, instance_path=os.environ.get("CMS_INSTANCE_PATH") or None, instance_relative_config=True)
    app.request_class = TextRequest  # no NUL in form text (PostgreSQL refuses it: a 500, the input lost)
    from cms.dbtypes import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter  # ids past what the database holds: 404, not 500
    app.config.from_object(default_config)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("CMS")
    if config:
        app.config.update(config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'cms.db'}"

    from cms import keys

    keys.private_sqlite(app.config["SQLALCHEMY_DATABASE_URI"])  # mode 0600 when created
    app.config["SECRET_KEY"] = keys.secret_key(app.config, app.instance_path)
    app.config["ENCRYPTION_KEYS"] = keys.encryption_keys(app.config, app.instance_path)

    from cms.content import image_limits

    # Process-wide (Pillow's own limit and the decode slots are): the last app configured wins.
    image_limits.configure(max_pixels=app.config["IMAGE_MAX_PIXELS"],
                     decode_concurrency=app.config["IMAGE_DECODE_CONCURRENCY"])

    from cms import web
    from cms.audit import origin

    origin.provide(web.request_origin)  # who acts and from where, for services (no Flask globals there)

    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        # Behind N proxies: the browser's address from X-Forwarded-For, so the per-IP throttle (U3)
        # and the audit trail do not see every login as the proxy's.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    # Babel reads zh_CN as zh_Hans_CN, its canonical name: the catalogue lives under that name.
    babel.init_app(app, locale_selector=lambda: "zh_CN",
                   timezone_selector=lambda: app.config["TIMEZONE"])
    bootstrap.init_app(app)

    _import_models()
    _login(app)
    _blueprints(app)
    _errors(app)
    _templates(app)

    from cms.cli import cms_cli

    app.cli.add_command(cms_cli)
    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """Foreign keys on every SQLite connection, WAL for readers beside a writer."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()


def _import_models() -> None:
    import cms.archive.models  # noqa: F401
    import cms.audit.models  # noqa: F401
    import cms.auth.models  # noqa: F401
    import cms.callbacks.models  # noqa: F401
    import cms.channels.models  # noqa: F401
    import cms.comments.models  # noqa: F401
    import cms.content.models  # noqa: F401
    import cms.followers.models  # noqa: F401
    import cms.groups.models  # noqa: F401  (cms.groups registers its cms/auth hooks)
    import cms.groups.wecom_sync  # noqa: F401  (GroupChat)
    import cms.holidays.models  # noqa: F401
    import cms.notify.models  # noqa: F401
    import cms.payments.models  # noqa: F401
    import cms.publishing.models  # noqa: F401
    import cms.site.models  # noqa: F401
    import cms.violations.models  # noqa: F401
    import cms.workflow.models  # noqa: F401


def _login(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_token: str):
        # The session lasts while its server-side row is open: logout, a password change, a lock or
        # a departure ends it, wherever the cookie was copied to (U3 U4).
        from cms.auth import sessions

        return sessions.load(session_token)


def _blueprints(app: Flask) -> None:
    from cms.admin.views import bp as admin_bp
    from cms.api import bp as api_bp
    from cms.archive.views import bp as archive_bp
    from cms.audit.views import bp as audit_bp
    from cms.auth.views import bp as auth_bp
    from cms.callbacks.views import bp as callbacks_bp
    from cms.channels.views import bp as channels_bp
    from cms.comments.views import bp as comments_bp
    from cms.content.views import bp as content_bp
    from cms.followers.views import bp as followers_bp
    from cms.groups.views import bp as groups_bp
    from cms.holidays.views import bp as holidays_bp
    from cms.main.views import bp as main_bp
    from cms.notify.views import bp as notify_bp
    from cms.payments.views import bp as payments_bp
    from cms.publishing.views import bp as publishing_bp
    from cms.publishing.withdrawal_views import bp as withdrawals_bp
    from cms.site.views import bp as site_bp
    from cms.violations.views import bp as violations_bp
    from cms.workflow.views import bp as workflow_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(holidays_bp, url_prefix="/admin/holidays")
    app.register_blueprint(audit_bp, url_prefix="/audit")
    app.register_blueprint(channels_bp, url_prefix="/channels")  # channel administration
    app.register_blueprint(publishing_bp)  # /channels/dashboard, /channels/posts/<id>/..., /posts/<id>/preview-to-phone
    app.register_blueprint(withdrawals_bp)  # /posts/<id>/withdrawals, /withdrawals/<id>/...
    app.register_blueprint(content_bp)
    app.register_blueprint(comments_bp, url_prefix="/comments")  # moderators: follower comments (C16)
    app.register_blueprint(groups_bp, url_prefix="/groups")  # work groups (G1-G12)
    app.register_blueprint(notify_bp, url_prefix="/notifications")
    app.register_blueprint(payments_bp, url_prefix="/payments")  # WeChat Pay (seed §9, P1-P7)
    app.register_blueprint(workflow_bp)
    app.register_blueprint(archive_bp, url_prefix="/archive")
    app.register_blueprint(followers_bp, url_prefix="/followers")  # follower messages and figures (issue 15)
    app.register_blueprint(violations_bp, url_prefix="/violations")  # G10 U8
    app.register_blueprint(site_bp)  # public: /p/<slug> and /feeds/<slug>.xml
    app.register_blueprint(callbacks_bp)  # public: WeChat → us, signed (its view is CSRF-exempt)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    csrf.exempt(api_bp)  # bearer tokens only, no cookies: nothing to forge
    if app.config.get("SANDBOX"):
        # The platform emulators (WECHAT_API.md), on loopback in `make run` and the tests only.
        from cms.sandbox import create_sandbox_blueprint

        app.register_blueprint(create_sandbox_blueprint())


def _errors(app: Flask) -> None:
    from cms.errors import Refused

    def wants_json() -> bool:
        return request.path.startswith("/api/")

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        if wants_json():
            from cms.api.errors import http_error_response

            return http_error_response(e, _http_code(e.code), _http_message(e.code))
        template = f"errors/{e.code}.html" if e.code in (403, 404, 500) else "errors/generic.html"
        return render_template(template, error=e, message=_http_message(e.code)), e.code

    @app.errorhandler(Refused)
    def refused(e: Refused):
        db.session.rollback()  # nothing half-done is committed later by accident
        if wants_json():
            from cms.api.errors import refused_response

            return refused_response(e)
        return render_template("errors/generic.html", error=e, message=e.message), e.status

    @app.errorhandler(Exception)
    def crash(e: Exception):
        app.logger.exception("unhandled error on %s", request.path)
        db.session.rollback()
        if wants_json():
            from cms.api.errors import error_response

            return error_response(500, "server_error", _("Something went wrong on our side."))
        return render_template("errors/500.html"), 500

    @app.after_request
    def security_headers(response):
        # Every response, sandbox pages and error pages too (see CONTENT_SECURITY_POLICY).
        if app.config.get("CONTENT_SECURITY_POLICY"):
            response.headers.setdefault("Content-Security-Policy", app.config["CONTENT_SECURITY_POLICY"])
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response



def _http_code(status: int) -> str:
    return {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
            405: "method_not_allowed", 409: "conflict", 413: "too_large", 422: "invalid",
            429: "too_many_requests"}.get(status, "error")


def _http_message(status: int) -> str:
    messages = {
        400: _("The request was malformed."),
        401: _("Log in first."),
        403: _("You do not have permission for this page."),
        404: _("This page does not exist."),
        405: _("This action is not allowed here."),
        413: _("The upload is too large."),
        429: _("Too many requests. Try again later."),
    }
    return messages.get(status, _("Something went wrong."))


def _templates(app: Flask) -> None:
    from cms import workdays
    from cms.navigation import navigation

    @app.template_filter("localtime")
    def localtime(dt, fmt="%Y-%m-%d %H:%M"):
        if dt is None:
            return ""
        return workdays.local(dt).strftime(fmt)

    from cms.labels import label

    app.add_template_filter(label, "label")
    from cms.permissions import role_label

    app.add_template_filter(role_label, "role_label")
    from cms import ui

    ui.init_app(app)  # person, user_roles, policy_ref

    # One policy per kind of object (issue 13): templates ask `can("clear_confidential", post)`.
    import cms.audit.policy  # noqa: F401  (each registers its kinds)
    import cms.auth.policy  # noqa: F401
    import cms.content.policy  # noqa: F401
    import cms.groups.policy  # noqa: F401
    import cms.payments.policy  # noqa: F401
    import cms.publishing.policy  # noqa: F401
    import cms.violations.policy  # noqa: F401
    import cms.workflow.policy  # noqa: F401
    from cms.web import template_can

    app.add_template_global(template_can, "can")
    app.add_template_filter(lambda args: {k: v for k, v in args.items() if k != "page"}, "reject_page")
    app.add_template_filter(lambda args: {k: v for k, v in args.items() if k not in ("page", "after", "before")},
                            "reject_cursor")

    @app.context_processor
    def notifications():
        """The bell's unread count: one COUNT, only for a logged-in user."""
        if not current_user.is_authenticated:
            return {"unread_count": 0}
        from cms.notify.service import unread_count

        return {"unread_count": unread_count(current_user)}

    @app.context_processor
    def inject():
        return {
            "nav": navigation(current_user) if current_user.is_authenticated else [],
            "tz_name": ui.zone_name(app.config["TIMEZONE"]),
        }

    @app.before_request
    def password_gate():
        """An expired or reset password must be changed before anything else (U2)."""
        from flask import redirect, url_for

        from cms.auth.service import needs_password_change

        g.password_change_needed = False
        if (current_user.is_authenticated and request.blueprint not in ("api", "bootstrap")
                and request.endpoint not in ("auth.change_password", "auth.logout", "static")
                and needs_password_change(current_user)):
            g.password_change_needed = True
            return redirect(url_for("auth.change_password"))
        return None
