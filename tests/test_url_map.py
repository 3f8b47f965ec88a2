"""Every endpoint of the URL map has its case, and each case is a refusal a user would notice
(DESIGN.md: security by default; policy U6). Nothing is skipped:

- anonymous: refused (the login page; 401 JSON under /api/v1) everywhere but PUBLIC, where each
  entry says why it answers without a login and what a visitor gets there;
- an endpoint declaring a permission: 403 to a demo user who lacks it (found from ROLE_PERMISSIONS);
- an endpoint open to any active user (SELF): refused to a closed account, and, per SELF_CASES,
  to a user outside the object's scope (a post they may not see: 404, as for a missing one; a
  channel they do not run: 403; someone else's notification or token: 404), changing nothing.

A route added later with no case here fails test_every_endpoint_has_a_case, which says what to add.
"""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.routing.converters import IntegerConverter

from cms.permissions import (
    PUBLIC_BLUEPRINTS,
    PUBLIC_ENDPOINTS,
    ROLE_PERMISSIONS,
    SELF,
    endpoint_permission,
    is_public,
)
from tests.conftest import login

# --- the cases -------------------------------------------------------------------------------------

# Answers without a login: endpoint -> (why, method, path, status a visitor gets, text in the page).
PUBLIC = {
    "auth.login": ("the way in", "GET", "/login", 200, "用户名"),
    "static": ("our CSS and scripts, needed by the login page", "GET", "/static/cms.css", 200, None),
    "bootstrap.static": ("Bootstrap's CSS and scripts, needed by the login page", "GET",
                         "/bootstrap/static/js/bootstrap.min.js", 200, None),
    "main.healthz": ("the load balancer's and the monitor's probe", "GET", "/healthz", 200, None),
    "main.favicon": ("the browser asks every site for its icon, logged in or not", "GET", "/favicon.ico", 200, "<svg"),
    "api.openapi": ("the API's description, for client generators", "GET", "/api/v1/openapi.json", 200, "openapi"),
    "site.page": ("the website channel's published pages are the public site (unknown: 404)", "GET",
                  "/p/no-such-page", 404, None),
    "site.image": ("images of a live public page (any other: 404)", "GET", "/p/no-such-page/images/1", 404, None),
    "site.feed": ("the public site's Atom feed", "GET", "/feeds/xinghai.xml", 200, "<feed"),
    "callbacks.wechat": ("WeChat calls it; it checks the channel token's signature instead (unsigned: 403)",
                         "POST", "/wechat/callback/1", 403, None),
}
# Whole blueprints without a login: the platform sandbox, mounted only with CMS_SANDBOX (never in
# production), which speaks the platforms' own token auth (tests/sandbox).
PUBLIC_BLUEPRINT_REASONS = {"sandbox": "the platforms' emulation, mounted only when CMS_SANDBOX is on"}

# How each SELF endpoint (any active user) is refused to someone besides a closed account.
OWN = "own"            # the user's own page or action only: a closed account is the one refused
LISTED = "listed"      # a list of what the user may see: a post they may not see is not in it
POST = "post"          # a post: 404 to a user who may not see it, and nothing changes
PUBLISHER = "publisher"  # as POST, and 403 to its author, who sees it but does not run its channels
CHANNEL = "channel"    # a channel's bundle: 403 to a user who does not run the channel
ASSET = "asset"        # an image: 404 to a user who may not see it
NOTIFICATION = "notification"  # someone else's notification: 404, and it stays unread
TOKEN = "token"        # someone else's API token: 404, and it keeps working
VIOLATION = "violation"  # a violation record or its evidence: 404 to whoever may not see it (G10)
GROUP = "group"        # a work group (its member, message): 404 to a user outside it (cms/groups/policy.py)
ACK = "ack"            # someone else's acknowledgement link (G11): 404, and nothing is acknowledged

