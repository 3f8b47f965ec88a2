"""`flask cms ...`: init, demo, user, token, audit-verify, backup, restore, worker, sandbox, channel."""
from __future__ import annotations

import gc
import sys

import click
from flask import current_app
from flask.cli import AppGroup
from flask_migrate import upgrade

from cms.errors import Refused
from cms.extensions import db

cms_cli = AppGroup("cms", help="Manage the CMS.")


def _fail(e: Refused):
    db.session.rollback()
    raise click.ClickException(e.message)


@cms_cli.command("init")
@click.option("--username", default="admin", show_default=True)
@click.option("--real-name", default="系统管理员", show_default=True)
@click.option("--password", envvar="CMS_INIT_PASSWORD", help="Prompted for when not given.")
def init(username, real_name, password):
    """Apply migrations and create the first sysadmin (if there is no user yet)."""
    from sqlalchemy import func, select

    from cms.auth import service
    from cms.auth.models import Department, User

    upgrade()
    if db.session.scalar(select(func.count(User.id))):
        click.echo("Database migrated; users exist already.")
        return
    if not password:
        password = click.prompt("Password for the first sysadmin", hide_input=True, confirmation_prompt=True)
    top = db.session.scalar(select(Department).where(Department.parent_id.is_(None)))
    try:
        if top is None:
            top = service.create_department("公司", None, "group")
        service.create_user(username=username, real_name=real_name, department_id=top.id,
                            title="系统管理员", roles=[("sysadmin", None, None)], password=password,
                            must_change=False)
    except Refused as e:
        _fail(e)
    click.echo(f"Created sysadmin {username}.")


@cms_cli.command("demo")
def demo():
    """Load the demo company (idempotent) and print each login as `username  password`."""
    from cms import demo as demo_data

    for username, password in demo_data.load():
        click.echo(f"{username}  {password}")


user_cli = AppGroup("user", help="Manage users.")
cms_cli.add_command(user_cli)


