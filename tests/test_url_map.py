"""Every endpoint but an explicit allowlist refuses an anonymous caller and a caller without its
permission (DESIGN.md: security by default). New routes are covered automatically."""
import pytest
from werkzeug.routing.converters import IntegerConverter

from cms.permissions import ROLE_PERMISSIONS, SELF, endpoint_permission, is_public
from tests.conftest import login


def _url(rule) -> str:
    """A URL the rule matches: 1 for numbers, an allowed word for any(...), else "x"."""
    values = {}
    for name, converter in rule._converters.items():
        items = getattr(converter, "items", None)
        values[name] = sorted(items)[0] if items else 1 if isinstance(converter, IntegerConverter) else "x"
    return rule.build(values, append_unknown=False)[1]


def _routes(app):
    for rule in app.url_map.iter_rules():
        if is_public(rule.endpoint):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_endpoint_declares_a_permission(app):
    undeclared = [r.endpoint for r, _ in _routes(app) if endpoint_permission(app, r.endpoint) is None]
    assert undeclared == []


def test_anonymous_callers_are_refused_everywhere(app):
    client = app.test_client()
    checked = 0
    for rule, method in _routes(app):
        r = client.open(_url(rule), method=method)
        if rule.endpoint.startswith("api."):
            assert r.status_code == 401, rule.rule
            assert r.is_json and r.json["error"]["code"] == "unauthorized"
        else:
            assert r.status_code == 302 and "/login" in r.location, (rule.rule, method, r.status_code)
        checked += 1
    assert checked >= 15


def _user_without(app, permission):
    from cms.demo import PEOPLE

    for username, *_rest, roles in PEOPLE:
        base = {r.partition("@")[0] for r in roles}
        if not any(permission in ROLE_PERMISSIONS[r] for r in base):
            return username
    raise AssertionError(f"every demo user holds {permission}")


def test_callers_without_the_permission_get_403(app, api):
    checked = 0
    for rule, method in _routes(app):
        permission = endpoint_permission(app, rule.endpoint)
        if permission == SELF:
            continue  # any active user may: anonymous refusal is proven above
        username = _user_without(app, permission)
        if rule.endpoint.startswith("api."):
            r = api(username)(method, _url(rule).removeprefix("/api/v1"))
        else:
            r = login(app.test_client(), username).open(_url(rule), method=method)
        assert r.status_code == 403, (rule.rule, method, username, r.status_code)
        checked += 1
    assert checked >= 10


def test_sandbox_is_mounted_only_when_switched_on(app, templates, tmp_path):
    from tests.conftest import _close, make_app

    assert not any(r.endpoint.startswith("sandbox.") for r in app.url_map.iter_rules())
    (tmp_path / "s").mkdir()
    with_sandbox = make_app(templates, tmp_path / "s", SANDBOX=True)
    endpoints = [r.endpoint for r in with_sandbox.url_map.iter_rules()]
    assert any(e.startswith("sandbox.") for e in endpoints)
    _close(with_sandbox)


def test_public_endpoints_that_take_a_post_are_few(app):
    """A public POST acts without a login: only the login form (CSRF-protected) and the WeChat
    callback (signed with the channel's token). A new one must be argued for here."""
    posts = {r.endpoint for r in app.url_map.iter_rules() if is_public(r.endpoint) and "POST" in r.methods}
    assert posts == {"auth.login", "callbacks.wechat"}


@pytest.mark.parametrize("path", ["/healthz", "/login", "/api/v1/openapi.json"])
def test_public_endpoints_answer_without_login(client, path):
    assert client.get(path).status_code == 200