SELF_CASES = {
    "main.home": OWN,
    "main.search": OWN,
    "main.policy_texts": OWN,  # the company rules' texts, the same for every user
    "workflow.bulk": OWN,  # per post: 404 for a post not seen, the author's side only (tests/workflow/test_bulk.py)  # results narrowed to what the user may see: tests/test_search_box.py
    "auth.logout": OWN,
    "auth.change_password": OWN,
    "auth.profile": OWN,
    "auth.revoke_token": TOKEN,
    "notify.index": OWN,
    "notify.read_all": OWN,
    "notify.unread_json": OWN,
    "notify.open_notification": NOTIFICATION,
    "api.me": OWN,
    "api.channels_list": OWN,
    # WeChat Pay (tests/payments): any employee files the application form (P3) and sees the accounts
    # (no credentials); payments are asked the payment policy (the custodian or an enabled payer, P1 P3).
    "api.payments_accounts": OWN,
    "api.payments_enrolments_create": OWN,
    "api.payments_create": OWN,
    "api.payments_list": OWN,
    "api.payments_execute": OWN,  # can_execute asked (404 to whoever may not see the payment)
    "api.payments_reports_create": OWN,  # P6: every employee
    "payments.index": OWN,  # the accounts (names only) and the user's own forms and payments
    "payments.enrol": OWN,
    "payments.report": OWN,  # P6: every employee reports
    "payments.request_account": OWN,  # policy.can_request_change decides (403 otherwise, tests/payments)
    # Each asks its object's policy (tests/payments/test_policy.py, test_pages.py): 403/404 outside it.
    "payments.account": OWN,
    "payments.new": OWN,
    "payments.payment": OWN,
    "payments.execute": OWN,
    "payments.manual": OWN,
    "payments.cancel": OWN,  # each channel asked can_target with its scope (tests/api/test_channels.py)
    "workflow.editorial_calendar": OWN,  # shows only what the user may see (tests/workflow)
    "content.live_preview": OWN,  # renders the form it is sent, nothing stored
    "content.posts": LISTED,
    "api.posts_list": LISTED,
    "content.post_view": POST,
    "content.post_edit": POST,
    "content.autosave": POST,
    "content.post_fix": POST,
    "content.post_restore": POST,
    "content.post_diff": POST,
    "content.post_preview": POST,
    "content.post_request_form": POST,
    "content.post_cover": POST,
    "content.asset": ASSET,
    "workflow.submit": POST,
    "workflow.withdraw": POST,
    "workflow.review": POST,
    "publishing.preview_to_phone": POST,
    "publishing.post_publications": POST,
    "publishing.schedule": PUBLISHER,
    "withdrawals.post_withdrawals": POST,
    "api.posts_get": POST,
    "api.posts_patch": POST,
    "api.posts_diff": POST,
    "api.posts_submit": POST,
    "api.posts_withdraw": POST,
    "api.posts_publications": POST,
    "api.posts_withdrawals_list": POST,
    "api.posts_schedule": PUBLISHER,
    "api.bundles_get": CHANNEL,
    "api.bundles_dissolve": CHANNEL,
    "api.channels_bundles_create": CHANNEL,
    "violations.index": OWN,  # lists only what the policy lets the user see (tests/violations)
    "violations.view": VIOLATION,
    "violations.evidence": VIOLATION,
    "groups.index": OWN,  # lists only the groups the user may see (tests/groups)
    "groups.tasks": OWN,  # only the tasks of groups the user may see (tests/groups)
    "api.groups_tasks": OWN,
    "groups.view": GROUP,
    "groups.add_member": GROUP,
    "groups.set_nickname": GROUP,
    "groups.remove_member": GROUP,
    "groups.end_work": GROUP,
    "groups.extend": GROUP,
    "groups.dissolve": GROUP,
    "groups.review": GROUP,
    "groups.wecom": GROUP,  # the group's WeCom chat (tests/groups/test_wecom_sync.py)
    "groups.new_message": GROUP,
    "groups.shirk": GROUP,
    "groups.ack": ACK,
    "groups.owner_ack": ACK,
    "api.groups_get": GROUP,
    "api.groups_add_member": GROUP,
}

# What a request sends where an empty body would be refused (400) before the permission is asked:
# endpoint -> a function of the objects' ids (form data on pages, JSON under /api/v1).
BODIES = {
    "publishing.schedule": lambda v: {"publish_now": "1"},
    "api.channels_bundles_create": lambda v: {"posts": [v["post_id"]]},
}

HOW_TO_ADD = (
    "each endpoint needs a case in tests/test_url_map.py: declare its permission with "
    "@requires(<permission>) (then a user without it must get 403); or, for @requires(SELF), add it to "
    "SELF_CASES with how a user outside its object's scope is refused; or, only if it must answer without "
    "a login, add it to PUBLIC_ENDPOINTS (cms/permissions.py) and to PUBLIC here with the reason and "
    "what a visitor gets")

