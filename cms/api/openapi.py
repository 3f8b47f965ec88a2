"""/api/v1/openapi.json, built from the routes themselves so it cannot drift from them."""
import re

from flask import current_app, jsonify

from cms.api import bp
from cms.permissions import PUBLIC_ENDPOINTS, endpoint_permission

ERROR = {
    "type": "object",
    "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string", "description": "a policy ID (e.g. C9) when a rule refused"},
        "message": {"type": "string"}, "fields": {"type": "object"}}}},
}


def _path(rule: str) -> tuple[str, list[dict]]:
    params = []

    def repl(m):
        conv, name = m.group(1), m.group(2)
        params.append({"name": name, "in": "path", "required": True,
                       "schema": {"type": "integer" if conv == "int" else "string"}})
        return "{" + name + "}"

    return re.sub(r"<(?:(\w+):)?(\w+)>", repl, rule.removeprefix("/api/v1")), params


@bp.get("/openapi.json")
def openapi():
    paths: dict = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        path, params = _path(rule.rule)
        view = current_app.view_functions[rule.endpoint]
        doc = (view.__doc__ or rule.endpoint).strip().splitlines()[0]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = {
                "operationId": rule.endpoint.removeprefix("api."),
                "summary": doc,
                "parameters": params,
                "x-permission": endpoint_permission(current_app, rule.endpoint),
                "responses": {
                    "200": {"description": "OK"},
                    **{str(s): {"description": d, "content": {"application/json": {"schema": ERROR}}}
                       for s, d in ((400, "malformed"), (401, "no or bad token"), (403, "not allowed"),
                                    (404, "not found"), (409, "conflict"), (422, "a rule refused"))},
                },
            }
    return jsonify({
        "openapi": "3.0.3",
        "info": {"title": "CMS API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": paths,
    })
