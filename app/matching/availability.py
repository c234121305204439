"""When a helper can be offered or planned an errand: pure rules, no Flask, no database.

* **Weekly availability** (the profile's ``(weekday, part of day)`` pairs) holds
  for offers and plans once the helper has given any: every part of day the
  errand touches must be marked. An empty availability means "not told" and
  excludes nothing (the score still rewards a marked part of day).
* **Exceptions** the helper marks ("not this week", a holiday, an exam week):
  whole local days on which they are not offered anything.
* **Minors' school hours**: on a school day of the Finnish school calendar of
  their municipality (term dates and the autumn, Christmas, winter and Easter
  breaks, kept as data in ``app/matching/data/``), a minor is not offered an
  errand that overlaps the school hours.
* **Weekly caps** (errands and hours a week, chosen by the helper; minors get a
  default errand cap) are counted by the planner over the week.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from .score import HELSINKI, slots_for_window

DATA_DIR = Path(__file__).parent / "data"

#: Why a helper cannot be offered an errand by these rules (see the module docstring).
UNAVAILABLE = "unavailable"
EXCEPTION = "exception"
SCHOOL_HOURS = "school_hours"


@dataclass(frozen=True, slots=True)
class SchoolCalendar:
    """One municipality's school year: terms, breaks (name -> first and last day) and school hours."""

    terms: tuple[tuple[date, date], ...]
    breaks: tuple[tuple[str, date, date], ...]
    hours: tuple[time, time] = (time(8), time(15))
    holidays: frozenset[date] = frozenset()

    def is_school_day(self, day: date) -> bool:
        if day.weekday() >= 5 or day in self.holidays:
            return False
        if not any(first <= day <= last for first, last in self.terms):
            return False
        return not any(first <= day <= last for _, first, last in self.breaks)


def _span(pair: list[str]) -> tuple[date, date]:
    return date.fromisoformat(pair[0]), date.fromisoformat(pair[1])


def calendar_from_data(data: dict, municipality: str | None) -> SchoolCalendar:
    """The calendar of ``municipality`` from a school year's data (its own terms
    or breaks where it differs from the default)."""
    base = dict(data["default"])
    base.update(data.get("municipalities", {}).get(municipality or "", {}))
    start, end = (time.fromisoformat(v) for v in base.get("hours", ("08:00", "15:00")))
    breaks = dict(data["default"].get("breaks", {}))
    breaks.update(base.get("breaks", {}))
    return SchoolCalendar(
        terms=tuple(_span(p) for p in base["terms"]),
        breaks=tuple((name, *_span(p)) for name, p in sorted(breaks.items())),
        hours=(start, end),
        holidays=frozenset(date.fromisoformat(d) for d in base.get("holidays", ())),
    )


def school_year_of(day: date) -> str:
    """The school year a day belongs to, as its file is named ("2026-2027"); it changes on 1 August."""
    first = day.year if day.month >= 8 else day.year - 1
    return f"{first}-{first + 1}"


def load_calendar(calendar: str, day: date, municipality: str | None) -> SchoolCalendar | None:
    """The school calendar ``calendar`` (a folder of ``DATA_DIR``, the setting
    SCHOOL_CALENDAR) for the school year of ``day`` and the municipality, or
    None when that year has no file."""
    path = DATA_DIR / calendar / f"{school_year_of(day)}.json"
    if not path.exists():
        return None
    return calendar_from_data(json.loads(path.read_text(encoding="utf-8")), municipality)


@dataclass(frozen=True, slots=True)
class HelperWeek:
    """What limits one helper's week besides the score's hard rules."""

    availability: frozenset[tuple[int, str]] = frozenset()
    exceptions: tuple[tuple[date, date], ...] = ()
    is_minor: bool = False
    school: SchoolCalendar | None = None
    max_errands: int | None = None
    max_minutes: int | None = None


def _local_days(starts_at: datetime, ends_at: datetime) -> list[date]:
    first = starts_at.astimezone(HELSINKI).date()
    last = (ends_at - timedelta(microseconds=1)).astimezone(HELSINKI).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def unavailable_reason(week: HelperWeek, starts_at: datetime, ends_at: datetime) -> str | None:
    """Why the helper may not be offered an errand at this time (None: they may)."""
    days = _local_days(starts_at, ends_at)
    if any(first <= d <= last for d in days for first, last in week.exceptions):
        return EXCEPTION
    if week.is_minor and week.school is not None:
        h0, h1 = week.school.hours
        for d in days:
            if week.school.is_school_day(d):
                s0 = datetime.combine(d, h0, HELSINKI)
                s1 = datetime.combine(d, h1, HELSINKI)
                if s0 < ends_at and s1 > starts_at:
                    return SCHOOL_HOURS
    if week.availability and not slots_for_window(starts_at, ends_at) <= week.availability:
        return UNAVAILABLE
    return None
