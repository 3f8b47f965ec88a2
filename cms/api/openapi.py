"""/api/v1/openapi.json, built from the routes themselves so it cannot drift from them: each view's
`operation(...)` (cms/api/schemas.py) gives its request body, its answer's schema, its query
parameters and the errors it may answer; every error is the one Error shape (cms/api/errors.py)."""
import re

from flask import current_app, jsonify

from cms.api import bp
from cms.api.schemas import ERRORS, ID, SCHEMAS, ref
from cms.permissions import PUBLIC_ENDPOINTS, endpoint_permission


def _path(rule: str) -> tuple[str, list[dict]]:
    params = []

    def repl(m):
        conv, name = m.group(1), m.group(2)
        params.append({"name": name, "in": "path", "required": True,
                       "schema": dict(ID) if conv == "int" else {"type": "string"}})
        return "{" + name + "}"

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", repl, rule.removeprefix("/api/v1")), params


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def operations(app) -> dict:
    """{path: {method: operation}} for every API route but the public ones."""
    paths: dict = {}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        path, params = _path(rule.rule)
        view = app.view_functions[rule.endpoint]
        spec = getattr(view, "openapi", None)
        if spec is None:
            raise LookupError(f"{rule.endpoint}: document it with cms.api.schemas.operation(...)")
        lines = (view.__doc__ or rule.endpoint).strip().splitlines()
        permission = endpoint_permission(app, rule.endpoint)
        errors = sorted({*spec["errors"], 401, 405} | ({403} if permission != "self" else set())
                        | ({404} if params else set()))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op = {
                "operationId": rule.endpoint.removeprefix("api."),
                "summary": lines[0],
                "description": " ".join(line.strip() for line in lines),
                "parameters": params + spec["params"],
                "x-permission": permission,
                "responses": {
                    str(spec["ok"]): {"description": "OK", **({"content": _json(ref(spec["answer"]))}
                                                               if spec["answer"] else {})},
                    **{str(s): {"description": ERRORS[s], "content": _json(ref("Error"))} for s in errors},
                },
            }
            if 405 in errors:
                op["responses"]["405"]["headers"] = {
                    "Allow": {"description": "the methods this path takes", "schema": {"type": "string"}}}
            if spec["body"]:
                content = ({"multipart/form-data": {"schema": ref(spec["body"])}} if spec["multipart"]
                           else _json(ref(spec["body"])))
                op["requestBody"] = {"required": not spec["body_optional"], "content": content}
            paths.setdefault(path, {})[method.lower()] = op
    return paths


@bp.get("/openapi.json")
def openapi():
    return jsonify({
        "openapi": "3.0.3",
        "info": {"title": "CMS API", "version": "1",
                 "description": "The JSON API of ../shared/API.md: the browser UI's permissions, rules and checks. "
                                "Lists answer {items, page, per_page, total}; every error is Error."},
        "servers": [{"url": "/api/v1"}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": SCHEMAS},
        "security": [{"bearer": []}],
        "paths": operations(current_app),
    })
