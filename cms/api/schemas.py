"""JSON schemas (OpenAPI 3.0) of what the API takes and answers: one per serializer in
cms/api/serializers.py and one per request body. `operation(...)` attaches an operation's
documentation to its view; cms/api/openapi.py publishes them, and tests/api/test_schemathesis.py
holds every answer to them (so a serializer and its schema cannot drift apart)."""
from __future__ import annotations

from cms.auth.models import USER_STATES
from cms.channels.models import ACCOUNT_KINDS, AUDIENCES, CHANNEL_TYPES, LEVELS, PLATFORMS, PUBLICATION_STATES
from cms.content.models import CATEGORIES, SOURCE_KINDS, STATUSES
from cms.dbtypes import DB_INT_MAX
from cms.permissions import ROLES
from cms.publishing.models import WITHDRAWAL_KINDS, WITHDRAWAL_STATES

STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
NUM = {"type": "number"}
DATE = {"type": "string", "format": "date"}
TIME = {"type": "string", "format": "date-time"}
ANY_OBJECT = {"type": "object", "additionalProperties": True}
ID = {"type": "integer", "minimum": 1, "maximum": DB_INT_MAX}  # a database id


def nullable(schema: dict) -> dict:
    out = {**schema, "nullable": True}
    if "enum" in out:  # OpenAPI 3.0.3: null must be one of the enum's values too
        out["enum"] = [*out["enum"], None]
    return out


def enum(values) -> dict:
    return {"type": "string", "enum": list(values)}


def array(schema: dict, **extra) -> dict:
    return {"type": "array", "items": schema, **extra}


def obj(properties: dict, required: list[str] | None = None, **extra) -> dict:
    """An object; every property required unless `required` names fewer (answers always carry all)."""
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required, **extra}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def listing(item: str, **more) -> dict:
    """API.md: lists answer {items, page, per_page, total}."""
    return obj({"items": array(ref(item)), "page": INT, "per_page": INT, "total": INT, **more})


NAMED = obj({"id": INT, "name": STR})
POST_REF = obj({"id": INT, "status": enum(STATUSES)})
USERNAME = nullable(STR)

# API.md "Post fields"
POST_FIELDS = {
    "title": {"type": "string", "maxLength": 200}, "author": {"type": "string", "maxLength": 64},
    "digest": {"type": "string", "maxLength": 400}, "body": ref("Body"), "category": enum(CATEGORIES),
    "channels": array(ID), "source": nullable(obj({
        "kind": {"type": "string", "enum": ["", *SOURCE_KINDS]}, "name": nullable(STR),
        "url": nullable({"type": "string", "description": "http:// or https://"}), "author": nullable(STR)},
        required=[])),
    "cover_asset_id": nullable(ID), "cover_focus": obj({"x": {"type": "number", "minimum": 0, "maximum": 1},
                                                        "y": {"type": "number", "minimum": 0, "maximum": 1}}),
    "urgency": enum(("regular", "urgent")), "important": BOOL, "planned_date": nullable(DATE),
    "open_comments": BOOL, "confidential": BOOL,
}

