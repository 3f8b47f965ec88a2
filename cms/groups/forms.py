"""The work-group forms: they parse; cms/groups/operations.py checks every value."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Optional


class FilingForm(FlaskForm):
    """工作微信群备案表 (G2)."""

    name = StringField(_l("Group name"))
    category = SelectField(_l("Category (G1)"), validate_choice=False)
    purpose = TextAreaField(_l("Purpose"))
    department = SelectField(_l("Department"), validate_choice=False)
    owner = StringField(_l("Owner (username, G3)"))
    ends_on = DateField(_l("Expected end (temporary groups, G7)"), validators=[Optional()])
    submit = SubmitField(_l("File the group"))


class ActionForm(FlaskForm):
    """A button that only needs its CSRF token."""


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"))


class MemberForm(FlaskForm):
    username = StringField(_l("Username"))
    external_name = StringField(_l("Or an outside partner's name (partner groups)"))
    nickname = StringField(_l("Nickname in the group"))
    submit = SubmitField(_l("Add member"))


class NicknameForm(FlaskForm):
    nickname = StringField(_l("Nickname in the group"))


class ExtendForm(FlaskForm):
    until = DateField(_l("Dissolve by"), validators=[Optional()])
    reason = StringField(_l("Reason for the extension"))


class MessageForm(FlaskForm):
    """G11: a leader's same-day task (with the person responsible) or a notice."""

    kind = SelectField(_l("Kind"), choices=[("task", _l("Same-day task (answer within 30 minutes)")),
                                            ("notice", _l("Notice (acknowledge 收到)"))], validate_choice=False)
    text = TextAreaField(_l("Text"))
    leader = StringField(_l("Leader who assigned it (username)"))
    responsible = StringField(_l("Person responsible (username, tasks)"))
    submit = SubmitField(_l("Record and send"))


class ShirkForm(FlaskForm):
    kind = SelectField(_l("What happened"), choices=[("shirked", _l("Shirked")), ("delayed", _l("Delayed"))],
                       validate_choice=False)
