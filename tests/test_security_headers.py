"""Security headers on every response, and no inline script in any page (issue 13 part 7): the
Content-Security-Policy allows scripts only from our own files, so article HTML shown in a
logged-in page could not run script even if sanitising ever missed one."""
from html.parser import HTMLParser

from cms.demo import PEOPLE
from tests.conftest import _close, login, make_app
from tests.test_url_map import _url

HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "SAMEORIGIN",
           "Referrer-Policy": "same-origin"}


class InlineScript(HTMLParser):
    """Every inline script in a page: <script> without src or with a body, on*= handler
    attributes, javascript: URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script":
            self._in_script = True
            if not names.get("src"):
                self.found.append("<script> without src")
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name.lower() in ("href", "src", "action", "formaction") and \
                    (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append("a script body")


def inline_scripts(html: str) -> list[str]:
    parser = InlineScript()
    parser.feed(html)
    return parser.found


def _get_pages(app):
    """Every GET page: parameterless rules, and rules with parameters at their first value (so
    the demo's post 1, channel 1... are rendered with their article HTML). Not the API or files."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint.startswith(("api.", "static", "bootstrap.")):
            continue
        yield rule


def _directives(policy: str) -> dict[str, set[str]]:
    out = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        out[name] = set(sources)
    return out


def _check(response, where) -> int:
    """The headers are there and scripts may come only from our own files (a page may set a
    stricter policy of its own: the public site and the preview allow no script at all)."""
    policy = _directives(response.headers.get("Content-Security-Policy", ""))
    assert policy.get("script-src", set()) in ({"'self'"}, {"'none'"}), (where, policy)
    assert {"'self'"} >= policy.get("default-src", set()) or policy["default-src"] == {"'none'"}, where
    assert policy.get("object-src", policy.get("default-src")) == {"'none'"}, where
    assert policy.get("base-uri") in ({"'self'"}, {"'none'"}) and policy.get("frame-ancestors") == {"'self'"}, where
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (where, name)
    if response.mimetype == "text/html":
        assert inline_scripts(response.get_data(as_text=True)) == [], where
        return 1
    return 0


def test_the_inline_script_finder_finds_them():
    assert inline_scripts('<script src="/static/a.js"></script><p style="color:red">x</p>') == []
    assert inline_scripts("<script>alert(1)</script>") == ["<script> without src", "a script body"]
    assert inline_scripts('<select onchange="this.form.submit()">') == ["<select onchange=...>"]
    assert inline_scripts('<a href=" javascript:alert(1)">') == ["<a href=javascript:...>"]
    assert inline_scripts('<img src=x ONERROR="x">') == ["<img onerror=...>"]


def test_every_page_for_every_demo_role_has_the_headers_and_no_inline_script(app):
    pages = 0
    clients = [("anonymous", app.test_client())]
    clients += [(username, login(app.test_client(), username)) for username, *_rest in PEOPLE]
    rules = list(_get_pages(app))
    assert len(rules) >= 30
    for who, client in clients:
        for rule in rules:
            r = client.get(_url(rule))
            pages += _check(r, (who, rule.rule, r.status_code))
    assert pages >= 300  # HTML pages actually checked, 403 and 404 pages among them
    # The calendar's channel filter is the one that had an inline onchange.
    r = login(app.test_client(), "editor").get("/calendar")
    assert r.status_code == 200 and "data-autosubmit" in r.get_data(as_text=True)
    assert "autosubmit.js" in r.get_data(as_text=True)


def test_error_pages_and_static_files_have_them_too(client):
    _check(client.get("/no-such-page"), "404")
    r = client.get("/static/cms.css")
    assert r.status_code == 200
    _check(r, "static")
    assert client.get("/static/autosubmit.js").status_code == 200


def test_sandbox_pages_have_them_too(templates, tmp_path):
    app = make_app(templates, tmp_path, SANDBOX=True)
    try:
        with app.app_context():
            client = app.test_client()
            checked = 0
            for rule in _get_pages(app):
                if rule.endpoint.startswith("sandbox."):
                    checked += _check(client.get(_url(rule)), rule.rule)
            assert checked >= 1
    finally:
        _close(app)


def test_the_policy_is_a_setting(templates, tmp_path):
    app = make_app(templates, tmp_path, CONTENT_SECURITY_POLICY="default-src 'none'")
    try:
        with app.app_context():
            assert app.test_client().get("/login").headers["Content-Security-Policy"] == "default-src 'none'"
    finally:
        _close(app)