SCHEMAS: dict[str, dict] = {
    "Error": obj({"error": obj({
        "code": {"type": "string", "description": "a policy ID (e.g. C9, U2) when a rule refused, else a word"},
        "message": {"type": "string", "description": "what is wrong, in Chinese"},
        "fields": {"type": "object", "description": "each bad field with what is wrong with it",
                   "additionalProperties": array(STR)},
    }, additionalProperties=True)}),  # some errors add facts (a 409's current revision, C4's findings)

    # people
    "RoleGrant": obj({"role": enum(ROLES), "scope_type": nullable(enum(("department", "channel"))),
                      "scope_id": nullable(INT)}),
    "User": obj({"id": INT, "username": STR, "real_name": STR, "department": NAMED, "title": STR, "phone": STR,
                 "roles": array(ref("RoleGrant")), "hire_date": nullable(DATE), "leave_date": nullable(DATE),
                 "state": enum(USER_STATES)}),
    "NewUser": {"allOf": [ref("User"), obj({"initial_password": {
        "type": "string", "description": "shown once; the user changes it at first login (U2)"}})]},
    "UserInput": obj({
        "username": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[A-Za-z0-9_.\-]+$"},
        "real_name": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"\S"},
        "department": {**ID, "description": "the department's id"},
        "title": nullable({"type": "string", "maxLength": 64}), "phone": nullable({"type": "string", "maxLength": 32}),
        "hire_date": nullable(DATE),
        "roles": nullable(array({"oneOf": [
            {"type": "string", "description": "role, role@department:ID or role@channel:ID",
             "pattern": "^(" + "|".join(ROLES) + r")(@(department|channel):[0-9]{1,18})?$"},
            obj({"role": enum(ROLES), "scope_type": nullable(enum(("department", "channel"))),
                 "scope_id": nullable(ID)}, required=["role"], additionalProperties=False)]})),
    }, required=["username", "real_name", "department"]),
    "Departure": obj({"date": DATE, "confirmed_by": nullable({"type": "string",
                                                              "description": "an administrator's username"})},
                     required=["date"]),

    # channels
    "Channel": obj({"id": INT, "name": STR, "platform": enum(PLATFORMS), "type": enum(CHANNEL_TYPES),
                    "level": enum(LEVELS), "audience": enum(AUDIENCES),
                    "account_kind": nullable(enum(ACCOUNT_KINDS)), "active": BOOL}),

    # posts
    "Body": obj({"format": enum(("markdown", "html")), "text": STR}),
    "Source": obj({"kind": {"type": "string", "enum": ["", *SOURCE_KINDS]}, "name": STR, "url": STR, "author": STR}),
    "Revision": obj({"number": INT, "hash": STR, "title": STR, "author": STR, "digest": STR, "body": ref("Body"),
                     "html": {"type": "string", "description": "rendered and sanitised, as it will be published"},
                     "source": ref("Source"), "cover_asset_id": nullable(INT), "cover_focus": obj({"x": NUM, "y": NUM}),
                     "written_by": STR, "created_at": TIME, "based_on": nullable(INT), "note": STR}),
    "Finding": obj({"id": STR, "check": STR, "severity": enum(("error", "warning")), "policy": STR, "where": STR,
                    "message": STR, "fix": nullable(STR)}),
    "Step": obj({"role": STR, "scope": STR, "may_edit": BOOL, "decides_push": BOOL, "may_escalate": BOOL,
                 "conditional": BOOL, "due_hours": NUM}, required=["role", "scope"]),
    "Workflow": obj({
        "template": STR, "version": INT, "state": STR, "round": INT, "escalated": BOOL, "steps": array(ref("Step")),
        "current_step": nullable(obj({"index": INT, "role": STR, "assignees": array(STR), "due_at": nullable(TIME),
                                      "may_edit": BOOL, "decides_push": BOOL, "routing": STR})),
        "reasons": {"type": "object", "additionalProperties": STR}, "push": {"type": "object",
                                                                              "additionalProperties": BOOL},
        "approved_at": nullable(TIME), "publish_day": nullable(DATE)}),
    "Review": obj({"action": STR, "step": nullable(INT), "role": STR, "round": INT, "user": STR,
                   "on_behalf_of": USERNAME, "revision": INT, "hash": STR, "comment": STR, "detail": ANY_OBJECT,
                   "stale": BOOL, "at": TIME}),
    "PostSummary": obj({
        "id": INT, "status": enum(STATUSES), "title": STR, "category": enum(CATEGORIES), "department": STR,
        "author": {"type": "string", "description": "the username of whoever filed it"},
        "channels": array(INT), "urgency": enum(("regular", "urgent")), "important": BOOL, "confidential": BOOL,
        "open_comments": BOOL, "planned_date": nullable(DATE), "created_at": TIME, "updated_at": TIME}),
    "Post": {"allOf": [ref("PostSummary"), obj({
        "revision": ref("Revision"), "checks": array(ref("Finding")), "workflow": nullable(ref("Workflow")),
        "reviews": array(ref("Review")), "publications": array(ref("Publication"))})]},
    "Reviewed": {"allOf": [ref("Post"), obj({"review": ref("Review")})]},
    "PostInput": obj(POST_FIELDS, required=["title", "category"]),
    "PostPatch": obj({
        **POST_FIELDS,
        "base_revision": {"type": "integer", "minimum": 1, "description": "the revision the edit started from"},
        "note": {"type": "string", "maxLength": 200}}, required=["base_revision"]),
    "Diff": obj({"from": INT, "to": INT, "fields": {"type": "object", "additionalProperties": array(obj({
        "kind": enum(("same", "changed", "added", "removed")), "left": STR, "right": STR}))}}),
    "Asset": obj({"id": INT, "width": INT, "height": INT, "format": STR, "bytes": INT, "sha256": STR, "url": STR,
                  "warning": nullable(STR)}),
    "AssetUpload": obj({"file": {"type": "string", "format": "binary"}, "source": enum(("own", "licensed", "reprint")),
                        "credit": STR}, required=["file", "source"]),
    "Submit": obj({"reasons": {"type": "object", "additionalProperties": STR,
                               "description": "finding id → why the warning stands (C4)"}}, required=[]),
    "Decision": obj({
        "decision": enum(("approve", "reject")), "revision": INT, "hash": STR, "comment": STR,
        "push": {"type": "object", "additionalProperties": BOOL, "description": "channel id → push? (C18)"},
        "escalate": BOOL}, required=["decision", "revision"]),
    "WithdrawReason": obj({"reason": STR}, required=[]),

    # publishing
    "Publication": obj({
        "id": INT, "post_id": INT, "generation": INT, "channel": obj({"id": INT, "name": STR, "platform": enum(PLATFORMS)}),
        "state": enum(PUBLICATION_STATES), "revision": INT, "hash": STR, "push": nullable(BOOL),
        "due_at": TIME, "next_attempt_at": nullable(TIME), "attempts": INT,
        "last_error": nullable(obj({"code": nullable(INT), "message": STR, "at": nullable(TIME)})),
        "progress": {"type": "object", "description": "step → {state, at, ...}",
                     "additionalProperties": obj({"state": STR}, required=[], additionalProperties=True)},
        "failed_step": nullable(STR), "history": array(ANY_OBJECT),
        "remote_ids": ANY_OBJECT, "url": nullable(STR), "published_at": nullable(TIME),
        "override_reason": nullable(STR), "bundle": nullable(obj({"id": INT, "index": nullable(INT)}))}),
    "Publications": obj({"items": array(ref("Publication")), "post": POST_REF}),
    "ScheduleInput": obj({"at": nullable({**TIME, "description": "ISO-8601 with its offset; omitted: now"}),
                          "override_reason": nullable({"type": "string", "maxLength": 500,
                                                       "description": "a later day (C8), the supervisor's"})},
                         required=[]),
    "BundleInput": obj({"posts": array(ID, minItems=1, maxItems=8), "at": nullable(TIME),
                        "override_reason": nullable({"type": "string", "maxLength": 500})}, required=["posts"]),
    "Bundle": obj({"id": INT, "channel": NAMED, "due_at": TIME, "state": enum(PUBLICATION_STATES),
                   "created_by": USERNAME,
                   "members": array(obj({"index": nullable(INT), "post_id": INT, "title": STR,
                                         "publication": ref("Publication")}))}),
    "WithdrawalInput": obj({"kind": enum(WITHDRAWAL_KINDS), "reason": {"type": "string", "minLength": 1},
                            "channels": nullable(array(ID))}, required=["kind", "reason"]),
    "WithdrawalDecision": obj({"approve": BOOL, "note": STR}, required=["approve"]),
    "Withdrawal": obj({
        "id": INT, "post_id": INT, "kind": enum(WITHDRAWAL_KINDS), "reason": STR, "state": enum(WITHDRAWAL_STATES),
        "channels": array(obj({"id": INT, "name": STR, "platform": enum(PLATFORMS), "publication": nullable(INT),
                               "generation": nullable(INT), "state": nullable(enum(PUBLICATION_STATES))})),
        "requested_by": USERNAME, "requested_at": TIME, "decided_by": USERNAME, "decided_at": nullable(TIME),
        "decision_note": nullable(STR), "done_at": nullable(TIME), "last_error": nullable(STR)}),

    # follower comments (API.md "Comments", C16)
    "CommentItem": obj({
        "id": INT, "state": enum(("unanswered", "overdue", "answered", "deleted")), "featured": BOOL,
        "channel": NAMED, "article": obj({"id": INT, "title": STR, "url": nullable(STR), "msg_data_id": STR,
                                          "index": INT}),
        "follower": obj({"openid": STR, "nickname": nullable(STR)}), "text": STR, "created_at": TIME,
        "reply_due_at": {**TIME, "description": "when a reply is due (CMS_COMMENT_REPLY_HOURS, C16)"},
        "reply": nullable(obj({"text": STR, "at": nullable(TIME), "by": USERNAME}))}),
    "ReplyInput": obj({"text": {"type": "string", "minLength": 1},
                       "confirm_warnings": {"type": "boolean", "description": "send despite the warnings"}},
                      required=["text"]),

    # the audit trail
    "AuditEntry": obj({"seq": INT, "at": TIME, "actor": USERNAME, "action": STR,
                       "target": obj({"type": STR, "id": STR}), "before": nullable(ANY_OBJECT),
                       "after": nullable(ANY_OBJECT), "ip": STR, "hash": STR, "prev_hash": STR}),
}
SCHEMAS.update({
    "Users": listing("User"), "Posts": listing("PostSummary"), "Channels": listing("Channel"),
    "Withdrawals": listing("Withdrawal", post=POST_REF), "AuditEntries": listing("AuditEntry"),
    "Comments": listing("CommentItem"),
})

