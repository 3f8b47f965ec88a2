"""GET /me and the People endpoints (API.md)."""
from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from cms.api import bp
from cms.api.schemas import PAGE, enum, operation, query
from cms.api.serializers import user_json
from cms.api.util import field, id_arg, json_body, listing, page_args
from cms.auth import policy, service
from cms.auth.models import USER_STATES
from cms.dbtypes import db_int
from cms.errors import Refused
from cms.extensions import db
from cms.permissions import SELF
from cms.web import requires


@bp.get("/me")
@operation(answer="User", errors=())
@requires(SELF)
def me():
    """The caller: username, real name, department, roles."""
    return jsonify(user_json(current_user))


@bp.get("/users")
@operation(answer="Users", errors=(400,), params=[
    query("department", {"type": "integer", "minimum": 1}, "a department's id"),
    query("state", enum(USER_STATES)), *PAGE])
@requires("user.manage")
def users_list():
    """Users, filtered by department and state (U1)."""
    _manager_only()
    page, per_page = page_args()
    q = service.users(id_arg("department"), request.args.get("state") or None)
    return listing(db.paginate(q, page=page, per_page=per_page, error_out=False), user_json)


def _manager_only() -> None:
    if not policy.can_manage_users(current_user):  # U6: the system administrator
        raise Refused(_("You do not have permission for this page."), code="forbidden", status=403)


def _roles(data: dict, department_id: int):
    roles = field(data, "roles", list, required=False, default=[])
    out = []
    for r in roles:
        if isinstance(r, str):
            out.append(service.parse_role(r, department_id))
        elif isinstance(r, dict) and isinstance(r.get("role"), str) and set(r) <= {"role", "scope_type", "scope_id"}:
            if "scope_type" not in r and "scope_id" not in r:
                out.append(service.parse_role(r["role"], department_id))
                continue
            kind, ident = r.get("scope_type"), r.get("scope_id")
            if kind is None and ident is not None or kind is not None and not db_int(ident):
                raise Refused(_("A role for a scope names scope_type and scope_id; a global one neither."),
                              code="invalid", status=400, fields={"roles": [r["role"]]})
            out.append((r["role"], kind, ident))
        else:
            raise Refused(_("roles: a list of role names or {role, scope_type, scope_id}"), code="invalid",
                          status=400, fields={"roles": [_("Wrong type.")]})
    return out


@bp.post("/users")
@operation(ok=201, answer="NewUser", body="UserInput", errors=(400, 404, 422))
@requires("user.manage")
def users_create():
    """Create a user (U1); the initial password is returned once."""
    from datetime import date

    _manager_only()
    data = json_body()
    department_id = field(data, "department", int)
    user, password = service.create_user(
        username=field(data, "username"), real_name=field(data, "real_name"), department_id=department_id,
        title=field(data, "title", required=False, default=""), phone=field(data, "phone", required=False, default=""),
        hire_date=field(data, "hire_date", date, required=False), roles=_roles(data, department_id))
    return jsonify({**user_json(user), "initial_password": password}), 201


@bp.post("/users/<int:user_id>/depart")
@operation(answer="User", body="Departure", errors=(400, 409, 422))
@requires("user.manage")
def users_depart(user_id: int):
    """Mark a user departed: logins and tokens stop at once (U4)."""
    from datetime import date

    data = json_body()
    user = service.get_user(user_id)
    if not policy.can_confirm_departure(current_user, user):
        raise Refused(_("A departure is confirmed by an administrator (U4)."), code="U4", status=403)
    confirmed_by = current_user
    if data.get("confirmed_by") is not None:
        confirmed_by = service.get_by_username(field(data, "confirmed_by"))
    service.depart(user, field(data, "date", date), confirmed_by=confirmed_by)
    return jsonify(user_json(user))
