from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from cms.holidays.rules import HOLIDAY, NAME_MAX, WORKDAY

KIND_CHOICES = [(HOLIDAY, _l("Holiday (no work)")), (WORKDAY, _l("Swapped working day (a weekend day worked)"))]


class DayForm(FlaskForm):
    """One day typed in, or one entry changed."""
    day = DateField(_l("Date"), validators=[DataRequired(_l("Enter the date as YYYY-MM-DD."))])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    name = StringField(_l("Name"), validators=[Optional(), Length(max=NAME_MAX)])
    submit = SubmitField(_l("Save"))


class PasteForm(FlaskForm):
    """A pasted list: one date a line (YYYY-MM-DD or YYYY/MM/DD), optionally followed by a name."""
    kind = SelectField(_l("These dates are"), choices=KIND_CHOICES)
    text = TextAreaField(_l("Dates, one a line"), validators=[Length(max=40000)],
                         render_kw={"rows": 10, "placeholder": "2027-02-06 春节\n2027/02/07 春节"})
    submit = SubmitField(_l("Save the list"))


class DeleteForm(FlaskForm):
    submit = SubmitField(_l("Delete"))
