"""GET /me and the People endpoints (API.md)."""
from flask import jsonify, request
from flask_login import current_user

from cms.api import bp
from cms.api.util import field, json_body, listing, page_args
from cms.auth import service
from cms.auth.models import User
from cms.extensions import db
from cms.permissions import SELF
from cms.web import requires


def user_json(u: User) -> dict:
    return {
        "id": u.id, "username": u.username, "real_name": u.real_name,
        "department": {"id": u.department_id, "name": u.department.name},
        "title": u.title, "phone": u.phone,
        "roles": [{"role": r.role, "scope_type": r.scope_type, "scope_id": r.scope_id} for r in u.roles],
        "hire_date": u.hire_date.isoformat() if u.hire_date else None,
        "leave_date": u.leave_date.isoformat() if u.leave_date else None,
        "state": u.state,
    }


@bp.get("/me")
@requires(SELF)
def me():
    """The caller: username, real name, department, roles."""
    return jsonify(user_json(current_user))


@bp.get("/users")
@requires("user.manage")
def users_list():
    """Users, filtered by department and state."""
    page, per_page = page_args()
    q = service.users(request.args.get("department", type=int), request.args.get("state") or None)
    return listing(db.paginate(q, page=page, per_page=per_page, error_out=False), user_json)


def _roles(data: dict, department_id: int):
    roles = field(data, "roles", list, required=False, default=[])
    out = []
    for r in roles:
        if isinstance(r, str):
            out.append(service.parse_role(r, department_id))
        elif isinstance(r, dict) and isinstance(r.get("role"), str):
            out.append(service.parse_role(r["role"], department_id) if "scope_type" not in r
                       else (r["role"], r.get("scope_type"), r.get("scope_id")))
        else:
            from cms.errors import Refused

            raise Refused("roles: a list of role names or {role, scope_type, scope_id}", code="invalid", status=400)
    return out


@bp.post("/users")
@requires("user.manage")
def users_create():
    """Create a user; the initial password is returned once."""
    from datetime import date

    data = json_body()
    department_id = field(data, "department", int)
    user, password = service.create_user(
        username=field(data, "username"), real_name=field(data, "real_name"), department_id=department_id,
        title=field(data, "title", required=False, default=""), phone=field(data, "phone", required=False, default=""),
        hire_date=field(data, "hire_date", date, required=False), roles=_roles(data, department_id))
    return jsonify({**user_json(user), "initial_password": password}), 201


@bp.post("/users/<int:user_id>/depart")
@requires("user.manage")
def users_depart(user_id: int):
    """Mark a user departed: logins and tokens stop at once (U4)."""
    from datetime import date

    data = json_body()
    user = service.get_user(user_id)
    confirmed_by = current_user
    if data.get("confirmed_by"):
        confirmed_by = service.get_by_username(field(data, "confirmed_by"))
    service.depart(user, field(data, "date", date), confirmed_by=confirmed_by)
    return jsonify(user_json(user))