@user_cli.command("create")
@click.argument("username")
@click.option("--real-name", required=True)
@click.option("--department", "department_id", type=int, required=True, help="Department id.")
@click.option("--title", default="")
@click.option("--phone", default="")
@click.option("--hire-date", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--role", "roles", multiple=True, help="role, or role@department:ID / role@channel:ID.")
def user_create(username, real_name, department_id, title, phone, hire_date, roles):
    """Create a user and print the initial password."""
    from cms.auth import service

    try:
        parsed = [service.parse_role(r, department_id) for r in roles]
        user, password = service.create_user(
            username=username, real_name=real_name, department_id=department_id, title=title, phone=phone,
            hire_date=hire_date.date() if hire_date else None, roles=parsed)
    except Refused as e:
        _fail(e)
    click.echo(f"Created {user.username}; initial password (change at first login):")
    click.echo(password)


@user_cli.command("roles")
@click.argument("username")
@click.argument("roles", nargs=-1)
def user_roles(username, roles):
    """Set USERNAME's roles to ROLES (none given: print them)."""
    from cms.auth import service

    try:
        user = service.get_by_username(username)
        if roles:
            service.set_roles(user, [service.parse_role(r, user.department_id) for r in roles])
    except Refused as e:
        _fail(e)
    for r in user.roles:
        click.echo(service.role_key(r))


@user_cli.command("lock")
@click.argument("username")
@click.option("--reason", default="")
def user_lock(username, reason):
    """Lock an account at once (U3): sessions and tokens stop."""
    from cms.auth import service

    try:
        service.lock(service.get_by_username(username), reason)
    except Refused as e:
        _fail(e)
    click.echo(f"Locked {username}.")


@user_cli.command("depart")
@click.argument("username")
@click.option("--date", "leave_date", type=click.DateTime(["%Y-%m-%d"]), help="Default: today.")
@click.option("--confirmed-by", required=True, help="The administrator confirming it (U4).")
def user_depart(username, leave_date, confirmed_by):
    """Mark USERNAME departed: logins and tokens stop at once (U4)."""
    from cms import workdays
    from cms.auth import service

    try:
        service.depart(service.get_by_username(username),
                       leave_date.date() if leave_date else workdays.today(),
                       confirmed_by=service.get_by_username(confirmed_by))
    except Refused as e:
        _fail(e)
    click.echo(f"{username} departed.")


@cms_cli.command("directory-sync")
def directory_sync():
    """Depart everyone the WeCom directory says has left (U4), as the daily task does."""
    from cms.auth.directory import sync_departures

    report = sync_departures()
    for name in report.departed:
        click.echo(f"departed {name} (confirmed by {report.admin})")
    for name in report.not_found:
        click.echo(f"not in the WeCom directory: {name}")
    for name, why in report.refused:
        click.echo(f"not checked: {name}: {why}")
    click.echo(f"{report.checked} checked, {len(report.departed)} departed.")
    if report.error:
        raise click.ClickException(report.error)


@cms_cli.command("token")
@click.argument("username")
@click.option("--name", default="cli")
def token(username, name):
    """Make an API token for USERNAME; the token alone is printed on the last line."""
    from cms.auth import service

    try:
        value = service.create_token(service.get_by_username(username), name)
    except Refused as e:
        _fail(e)
    click.echo(f"API token for {username} (shown once; only its hash is kept):")
    click.echo(value)


@cms_cli.command("audit-verify")
def audit_verify():
    """Walk the audit chain; name the first broken link (U7)."""
    from cms.audit.service import verify

    checked, broken = verify()
    if broken is not None:
        click.echo(f"BROKEN: the chain breaks at entry {broken} (after {checked - 1} good entries).")
        sys.exit(1)
    click.echo(f"OK: {checked} entries, chain intact.")


@cms_cli.command("purge-messages")
def purge_messages():
    """Delete follower messages past CMS_FOLLOWER_MESSAGE_RETENTION_DAYS (the daily task does it too;
    audited with the counts, never the words)."""
    from cms.followers import operations

    counts = operations.purge()
    click.echo(f"Deleted {sum(counts.values())} follower messages in {len(counts)} channels.")


@cms_cli.command("fetch-figures")
@click.option("--days", type=click.IntRange(1, 60), default=None, help="Days up to yesterday (default CMS_FOLLOWER_FIGURES_DAYS).")
def fetch_figures(days):
    """Fetch the platform's figures (datacube) of every WeChat channel (the daily task does it too)."""
    from cms.followers import operations

    for channel_id, result in operations.fetch_all_figures(days).items():
        click.echo(f"channel {channel_id}: {result}")


def _with_bar(label: str, run):
    from cms import backup as b

    with click.progressbar(length=b.STEPS, label=label, show_pos=True, item_show_func=lambda x: x) as bar:
        def step(name):
            bar.current_item = name
            bar.update(1)

        try:
            return run(step)
        except b.BackupError as e:
            raise click.ClickException(str(e)) from None


@cms_cli.command("backup")
@click.argument("dest", type=click.Path(dir_okay=False, writable=True))
def backup_cmd(dest):
    """Write a consistent copy of the database (images included), the instance keys and a manifest
    to DEST (.tar.gz), while the app runs. Keep it as secret as the keys."""
    from cms import backup as b

    manifest = _with_bar("Backing up", lambda step: b.backup(dest, step))
    click.echo(f"Backed up to {dest}: " + ", ".join(f"{k} {v}" for k, v in manifest["counts"].items()))


@cms_cli.command("restore")
@click.argument("src", type=click.Path(exists=True, dir_okay=False))
def restore_cmd(src):
    """Bring a backup (flask cms backup) back into this EMPTY instance (refused when it holds data)."""
    from cms import backup as b

    manifest = _with_bar("Restoring", lambda step: b.restore(src, step))
    click.echo(f"Restored {src} (made {manifest['created_at']}): "
               + ", ".join(f"{k} {v}" for k, v in manifest["counts"].items()))
    click.echo("The keys are in the instance folder; when CMS_SECRET_KEY / CMS_ENCRYPTION_KEYS are set, "
               "set them to the backed-up keys (keys.json in the archive)." if manifest["keys_in_environment"]
               else "The instance keys are restored: start the app.")


@cms_cli.command("worker")
@click.option("--workers", default=2, show_default=True)
def worker(workers):
    """Run a Huey consumer (background jobs and the periodic sweep)."""
    from cms.tasks import bind_app, huey

    bind_app(current_app._get_current_object())
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True,
                                    initial_delay=0.05, backoff=1.1, max_delay=0.25)
    # What is loaded by now (the app, its models, the libraries: some 160,000 objects) lives as long
    # as the process: out of the collector's sight, a full collection no longer walks all of it
    # (80-130 ms with every thread stopped, seen in the middle of a publishing run).
    gc.collect()
    gc.freeze()
    click.echo(f"Worker: {huey.__class__.__name__} with {workers} threads.")
    consumer.run()


