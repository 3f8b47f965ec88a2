"""The scheduling form (C8); the channel forms are in cms/channels/forms.py."""
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField


class ScheduleForm(FlaskForm):
    """Publish now, or at a time today in CMS_TIMEZONE (C8); another day only by the platform
    supervisor with a reason. Parses only: scheduling.schedule decides."""

    time = StringField(_l("Time today (HH:MM)"), render_kw={"inputmode": "numeric", "placeholder": "15:30"})
    day = StringField(_l("Another day (YYYY-MM-DD; platform supervisor only, C8)"),
                      render_kw={"placeholder": "YYYY-MM-DD"})
    override_reason = StringField(_l("Reason for another day (C8)"))
    next = HiddenField()
    publish_now = SubmitField(_l("Publish now"))
    schedule_at = SubmitField(_l("Schedule"))

    def when(self, zone, today):
        """None for now, else the aware time asked for; field errors added for bad input."""
        if self.publish_now.data and not (self.time.data or "").strip():
            return None
        raw = (self.time.data or "").strip()
        if not raw:
            self.time.errors = [*self.time.errors, _l("Enter a time as HH:MM, or publish now.")]
            return False
        try:
            at_time = datetime.strptime(raw, "%H:%M").time()
        except ValueError:
            self.time.errors = [*self.time.errors, _l("Enter a time as HH:MM, e.g. 15:30.")]
            return False
        day_raw = (self.day.data or "").strip()
        day = today
        if day_raw:
            try:
                day = date.fromisoformat(day_raw)
            except ValueError:
                self.day.errors = [*self.day.errors, _l("Enter a date as YYYY-MM-DD.")]
                return False
        return datetime.combine(day, at_time, zone)
