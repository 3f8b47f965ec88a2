from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, DateTimeLocalField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from cms.violations import rules

CATEGORY_CHOICES = [(k, v) for k, v in rules.CATEGORY_LABELS.items()]
HANDLING_CHOICES = [("", "—")] + [(k, v) for k, v in rules.HANDLING_LABELS.items()]


class RecordForm(FlaskForm):
    subject_user = SelectField(_l("Person (a user)"), choices=[], validate_choice=False)
    subject_name = StringField(_l("Or the name of someone outside the company"), validators=[Length(max=64)])
    category = SelectField(_l("Category (C15)"), choices=CATEGORY_CHOICES)
    context = StringField(_l("Where"), validators=[Length(max=200)],
                          render_kw={"placeholder": "工作群：市场部工作群"})
    context_ref = StringField(_l("Reference"), validators=[Optional(), Length(max=64)],
                              render_kw={"placeholder": "group:12"})
    occurred_at = DateTimeLocalField(_l("When it happened"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    what = TextAreaField(_l("What happened"), validators=[DataRequired(_l("Required.")), Length(max=5000)],
                         render_kw={"rows": 5})
    amount = StringField(_l("Proposed fine (yuan)"), validators=[Optional(), Length(max=20)])
    files = MultipleFileField(_l("Evidence (images or PDF)"))
    confirm = BooleanField(_l("Confirm at once"), default=True)
    submit = SubmitField(_l("Record"))


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Confirm"))


class DismissForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(_l("Give the reason.")), Length(max=2000)],
                           render_kw={"rows": 2})
    submit = SubmitField(_l("Dismiss the record"))


class HandleForm(FlaskForm):
    handling = SelectField(_l("Handling (U8)"), choices=HANDLING_CHOICES)
    amount = StringField(_l("Amount (yuan)"), validators=[Optional(), Length(max=20)])
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)], render_kw={"rows": 2})
    submit = SubmitField(_l("Save the handling"))


class ReportForm(FlaskForm):
    note = TextAreaField(_l("Note to legal"), validators=[Length(max=2000)], render_kw={"rows": 2})
    submit = SubmitField(_l("Reported to legal"))


class EvidenceForm(FlaskForm):
    files = MultipleFileField(_l("Add evidence (images or PDF)"))
    submit = SubmitField(_l("Upload"))
