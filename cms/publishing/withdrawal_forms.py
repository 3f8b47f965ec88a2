"""Forms of the withdrawal pages: they parse only; cms.publishing.withdrawals decides (its messages,
naming the field and the policy, are the ones shown)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

KIND_LABELS = {"withdraw": _l("Withdraw: take it down for good"),
               "correct": _l("Correct: take it down, then publish a corrected revision after review")}
STATE_LABELS = {"pending": _l("Waiting for the supervisor"), "approved": _l("Approved, being carried out"),
                "rejected": _l("Rejected"), "done": _l("Done"), "failed": _l("Failed")}
STATE_BADGES = {"pending": "warning", "approved": "info", "rejected": "secondary", "done": "success",
                "failed": "danger"}


class WithdrawalForm(FlaskForm):
    kind = RadioField(_l("What to do"), choices=list(KIND_LABELS.items()), default="withdraw", validate_choice=False)
    reason = TextAreaField(_l("Reason (kept with the request, U7)"), render_kw={"rows": 3, "maxlength": 2000})
    channels = SelectMultipleField(_l("Channels (none ticked: every channel it is published on)"), coerce=int,
                                   validate_choice=False, option_widget=CheckboxInput(),
                                   widget=ListWidget(prefix_label=False))
    submit = SubmitField(_l("Ask the platform supervisor"))


class DecisionForm(FlaskForm):
    note = TextAreaField(_l("Note (required to reject)"), render_kw={"rows": 2, "maxlength": 2000})
    approve = SubmitField(_l("Approve and carry out"))
    reject = SubmitField(_l("Reject"))