# The demo user outside every object's scope below: 财务部, the finance role only.
OUTSIDER = "finance"
AUTHOR = "contributor"


# --- helpers ----------------------------------------------------------------------------------------

def _url(rule, values: dict | None = None) -> str:
    """A URL the rule matches: `values` by argument name, else an allowed word for any(...), 1 for
    numbers, "x" for text."""
    values = values or {}
    built = {}
    for name, converter in rule._converters.items():
        items = getattr(converter, "items", None)
        default = sorted(items)[0] if items else 1 if isinstance(converter, IntegerConverter) else "x"
        built[name] = values.get(name, default)
    return rule.build(built, append_unknown=False)[1]


def _routes(app, public: bool = False):
    """(rule, method) of every endpoint: the non-public ones (or only the public ones)."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if is_public(rule.endpoint) != public:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _is_api(rule) -> bool:
    return rule.endpoint.startswith("api.")


def _user_without(permission: str) -> str:
    from cms.demo import PEOPLE

    for username, *_rest, roles in PEOPLE:
        base = {r.partition("@")[0] for r in roles}
        if not any(permission in ROLE_PERMISSIONS[r] for r in base):
            return username
    raise AssertionError(f"every demo user holds {permission}: add one without it to cms/demo.py PEOPLE")


class Callers:
    """One logged-in web client and one API token per demo user, made once."""

    def __init__(self, app, api):
        self.app, self.api, self.web, self.tokens = app, api, {}, {}

    def call(self, username: str, rule, method: str, values: dict | None = None):
        url = _url(rule, values)
        body = BODIES[rule.endpoint](values or {}) if rule.endpoint in BODIES and values else {}
        if _is_api(rule):
            if username not in self.tokens:
                self.tokens[username] = self.api(username)
            sent = {"json": body} if method in ("POST", "PATCH", "PUT") else {}
            return self.tokens[username](method, url.removeprefix("/api/v1"), **sent)
        if username not in self.web:
            self.web[username] = login(self.app.test_client(), username)
        return self.web[username].open(url, method=method, data=body if method == "POST" else None)


def _refused_anonymously(rule, r) -> str | None:
    """Why the anonymous answer is wrong, or None."""
    if _is_api(rule):
        if r.status_code != 401 or not r.is_json or r.json["error"]["code"] != "unauthorized":
            return f"{r.status_code}, not 401 unauthorized"
    elif r.status_code != 302 or not r.location.startswith("/login"):
        return f"{r.status_code} {r.location or ''}, not the login page"
    return None


# --- every endpoint has a case ----------------------------------------------------------------------

def _sandbox_app(templates, tmp_path):
    from tests.conftest import make_app

    (tmp_path / "s").mkdir()
    return make_app(templates, tmp_path / "s", SANDBOX=True)


def _missing_cases(*apps) -> list[str]:
    """Every endpoint of `apps` that has no case here, with what is missing."""
    missing = []
    for endpoint in sorted({r.endpoint for a in apps for r in a.url_map.iter_rules()}):
        if is_public(endpoint):
            if endpoint not in PUBLIC and endpoint.partition(".")[0] not in PUBLIC_BLUEPRINT_REASONS:
                missing.append(f"{endpoint}: public without a reason in PUBLIC")
            continue
        permission = next((endpoint_permission(a, endpoint) for a in apps if endpoint in a.view_functions), None)
        if permission is None:
            missing.append(f"{endpoint}: declares no permission")
        elif permission == SELF and endpoint not in SELF_CASES:
            missing.append(f"{endpoint}: @requires(SELF) without an entry in SELF_CASES")
    return missing


def test_every_endpoint_has_a_case(app, templates, tmp_path):
    from tests.conftest import _close

    with_sandbox = _sandbox_app(templates, tmp_path)
    missing = _missing_cases(app, with_sandbox)
    _close(with_sandbox)
    assert missing == [], f"{HOW_TO_ADD}:\n" + "\n".join(missing)
    # and no case for an endpoint that is gone, or that changed kind
    assert set(PUBLIC) == PUBLIC_ENDPOINTS, "PUBLIC here and PUBLIC_ENDPOINTS in cms/permissions.py differ"
    assert set(PUBLIC_BLUEPRINT_REASONS) == set(PUBLIC_BLUEPRINTS)
    stale = [e for e in SELF_CASES if endpoint_permission(app, e) != SELF]
    assert stale == [], f"SELF_CASES names endpoints that are gone or declare a permission now: {stale}"


def test_a_route_without_a_case_is_caught(app):
    """What a helper adding routes without cases sees: each one named, with what it lacks."""
    from flask import Blueprint

    from cms.web import requires

    new = Blueprint("newfeature", __name__)
    new.add_url_rule("/new/open", "open", lambda: "")
    new.add_url_rule("/new/mine", "mine", requires(SELF)(lambda: ""))
    new.add_url_rule("/new/admin", "admin", requires("user.manage")(lambda: ""))
    app.register_blueprint(new)
    assert _missing_cases(app) == ["newfeature.mine: @requires(SELF) without an entry in SELF_CASES",
                                   "newfeature.open: declares no permission"]


# --- anonymous --------------------------------------------------------------------------------------

def test_anonymous_callers_are_refused_everywhere(app):
    client = app.test_client()
    wrong, checked = [], 0
    for rule, method in _routes(app):
        problem = _refused_anonymously(rule, client.open(_url(rule), method=method))
        if problem:
            wrong.append(f"{method} {rule.rule} ({rule.endpoint}): {problem}")
        checked += 1
    assert wrong == []
    assert checked == sum(len(r.methods - {"HEAD", "OPTIONS"}) for r in app.url_map.iter_rules()
                          if not is_public(r.endpoint))


def test_public_endpoints_answer_visitors_as_their_case_says(app):
    from cms.auth.service import get_by_username
    from cms.channels.models import Channel
    from cms.content import service as content
    from cms.extensions import db
    from cms.site import service as site

    client = app.test_client()
    wrong = []
    for endpoint, (_why, method, path, status, text) in sorted(PUBLIC.items()):
        adapter = app.url_map.bind("localhost")
        assert adapter.match(path, method=method)[0] == endpoint, (endpoint, path)
        r = client.open(path, method=method)
        if r.status_code != status or (text and text not in r.get_data(as_text=True)):
            wrong.append(f"{method} {path}: {r.status_code}, not {status}" + (f" with {text!r}" if text else ""))
    assert wrong == []
    # A published page is the public site: a visitor reads it without a login.
    website = db.session.scalar(select(Channel).where(Channel.name == "星海官网"))
    post = content.create_post(get_by_username(AUTHOR), {
        "title": "客户开放日", "author": "张晓雯", "digest": "回顾", "category": "news",
        "body": {"format": "markdown", "text": "本周五，市场部邀请客户参观展厅。"}, "source": {"kind": "original"},
        "channels": [website.id]})
    path = site.publish(post, post.current, website)
    db.session.commit()
    r = client.get(path)
    assert r.status_code == 200 and "客户开放日" in r.get_data(as_text=True)


def test_public_endpoints_that_take_a_post_are_few(app):
    """A public POST acts without a login: only the login form (CSRF-protected) and the WeChat
    callback (signed with the channel's token). A new one must be argued for here."""
    posts = {r.endpoint for r in app.url_map.iter_rules() if is_public(r.endpoint) and "POST" in r.methods}
    assert posts == {"auth.login", "callbacks.wechat"}


def test_sandbox_is_mounted_only_when_switched_on(app, templates, tmp_path):
    from tests.conftest import _close

    assert not any(r.endpoint.startswith("sandbox.") for r in app.url_map.iter_rules())
    with_sandbox = _sandbox_app(templates, tmp_path)
    added = {r.endpoint for r in with_sandbox.url_map.iter_rules()} - {r.endpoint for r in app.url_map.iter_rules()}
    _close(with_sandbox)
    assert added and all(e.startswith("sandbox.") for e in added), sorted(added)


# --- a declared permission --------------------------------------------------------------------------

def test_callers_without_the_permission_get_403(app, api):
    callers, wrong, checked = Callers(app, api), [], 0
    for rule, method in _routes(app):
        permission = endpoint_permission(app, rule.endpoint)
        if permission == SELF:
            continue  # SELF_CASES below
        username = _user_without(permission)
        r = callers.call(username, rule, method)
        if r.status_code != 403:
            wrong.append(f"{method} {rule.rule} ({permission}) as {username}: {r.status_code}")
        checked += 1
    assert wrong == []
    assert checked == sum(len(r.methods - {"HEAD", "OPTIONS"}) for r in app.url_map.iter_rules()
                          if not is_public(r.endpoint) and endpoint_permission(app, r.endpoint) != SELF)


# --- SELF: any active user, within the object's scope ------------------------------------------------

def _self_routes(app, *kinds):
    for rule, method in _routes(app):
        if endpoint_permission(app, rule.endpoint) == SELF and (not kinds or SELF_CASES[rule.endpoint] in kinds):
            yield rule, method


def test_a_closed_account_is_refused_every_self_endpoint(app, api, user):
    """The author, logged in and with a token, is locked (U3): every page open to any active user
    sends the browser to the login page, and every API call answers 401."""
    from cms.auth import service

    callers = Callers(app, api)
    callers.web[AUTHOR] = login(app.test_client(), AUTHOR)
    callers.tokens[AUTHOR] = api(AUTHOR)
    assert callers.web[AUTHOR].get("/").status_code == 200  # served while active
    service.lock(user(AUTHOR), "密码泄露")
    wrong, checked = [], 0
    for rule, method in _self_routes(app):
        r = callers.call(AUTHOR, rule, method)
        if _is_api(rule):
            ok = r.status_code == 401
        else:
            ok = r.status_code == 403 or (r.status_code == 302 and r.location.startswith("/login"))
        if not ok:
            wrong.append(f"{method} {rule.rule}: {r.status_code} {r.location or ''}")
        checked += 1
    assert wrong == []
    assert checked == len(list(_self_routes(app)))


@pytest.fixture
def objects(app):
    """A draft by the author (市场部) for 星海集团 with a cover image, a bundle on 星海集团, a
    notification and an API token of the author's: none of them in the OUTSIDER's scope."""
    from cms import workdays
    from cms.auth.models import ApiToken
    from cms.auth.service import create_token, get_by_username
    from cms.channels.models import Bundle, Channel
    from cms.content import service as content
    from cms.extensions import db
    from cms.notify import service as notify

    author = get_by_username(AUTHOR)
    channel = db.session.scalar(select(Channel).where(Channel.name == "星海集团"))
    buf = io.BytesIO()
    Image.new("RGB", (900, 383), (30, 90, 160)).save(buf, "PNG")
    asset = content.upload_asset(author, buf.getvalue(), "own")
    post = content.create_post(author, {
        "title": "市场部客户开放日", "author": "张晓雯", "digest": "回顾", "category": "news",
        "body": {"format": "markdown", "text": "本周五，市场部邀请客户参观展厅。"}, "source": {"kind": "original"},
        "channels": [channel.id], "cover_asset_id": asset.id})
    bundle = Bundle(channel_id=channel.id, due_at=workdays.now())
    db.session.add(bundle)
    (note,) = notify.notify([author], "test", "一条通知", f"/posts/{post.id}", post=post)
    db.session.commit()
    group = _author_group(author)
    token = create_token(author, "脚本")
    token_id = db.session.scalar(select(func.max(ApiToken.id)).where(ApiToken.user_id == author.id))
    return {"post": post, "asset": asset, "bundle": bundle, "channel": channel, "notification": note,
            "token": token, "values": {"post_id": post.id, "a": 1, "b": 1, "number": 1, "ratio": "1:1",
                                       "asset_id": asset.id, "bundle_id": bundle.id, "channel_id": channel.id,
                                       "notification_id": note.id, "token_id": token_id,
                                       "group_id": group["group"].id, "member_id": group["member"].id,
                                       "message_id": group["message"].id, "ack_id": group["ack"].id}}


def _author_group(author) -> dict:
    """An active work group of 市场部 owned by the author, the author a member, and a same-day task
    for the author with its acknowledgement (G11)."""
    from cms.extensions import db
    from cms.groups import messages, operations
    from cms.groups.models import WorkGroup

    group = WorkGroup(name="市场部工作群", category="department", purpose="联络", department_id=author.department_id,
                      owner_id=author.id, state="active")
    db.session.add(group)
    db.session.commit()
    member, _warnings = operations.add_member(author, group, username=author.username)
    message = messages.record_message(author, group, "task", "今天下班前交周报", responsible=author.username)
    return {"group": group, "member": member, "message": message, "ack": message.acks[0]}


def _expect(callers, rule, method, username, values, statuses, wrong):
    r = callers.call(username, rule, method, values)
    if r.status_code not in statuses:
        wrong.append(f"{method} {rule.rule} as {username}: {r.status_code}, not {statuses}")
    return r


def test_self_endpoints_refuse_whoever_is_outside_the_objects_scope(app, api, objects):
    from cms.audit.models import AuditEntry
    from cms.auth.models import User
    from cms.auth.service import get_by_username
    from cms.extensions import db
    from cms.notify.models import Notification

    callers, values, wrong = Callers(app, api), objects["values"], []
    outsider = get_by_username(OUTSIDER)
    for who in (OUTSIDER, AUTHOR, "account_admin"):  # logged in before the audit trail is counted
        callers.web[who], callers.tokens[who] = login(app.test_client(), who), api(who)
    by_outsider = select(func.count(AuditEntry.id)).where(AuditEntry.actor_id == outsider.id)
    audited_before = db.session.scalar(by_outsider)
    checked = set()

    for rule, method in _self_routes(app, POST, PUBLISHER, ASSET, NOTIFICATION, TOKEN, GROUP, ACK):
        if method == "GET":  # the object is there: its owner is served
            _expect(callers, rule, method, AUTHOR, values, range(200, 400), wrong)
        _expect(callers, rule, method, OUTSIDER, values, (404,), wrong)
        checked.add(rule.endpoint)
    for rule, method in _self_routes(app, PUBLISHER):  # sees the post, does not run its channel
        _expect(callers, rule, method, AUTHOR, values, (403,), wrong)
    for rule, method in _self_routes(app, CHANNEL):
        _expect(callers, rule, method, OUTSIDER, values, (403,), wrong)
        if method == "GET":
            _expect(callers, rule, method, "account_admin", values, (200,), wrong)
        checked.add(rule.endpoint)
    def listed(r) -> bool:
        if r.is_json:
            return objects["post"].id in [item["id"] for item in r.json["items"]]
        return objects["post"].title in r.get_data(as_text=True)

    for rule, method in _self_routes(app, LISTED):
        mine, theirs = (callers.call(who, rule, method, values) for who in (AUTHOR, OUTSIDER))
        if not listed(mine) or theirs.status_code != 200 or listed(theirs):
            wrong.append(f"{method} {rule.rule}: the outsider's list ({theirs.status_code}) shows the post, "
                         "or the author's does not")
        checked.add(rule.endpoint)
    assert wrong == [], "\n".join(wrong)
    assert checked == {e for e, kind in SELF_CASES.items() if kind not in (OWN, VIOLATION)}

    # The refused requests changed nothing a user would see.
    db.session.expire_all()
    post = objects["post"]
    assert post.status == "draft" and post.current.number == 1
    assert db.session.get(Notification, objects["notification"].id).read_at is None
    me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {objects['token']}"})
    assert me.status_code == 200 and me.json["username"] == AUTHOR  # the token still works
    assert db.session.scalar(by_outsider) == audited_before
    assert db.session.get(User, outsider.id).state == "active"


def test_violation_pages_refuse_whoever_may_not_see_the_record(app):
    """A violation of the author (市场部), with its evidence: the author, the group administrator and
    the department's head see it; the outsider (财务部) gets 404 for the record and its file (G10)."""
    from cms.auth.service import get_by_username
    from cms.violations import operations

    png = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 0, 0)).save(png, "PNG")
    v = operations.record_violation(get_by_username("group_admin"), subject_user=get_by_username(AUTHOR),
                                    category="company_secret", what="在工作群转发内部报价单", files=[("报价.png", png.getvalue())])
    values = {"violation_id": v.id, "evidence_id": v.evidence[0].id}
    checked, wrong = set(), []
    for rule, method in _self_routes(app, VIOLATION):
        url = _url(rule, values)
        for who, want in ((AUTHOR, 200), ("group_admin", 200), ("department_head", 200), (OUTSIDER, 404)):
            r = login(app.test_client(), who).open(url, method=method)
            if r.status_code != want:
                wrong.append(f"{method} {url} as {who}: {r.status_code}, not {want}")
        checked.add(rule.endpoint)
    assert wrong == []
    assert checked == {e for e, kind in SELF_CASES.items() if kind == VIOLATION}
