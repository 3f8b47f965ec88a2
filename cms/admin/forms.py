from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from cms.permissions import ROLES, role_label


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(_l("Enter a username.")), Length(max=64),
        Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Letters, digits, '-', '_' and '.' only."))])
    real_name = StringField(_l("Real name"), validators=[DataRequired(_l("The real name is required (U1).")),
                                                         Length(max=64)])
    department_id = SelectField(_l("Department"), coerce=int, validators=[DataRequired(_l("Choose a department."))])
    title = StringField(_l("Title"), validators=[Length(max=64)])
    phone = StringField(_l("Phone"), validators=[Length(max=32), Optional(),
                                                 Regexp(r"^[0-9+\- ]+$", message=_l("Digits, '+', '-' and spaces only."))])
    hire_date = DateField(_l("Hire date"), validators=[Optional()])
    submit = SubmitField(_l("Save"))


class AddRoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[])
    scope = SelectField(_l("Scope"), choices=[])
    submit = SubmitField(_l("Add role"))

    def fill(self, departments):
        self.role.choices = [(r, role_label(r)) for r in ROLES]
        self.scope.choices = [("", str(_l("Whole company")))] + [
            (f"department:{d.id}", d.path()) for _depth, d in departments]


class ConfirmForm(FlaskForm):
    """A button that changes state: CSRF-protected like every form."""
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Confirm"))


class DepartForm(FlaskForm):
    leave_date = DateField(_l("Leave date"), validators=[DataRequired(_l("Enter the leave date."))])
    confirm = BooleanField(_l("I confirm this employee has left and all access is to be removed (U4)."),
                           validators=[DataRequired(_l("Tick the confirmation."))])
    submit = SubmitField(_l("Mark departed"))


class DepartmentForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("The department needs a name.")), Length(max=100)])
    parent_id = SelectField(_l("Parent unit"), coerce=int)
    kind = SelectField(_l("Kind"), choices=[("department", _l("Department")), ("subsidiary", _l("Subsidiary")),
                                            ("group", _l("Group company"))])
    is_office = BooleanField(_l("Office (editors and proofreaders)"))
    is_admin_office = BooleanField(_l("Administration office (group filings)"))
    submit = SubmitField(_l("Add unit"))