ERRORS = {400: "malformed: the message and `fields` name what is wrong", 401: "no token, or not a valid one",
          403: "not allowed for you", 404: "no such thing, or not one you may see",
          405: "not a method of this path (`Allow` names those that are)",
          409: "conflict: a stale revision, or the wrong state", 413: "too large",
          422: "valid JSON that breaks a rule: `code` names the policy"}

# Query parameters used by more than one list
PAGE = [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10**9}},
        {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}}]


def query(name: str, schema: dict, description: str = "") -> dict:
    out = {"name": name, "in": "query", "schema": schema}
    if description:
        out["description"] = description
    return out


def operation(*, ok: int = 200, answer: str | None = None, body: str | None = None, multipart: bool = False,
              body_optional: bool = False, params: list[dict] | None = None,
              errors: tuple[int, ...] = (400, 401, 403, 404, 409, 422)):
    """Document a view for /api/v1/openapi.json: `answer` the schema of its `ok` answer, `body` the
    schema of its request body (`body_optional`: it may be left out, every field being optional),
    `params` its query parameters, `errors` what it may refuse with."""
    def decorate(view):
        view.openapi = {"ok": ok, "answer": answer, "body": body, "multipart": multipart,
                        "body_optional": body_optional, "params": params or [], "errors": errors}
        return view

    return decorate
