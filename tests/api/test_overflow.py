"""Ids past what the databases hold name nothing: every route with an <int:> part answers 404 for
2**31 (PostgreSQL's INTEGER ids are 32-bit) and 2**63 (SQLite's 64-bit), which used to be 500s
(NumericValueOutOfRange, OverflowError binding the id), and the largest id both hold, 2**31 - 1,
reaches the view and is refused as any unknown id is (4xx, never 5xx).
New routes are covered automatically: the URL map is walked."""
import pytest
from werkzeug.routing.converters import IntegerConverter

from cms.dbtypes import DB_INT_MAX
from cms.permissions import is_public
from tests.conftest import login


def _int_routes(app):
    for rule in app.url_map.iter_rules():
        if any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def _url(rule, number: int) -> str:
    values = {}
    for name, converter in rule._converters.items():
        items = getattr(converter, "items", None)
        values[name] = sorted(items)[0] if items else number if isinstance(converter, IntegerConverter) else "x"
    return rule.build(values, append_unknown=False)[1]


def _caller(app, api):
    web = login(app.test_client(), "sysadmin")
    bearer = api("sysadmin")
    anonymous = app.test_client()

    def call(rule, method, url):
        if rule.endpoint.startswith("api."):
            return bearer(method, url.removeprefix("/api/v1"), json={})
        if is_public(rule.endpoint):
            return anonymous.open(url, method=method)
        return web.open(url, method=method, data={})

    return call


def test_every_int_route_is_covered(app):
    routes = {r.endpoint for r, _ in _int_routes(app)}
    # the public callback and the API's post routes among them
    assert {"callbacks.wechat", "api.posts_get", "api.users_depart", "api.bundles_get"} <= routes
    assert len(routes) >= 40


@pytest.mark.parametrize("number", [2**31, 2**63, 2**64, 10**30])
def test_an_id_past_the_databases_range_is_404_everywhere(app, api, number):
    call = _caller(app, api)
    wrong = []
    for rule, method in _int_routes(app):
        url = _url(rule, number)
        r = call(rule, method, url)
        if r.status_code != 404:
            wrong.append((method, url, r.status_code))
        elif rule.endpoint.startswith("api."):
            assert r.is_json and r.json["error"]["code"] == "not_found", url
    assert wrong == []


def test_the_largest_id_the_database_holds_is_refused_not_crashed(app, api):
    call = _caller(app, api)
    wrong = []
    for rule, method in _int_routes(app):
        url = _url(rule, DB_INT_MAX)
        r = call(rule, method, url)
        if r.status_code >= 500:
            wrong.append((method, url, r.status_code))
    assert wrong == []
