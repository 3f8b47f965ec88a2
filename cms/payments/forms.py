"""The WeChat Pay forms. They parse only; the operations validate and name the policy. Amounts are
typed in yuan and read as text into fen (rules.parse_yuan), never through a float."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, PasswordField, SelectField, StringField, SubmitField, TextAreaField

from cms.payments import rules


class ActionForm(FlaskForm):
    """A button posting nothing but its CSRF token."""


class EnrolForm(FlaskForm):
    reason = TextAreaField(_l("Business reason (P3)"))
    submit = SubmitField(_l("File the application form"))


class ReviewForm(FlaskForm):
    comment = StringField(_l("Comment (required to refuse)"))


class PaymentForm(FlaskForm):
    amount = StringField(_l("Amount (yuan)"), render_kw={"inputmode": "decimal", "placeholder": "1234.50"})
    purpose = TextAreaField(_l("Purpose: the business need (P4)"))
    budget_line = SelectField(_l("Budget line (P4)"), choices=[], validate_choice=False)
    payee_name = StringField(_l("Payee"))
    payee_openid = StringField(_l("Payee's WeChat openid (for a transfer)"))
    planned_date = StringField(_l("Planned date"), render_kw={"type": "date"})
    planned_time = StringField(_l("Planned time"), render_kw={"type": "time"})
    submit = SubmitField(_l("File the payment"))

    def amount_fen(self) -> int | None:
        try:
            return rules.parse_yuan(self.amount.data)
        except rules.BadAmount:
            self.amount.errors = [str(_l("An amount in yuan with at most two decimals, e.g. 1234.50."))]
            return None


class ManualForm(FlaskForm):
    reference = StringField(_l("Transaction number in the WeChat app"))
    paid_date = StringField(_l("Paid on"), render_kw={"type": "date"})
    paid_time = StringField(_l("Paid at"), render_kw={"type": "time"})
    submit = SubmitField(_l("Record as paid by hand"))


class CancelForm(FlaskForm):
    reason = StringField(_l("Reason"))


class OverrideForm(FlaskForm):
    day = DateField(_l("Day"))
    limit = StringField(_l("New ceiling for the day (yuan)"))
    reason = SelectField(_l("Case (P5)"), choices=[("major_activity", _l("Major business activity approved by a leader")),
                                                  ("emergency", _l("Emergency"))], validate_choice=False)
    note = TextAreaField(_l("Note: the activity or emergency"))
    submit = SubmitField(_l("Raise the limit for this day"))


class AccountRequestForm(FlaskForm):
    kind = SelectField(_l("Request"), choices=[("open", _l("Open an account")), ("change", _l("Change the account")),
                                               ("close", _l("Close the account"))], validate_choice=False)
    name = StringField(_l("Account name"))
    mch_id = StringField(_l("Merchant number (商户号)"))
    app_id = StringField(_l("AppID"))
    custodian_id = SelectField(_l("Custodian (P1)"), choices=[], validate_choice=False)
    daily_limit = StringField(_l("Daily limit (yuan, blank: the setting)"))
    api_key = PasswordField(_l("API key"), render_kw={"autocomplete": "new-password"})
    cert_pem = FileField(_l("API certificate (apiclient_cert.pem)"))
    key_pem = FileField(_l("Certificate key (apiclient_key.pem)"))
    reason = TextAreaField(_l("Reason (P2)"))
    submit = SubmitField(_l("Send to finance for approval"))


class DecideForm(FlaskForm):
    comment = StringField(_l("Comment (required to refuse)"))


class ReportForm(FlaskForm):
    account_id = SelectField(_l("Account"), choices=[], validate_choice=False)
    kind = SelectField(_l("What happened"), choices=[("anomaly", _l("An anomaly in the account")),
                                                     ("leaked_password", _l("The payment password leaked"))],
                       validate_choice=False)
    text = TextAreaField(_l("Details"))
    submit = SubmitField(_l("Report to finance"))


class NoteForm(FlaskForm):
    note = StringField(_l("Note"))


class BudgetForm(FlaskForm):
    year = StringField(_l("Year"))
    name = StringField(_l("Budget line"))
    amount = StringField(_l("Amount (yuan)"))
    submit = SubmitField(_l("Save the budget line"))


class BillForm(FlaskForm):
    bill = FileField(_l("Fund-flow bill file (CSV as downloaded from the merchant platform)"))


class InspectionForm(FlaskForm):
    note = StringField(_l("Note"))
    submit = SubmitField(_l("Save the checklist"))
