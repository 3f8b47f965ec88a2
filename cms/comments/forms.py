"""The comment pages' forms (CSRF on each)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length


class ActionForm(FlaskForm):
    """A button that POSTs (with its CSRF token) and carries nothing else."""


class ReplyForm(FlaskForm):
    text = TextAreaField(_l("Reply"), render_kw={"rows": 4})
    confirm_warnings = BooleanField(_l("I have read the warnings and send the reply as it is"))
    submit = SubmitField(_l("Send reply"))


class DeleteForm(FlaskForm):
    reason = StringField(_l("Reason for deleting"), validators=[Length(max=500)])
    submit = SubmitField(_l("Delete comment"))


class TemplateForm(FlaskForm):
    title = StringField(_l("Title"))
    text = TextAreaField(_l("Text"), render_kw={"rows": 3})
    submit = SubmitField(_l("Save"))
