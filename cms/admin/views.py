"""User and department administration (sysadmin)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cms.admin.forms import AddRoleForm, ConfirmForm, DepartForm, DepartmentForm, UserForm
from cms.auth import policy, queries, service
from cms.auth.models import USER_STATES, RoleAssignment
from cms.errors import NotFound, Refused
from cms.extensions import db
from cms.web import flash_refusal, requires

bp = Blueprint("admin", __name__)


def _department_choices(form_field, blank: str | None = None):
    choices = [(d.id, "　" * depth + d.name) for depth, d in service.department_tree()]
    form_field.choices = ([(0, blank)] if blank else []) + choices


@bp.route("/users")
@requires("user.manage")
def users():
    department = request.args.get("department", type=int)
    state = request.args.get("state") or None
    if state not in (None, *USER_STATES):
        state = None
    page = db.paginate(service.users(department, state), per_page=50, error_out=False)
    return render_template("admin/users.html", page=page, tree=service.department_tree(),
                           department=department, state=state, states=USER_STATES)


@bp.route("/users/new", methods=["GET", "POST"])
@requires("user.manage")
def user_new():
    form = UserForm()
    _department_choices(form.department_id)
    if form.validate_on_submit():
        try:
            user, password = service.create_user(
                username=form.username.data, real_name=form.real_name.data, department_id=form.department_id.data,
                title=form.title.data, phone=form.phone.data or "", hire_date=form.hire_date.data)
        except Refused as e:
            flash_refusal(e, form, {"department": "department_id"})
        else:
            flash(_("User %(name)s created. Initial password (shown once): %(pw)s", name=user.username, pw=password),
                  "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=None), 400 if form.errors else 200


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires("user.manage")
def user_edit(user_id: int):
    user = service.get_user(user_id)
    form = UserForm(obj=user)
    del form.username
    _department_choices(form.department_id)
    if form.validate_on_submit():
        try:
            service.update_user(user, real_name=form.real_name.data, department_id=form.department_id.data,
                                title=form.title.data, phone=form.phone.data or "", hire_date=form.hire_date.data)
        except Refused as e:
            flash_refusal(e, form, {"department": "department_id"})
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    role_form = AddRoleForm(prefix="role")
    role_form.fill(service.department_tree())
    scopes = {d.id: d.path() for _depth, d in service.department_tree()}
    return render_template("admin/user_form.html", form=form, user=user, role_form=role_form, scopes=scopes,
                           confirm=ConfirmForm(prefix="confirm"), depart_form=DepartForm(prefix="depart")), \
        400 if form.errors else 200


@bp.route("/users/<int:user_id>/roles", methods=["POST"])
@requires("user.manage")
def user_add_role(user_id: int):
    user = service.get_user(user_id)
    form = AddRoleForm(prefix="role")
    form.fill(service.department_tree())
    if not form.validate_on_submit():
        flash(_("Choose a role and a scope."), "danger")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    scope_type, _sep, scope_id = form.scope.data.partition(":")
    wanted = [r.spec for r in user.roles]
    wanted.append((form.role.data, scope_type or None, int(scope_id) if scope_id else None))
    try:
        service.set_roles(user, wanted)
        flash(_("Role added."), "success")
    except Refused as e:
        flash(e.message, "danger")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/roles/<int:assignment_id>/remove", methods=["POST"])
@requires("user.manage")
def user_remove_role(user_id: int, assignment_id: int):
    user = service.get_user(user_id)
    if not ConfirmForm(prefix="confirm").validate_on_submit():
        flash(_("The form has expired. Try again."), "danger")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    assignment = db.session.get(RoleAssignment, assignment_id)
    if assignment is None or assignment.user_id != user.id:
        raise NotFound(_("No such role assignment."))
    service.set_roles(user, [r.spec for r in user.roles if r.id != assignment_id])
    flash(_("Role removed."), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/<any(lock, unlock, reset):action>", methods=["POST"])
@requires("user.manage")
def user_action(user_id: int, action: str):
    user = service.get_user(user_id)
    form = ConfirmForm(prefix="confirm")
    if not form.validate_on_submit():
        flash(_("The form has expired. Try again."), "danger")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    try:
        if action == "lock":
            service.lock(user, form.reason.data or "")
            flash(_("%(name)s is locked; open sessions and tokens have stopped.", name=user.real_name), "success")
        elif action == "unlock":
            service.unlock(user)
            flash(_("%(name)s is unlocked.", name=user.real_name), "success")
        else:
            password = service.force_reset(user)
            flash(_("New one-time password for %(name)s (shown once; it must be changed at login): %(pw)s",
                    name=user.real_name, pw=password), "success")
    except Refused as e:
        flash(e.message, "danger")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/depart", methods=["POST"])
@requires("user.manage")
def user_depart(user_id: int):
    user = service.get_user(user_id)
    form = DepartForm(prefix="depart")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "danger")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    try:
        service.depart(user, form.leave_date.data, confirmed_by=current_user)
        flash(_("%(name)s is marked departed; login and API tokens have stopped (U4).", name=user.real_name),
              "success")
    except Refused as e:
        flash(e.message, "danger")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/departments", methods=["GET", "POST"])
@requires("user.manage")
def departments():
    form = DepartmentForm()
    _department_choices(form.parent_id, blank=_("(top level)"))
    if form.validate_on_submit():
        try:
            service.create_department(form.name.data, form.parent_id.data or None, form.kind.data,
                                      is_office=form.is_office.data, is_admin_office=form.is_admin_office.data)
        except Refused as e:
            flash_refusal(e, form)
        else:
            flash(_("Unit added."), "success")
            return redirect(url_for("admin.departments"))
    return render_template("admin/departments.html", form=form, tree=service.department_tree()), \
        400 if form.errors else 200


@bp.route("/contributors")
@requires("post.read_all")
def contributors():
    """C6: each department's contributors (供稿员), and the departments that have designated nobody."""
    if not policy.can_view_contributors(current_user):
        abort(403)
    register = queries.contributor_register()
    return render_template("admin/contributors.html", register=register,
                           missing=sum(1 for _d, users in register if not users))
