"""The report filter (a GET form: links to a report can be shared and bookmarked)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import InputRequired

from app.inputs import to_int

DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
PRESETS = {
    "this_month": _l("This month"),
    "last_3_months": _l("Last 3 months"),
    "this_year": _l("This year"),
    "last_12_months": _l("Last 12 months"),
}
DEFAULT_PRESET = "last_12_months"


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), moved back to the month's last day if needed."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def preset_period(code: str, today: date) -> tuple[date, date]:
    """First and last day (inclusive) of a preset period."""
    if code == "this_month":
        return today.replace(day=1), today.replace(day=calendar.monthrange(today.year, today.month)[1])
    if code == "last_3_months":
        return add_months(today, -3) + timedelta(days=1), today
    if code == "this_year":
        return date(today.year, 1, 1), date(today.year, 12, 31)
    if code == "last_12_months":
        return add_months(today, -12) + timedelta(days=1), today
    raise ValueError(f"unknown preset {code!r}")


class ReportFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    date_from = DateField(
        lazy_pgettext("date range", "From"),
        format=DATE_FORMATS,
        validators=[InputRequired(message=_l("Give the first day of the period."))],
    )
    date_to = DateField(
        lazy_pgettext("date range", "To"),
        format=DATE_FORMATS,
        validators=[InputRequired(message=_l("Give the last day of the period."))],
    )
    municipality = SelectField(_l("Municipality"), choices=[], default="")
    organization = SelectField(_l("Organization"), choices=[], default="")

    @staticmethod
    def id_or_none(value: str | None) -> int | None:
        return to_int(value)
