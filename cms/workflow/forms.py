"""Forms of the review chain. Most carry only the CSRF token: their fields vary per post (a reason
per warning, a push choice per WeChat channel, a row per step) and the views read them by name."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from cms.workflow import engine

STEP_FLAGS = ("may_edit", "decides_push", "may_escalate", "conditional")


class CsrfForm(FlaskForm):
    pass


class DecisionForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class DelegationForm(FlaskForm):
    deputy = SelectField(_l("Deputy"), coerce=int, validators=[DataRequired()])
    starts_at = DateTimeLocalField(_l("From"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Until"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=200)])


class RuleForm(FlaskForm):
    channel = SelectField(_l("Channel"), coerce=str)
    category = SelectField(_l("Category"), coerce=str)
    template = SelectField(_l("Chain"), coerce=int)


def reasons_from(form) -> dict[str, str]:
    """`reason-<finding id>` fields → {finding id: reason}."""
    return {k.removeprefix("reason-"): v for k, v in form.items() if k.startswith("reason-")}


def push_from(form) -> dict[str, bool] | None:
    """`push-<channel id>` = push | publish → {channel id: bool}; None when the form has none."""
    out = {k.removeprefix("push-"): v == "push" for k, v in form.items() if k.startswith("push-") and v}
    return out or None


def steps_from(form) -> list[dict]:
    """Rows `role-<i>`, `scope-<i>`, `due_hours-<i>`, flags, `remove-<i>`, ordered by `order-<i>`;
    a row with no role is left out (the blank row for adding one)."""
    rows = []
    for key in form:
        if not key.startswith("role-"):
            continue
        i = key.removeprefix("role-")
        if not form.get(key) or form.get(f"remove-{i}"):
            continue
        try:
            order = float(form.get(f"order-{i}") or i)
        except ValueError:
            order = 0.0
        rows.append((order, {"role": form.get(key), "scope": form.get(f"scope-{i}"),
                             "due_hours": form.get(f"due_hours-{i}") or engine.DEFAULT_DUE_HOURS,
                             **{f: bool(form.get(f"{f}-{i}")) for f in STEP_FLAGS}}))
    return [r for _, r in sorted(rows, key=lambda x: x[0])]



