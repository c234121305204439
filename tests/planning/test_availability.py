"""Availability that holds: weekly availability, exceptions, minors' school hours (pure)."""

from __future__ import annotations

from datetime import date, datetime, time

from app.matching.availability import (
    EXCEPTION,
    SCHOOL_HOURS,
    UNAVAILABLE,
    HelperWeek,
    load_calendar,
    school_year_of,
    unavailable_reason,
)
from app.matching.score import HELSINKI


def at(day: date, h0: int, h1: int) -> tuple[datetime, datetime]:
    return datetime.combine(day, time(h0), HELSINKI), datetime.combine(day, time(h1), HELSINKI)


MONDAY = date(2026, 12, 7)


def test_empty_availability_is_unknown_and_excludes_nothing():
    assert unavailable_reason(HelperWeek(), *at(MONDAY, 10, 11)) is None


def test_given_availability_is_a_hard_rule():
    week = HelperWeek(availability=frozenset({(0, "afternoon")}))
    assert unavailable_reason(week, *at(MONDAY, 12, 14)) is None
    assert unavailable_reason(week, *at(MONDAY, 10, 11)) == UNAVAILABLE
    assert unavailable_reason(week, *at(MONDAY, 11, 13)) == UNAVAILABLE  # half of it in the morning


def test_exceptions_block_whole_days():
    week = HelperWeek(exceptions=((date(2026, 12, 8), date(2026, 12, 9)),))
    assert unavailable_reason(week, *at(MONDAY, 10, 11)) is None
    assert unavailable_reason(week, *at(date(2026, 12, 9), 17, 18)) == EXCEPTION


def test_minors_are_never_planned_in_school_hours():
    school = load_calendar("fi", MONDAY, "Kajaani")
    assert school is not None and school.is_school_day(MONDAY)
    minor = HelperWeek(is_minor=True, school=school)
    assert unavailable_reason(minor, *at(MONDAY, 10, 11)) == SCHOOL_HOURS
    assert unavailable_reason(minor, *at(MONDAY, 14, 16)) == SCHOOL_HOURS
    assert unavailable_reason(minor, *at(MONDAY, 15, 16)) is None
    assert unavailable_reason(minor, *at(date(2026, 12, 12), 10, 11)) is None  # Saturday
    assert unavailable_reason(minor, *at(date(2026, 12, 28), 10, 11)) is None  # Christmas break
    adult = HelperWeek(is_minor=False, school=school)
    assert unavailable_reason(adult, *at(MONDAY, 10, 11)) is None


def test_breaks_per_municipality():
    autumn = date(2026, 10, 20)  # Tuesday of week 43
    kajaani = load_calendar("fi", autumn, "Kajaani")
    kuhmo = load_calendar("fi", autumn, "Kuhmo")
    assert kajaani.is_school_day(autumn) and not kuhmo.is_school_day(autumn)
    assert not kajaani.is_school_day(date(2027, 3, 9))  # winter break, week 10
    assert not kajaani.is_school_day(date(2027, 3, 29))  # Easter Monday
    assert school_year_of(date(2026, 7, 31)) == "2025-2026" and school_year_of(MONDAY) == "2026-2027"
    assert load_calendar("fi", date(2040, 1, 1), None) is None
