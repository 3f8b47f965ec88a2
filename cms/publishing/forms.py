"""The scheduling form (C8); the channel forms are in cms/channels/forms.py."""
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField


class ScheduleForm(FlaskForm):
    """Publish now, or at a time on a day up to the post's C8 day (the later of today and the day it
    is due: rules.same_day, worded by rules.publish_window); a later day only by the platform
    supervisor with a reason. Parses only: scheduling.schedule decides."""

    time = StringField(_l("Time today (HH:MM)"), render_kw={"inputmode": "numeric", "placeholder": "15:30"})
    day = StringField(_l("Day (empty: today)"))
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
                self.day.errors = [*self.day.errors, _l("Pick a day in the date field (year, month, day).")]
                return False
        return datetime.combine(day, at_time, zone)