@cms_cli.command("sandbox")
@click.option("--port", default=5001, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
def sandbox(port, host):
    """Serve the platform sandbox alone (its own state; /sandbox/ shows what it holds)."""
    from flask import Flask
    from werkzeug.serving import run_simple

    from cms.sandbox import create_sandbox_blueprint

    app = Flask("cms_sandbox")
    app.register_blueprint(create_sandbox_blueprint())
    base = f"http://{host}:{port}"
    click.echo(f"Sandbox on {base}/sandbox/ ; CMS_WECHAT_API_BASE_URL={base}/mp/cgi-bin/ "
               f"CMS_TOUTIAO_API_BASE_URL={base}/toutiao/open/v1/ CMS_WECHATPAY_API_BASE_URL={base}/mch/")
    run_simple(host, port, app, threaded=True, use_reloader=False)


@cms_cli.command("routes-permissions")
def routes_permissions():
    """List every endpoint with the permission it requires."""
    from cms.permissions import endpoint_permission, is_public

    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        perm = "public" if is_public(rule.endpoint) else endpoint_permission(current_app, rule.endpoint)
        click.echo(f"{rule.rule:50} {rule.endpoint:35} {perm}")




channel_cli = AppGroup("channel", help="Manage channels (secrets are read from a prompt or stdin, never printed).")
cms_cli.add_command(channel_cli)


def _read_secret(from_stdin: bool, prompt: str) -> str:
    if from_stdin:
        return click.get_text_stream("stdin").readline().strip()
    return click.prompt(prompt, hide_input=True, confirmation_prompt=True).strip()


@channel_cli.command("add")
@click.option("--name", required=True)
@click.option("--platform", type=click.Choice(["wechat", "toutiao", "website"]), required=True)
@click.option("--appid", "app_id", default="", help="WeChat AppID or Toutiao-style app_id.")
@click.option("--secret", "secret", default=None,
              help="The AppSecret (prefer --secret-stdin or the prompt: options end up in shell history).")
@click.option("--secret-stdin", is_flag=True, help="Read the AppSecret from the first line of stdin.")
@click.option("--callback-token", default="", help="WeChat server configuration token (optional).")
@click.option("--encoding-aes-key", default="", help="WeChat EncodingAESKey (optional).")
@click.option("--callback-mode", type=click.Choice(["", "safe", "compatible", "plaintext"]), default="",
              help="WeChat message encryption mode, as in the MP console (default: automatic, safe with an "
                   "EncodingAESKey, else plaintext).")
@click.option("--account-kind", type=click.Choice(["service", "subscription"]), default="service", show_default=True)
@click.option("--type", "channel_type", type=click.Choice(["brand", "sales", "employee_tools", "other"]),
              default="brand", show_default=True, help="C1")
@click.option("--audience", type=click.Choice(["employees", "partners", "public"]), default="public",
              show_default=True, help="C1")
@click.option("--level", type=click.Choice(["group", "subsidiary", "employee_interactive", "department"]),
              default="group", show_default=True, help="C2")
@click.option("--manager", default="", help="Username of the designated manager (C17; an account administrator).")
@click.option("--base-url", "api_base_url", default="", help="This channel's API base URL (default: the setting).")
@click.option("--slug", default="", help="Website channels: the feed name.")
@click.option("--push-quota", default="", help="Pushes per period (C18; default: the platform's).")
@click.option("--rotation-days", default="", help="Days between AppSecret changes (C17; default: the setting).")
def channel_add(name, platform, app_id, secret, secret_stdin, callback_token, encoding_aes_key, callback_mode, account_kind,
                channel_type, audience, level, manager, api_base_url, slug, push_quota, rotation_days):
    """Add a channel. The AppSecret is prompted for unless given."""
    from cms.auth import service as people
    from cms.channels import service

    if platform != "website" and secret is None:
        secret = _read_secret(secret_stdin, "AppSecret")
    try:
        manager_id = people.get_by_username(manager).id if manager else ""
        channel = service.create_channel({
            "name": name, "platform": platform, "app_id": app_id, "app_secret": secret or "",
            "callback_token": callback_token, "encoding_aes_key": encoding_aes_key, "callback_mode": callback_mode,
            "account_kind": account_kind,
            "channel_type": channel_type, "audience": audience, "level": level, "manager_id": manager_id,
            "api_base_url": api_base_url, "slug": slug, "push_quota": push_quota, "rotation_days": rotation_days,
        })
    except Refused as e:
        _fail(e)
    click.echo(f"Added channel {channel.id} {channel.name} ({channel.platform}); secrets stored encrypted.")


@channel_cli.command("list")
def channel_list():
    """List channels with their AppSecret's age (C17); never a secret."""
    from cms.channels import clients, service

    click.echo("ID\tNAME\tPLATFORM\tKIND\tTYPE\tAUDIENCE\tLEVEL\tAPPID\tMANAGER\tSECRET AGE\tBASE URL")
    for c in service.channels():
        age = service.secret_age_days(c)
        if c.platform == "website":
            secret_age = "-"
        elif not c.has_secret:
            secret_age = "NONE"
        else:
            secret_age = f"{age} days" if age is not None else "undated"
            if service.secret_overdue(c):
                secret_age += " OVERDUE (C17)"
        click.echo("\t".join(str(v) for v in (
            c.id, c.name, c.platform, c.account_kind if c.platform == "wechat" else "-", c.channel_type,
            c.audience, c.level, c.app_id or "-", c.manager.username if c.manager else "-", secret_age,
            clients.api_base_url(c) or "-") + (("inactive",) if not c.active else ())))


@channel_cli.command("rotate-secret")
@click.argument("name")
@click.option("--secret-stdin", is_flag=True, help="Read the new AppSecret from the first line of stdin.")
def channel_rotate_secret(name, secret_stdin):
    """Store NAME's new AppSecret (changed on the platform first) and restart its rotation date (C17)."""
    from cms import workdays
    from cms.channels import service

    try:
        channel = service.get_channel_by_name(name)
        service.rotate_secret(channel, _read_secret(secret_stdin, "New AppSecret"))
    except Refused as e:
        _fail(e)
    due = service.secret_due_at(channel)
    click.echo(f"AppSecret of {channel.name} rotated; next rotation due {workdays.local(due):%Y-%m-%d}.")
