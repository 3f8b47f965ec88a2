from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from cms.followers.rules import REPLY_MAX


class AnswerForm(FlaskForm):
    text = TextAreaField(_l("Answer"), validators=[Length(max=REPLY_MAX * 4)], render_kw={"rows": 4})
    confirm = BooleanField(_l("I have checked the warnings and send the answer as it is (C16)"))
    submit = SubmitField(_l("Send the answer"))


class FetchForm(FlaskForm):
    begin = DateField(_l("First day"), validators=[Optional()])
    end = DateField(_l("Last day"), validators=[Optional()])
    submit = SubmitField(_l("Fetch now"))
