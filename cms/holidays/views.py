"""The working-day calendar settings page (administrators: settings.manage): holidays and swapped
working days for the years chinese-calendar does not know, typed one by one or pasted as a list.
Thin views: the service checks, stores and audits."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from cms import workdays
from cms.errors import Refused
from cms.holidays import service
from cms.holidays.forms import DayForm, DeleteForm, PasteForm
from cms.web import flash_refusal, requires
from cms.worklist import provider

bp = Blueprint("holidays", __name__)


@provider
def _calendar_gaps(user):
    """Administrators see each year within 60 days that has no working-day data, linked here."""
    if not user.holds("settings.manage"):
        return None
    found = service.warnings()
    if not found:
        return None
    return {"title": _("Holidays and working days"),
            "items": [{"label": message, "url": url_for("holidays.index", year=year), "overdue": True}
                      for year, message in found]}


def _refused(e: Refused, form) -> None:
    """The whole message on top, and each field's note beside the field."""
    flash(e.message, "danger")
    if e.fields:
        flash_refusal(e, form)


def _year() -> int:
    year = request.args.get("year", type=int)
    if year is None or not 2000 <= year <= 2099:
        missing = service.missing_years()
        year = missing[0][0] if missing else workdays.today().year
    return year


def _page(year: int, day_form: DayForm | None = None, paste_form: PasteForm | None = None, status: int = 200):
    calendar_known = not workdays.calendar_gaps([year])
    return render_template(
        "holidays/index.html", year=year, entries=service.entries(year), counts=service.year_counts(),
        calendar_known=calendar_known, warnings=service.warnings(), kind_label=service.kind_label,
        day_form=day_form or DayForm(prefix="day"), paste_form=paste_form or PasteForm(prefix="paste"),
        delete_form=DeleteForm(prefix="delete"), today=workdays.today()), status


@bp.route("/")
@requires("settings.manage")
def index():
    return _page(_year())


@bp.route("/add", methods=["POST"])
@requires("settings.manage")
def add():
    form = DayForm(prefix="day")
    year = _year()
    if form.validate_on_submit():
        try:
            entry = service.add(form.day.data, form.kind.data, form.name.data)
        except Refused as e:
            _refused(e, form)
            return _page(year, day_form=form, status=e.status if e.status < 500 else 400)
        flash(_("%(day)s saved as %(kind)s.", day=entry.day.isoformat(), kind=service.kind_label(entry.kind)),
              "success")
        return redirect(url_for("holidays.index", year=entry.day.year))
    return _page(year, day_form=form, status=400)


@bp.route("/paste", methods=["POST"])
@requires("settings.manage")
def paste():
    form = PasteForm(prefix="paste")
    year = _year()
    if form.validate_on_submit():
        try:
            counts, first = service.import_list(form.kind.data, form.text.data or "")
        except Refused as e:
            _refused(e, form)
            return _page(year, paste_form=form, status=400)  # the pasted text stays in the form
        flash(_("Saved: %(added)d added, %(changed)d changed, %(same)d unchanged.", added=counts["add"],
                changed=counts["change"], same=counts["same"]), "success")
        return redirect(url_for("holidays.index", year=first.year))
    return _page(year, paste_form=form, status=400)


@bp.route("/<int:entry_id>", methods=["GET", "POST"])
@requires("settings.manage")
def edit(entry_id: int):
    entry = service.get(entry_id)
    form = DayForm(obj=entry)
    if form.validate_on_submit():
        try:
            changed = service.update(entry, form.day.data, form.kind.data, form.name.data)
        except Refused as e:
            _refused(e, form)
        else:
            flash(_("Saved.") if changed else _("Nothing changed."), "success")
            return redirect(url_for("holidays.index", year=entry.day.year))
    return render_template("holidays/edit.html", entry=entry, form=form, kind_label=service.kind_label), \
        400 if request.method == "POST" else 200


@bp.route("/<int:entry_id>/delete", methods=["POST"])
@requires("settings.manage")
def delete(entry_id: int):
    entry = service.get(entry_id)
    year = entry.day.year
    if not DeleteForm(prefix="delete").validate_on_submit():
        flash(_("The form has expired. Try again."), "danger")
        return redirect(url_for("holidays.index", year=year))
    day = entry.day.isoformat()
    service.delete(entry)
    flash(_("%(day)s deleted: it follows the official calendar again.", day=day), "success")
    return redirect(url_for("holidays.index", year=year))
