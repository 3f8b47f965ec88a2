"""CSRF on every form: each HTML POST endpoint refuses a post without the token."""

from tests.test_url_map import _routes, _url


def test_every_html_post_needs_a_csrf_token(csrf_app):
    from cms.demo import DEMO_PASSWORD

    # Logging in itself needs the token.
    client = csrf_app.test_client()
    assert client.post("/login", data={"username": "sysadmin", "password": DEMO_PASSWORD}).status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post("/login", data={"username": "sysadmin", "password": DEMO_PASSWORD,
                                       "csrf_token": token}).status_code == 302
    checked = 0
    for rule, method in _routes(csrf_app):
        if method != "POST" or rule.endpoint.startswith("api."):
            continue
        r = client.post(_url(rule), data={})
        assert r.status_code == 400, (rule.rule, r.status_code)
        checked += 1
    assert checked >= 8


def test_api_ignores_the_session_cookie(csrf_app):
    """The API is exempt from CSRF, so it must never act on a browser session (bearer only)."""
    client = login_with_csrf(csrf_app)
    r = client.get("/api/v1/me")
    assert r.status_code == 401


def login_with_csrf(app):
    from cms.demo import DEMO_PASSWORD

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"username": "sysadmin", "password": DEMO_PASSWORD, "csrf_token": token})
    assert client.get("/").status_code == 200
    return client




def test_only_the_api_the_sandbox_and_the_signed_callback_skip_csrf(csrf_app):
    """What is exempt, and why: the API (bearer tokens only, above), the sandbox (mounted only with
    CMS_SANDBOX, never in production) and the WeChat callback, which reads no cookie and refuses any
    request not signed with the channel's token (tests/callbacks/test_endpoint.py)."""
    from cms.permissions import PUBLIC_ENDPOINTS

    csrf = csrf_app.extensions["csrf"]
    blueprints = {getattr(bp, "name", bp) for bp in csrf._exempt_blueprints}
    assert "api" in blueprints and blueprints <= {"api", "sandbox"}
    assert csrf._exempt_views == {"cms.callbacks.views.wechat"}
    assert "callbacks.wechat" in PUBLIC_ENDPOINTS
    client = csrf_app.test_client()
    assert client.post("/wechat/callback/1", data="<xml/>").status_code == 403  # unsigned: no further
