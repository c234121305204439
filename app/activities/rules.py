"""The pure rules of shared activities: repeating dates, who counts as what in an encounter.

No Flask, no database: small inputs, plain answers, so the rules can be read and tested alone.
"""

from __future__ import annotations

from datetime import date, timedelta

#: Weekly or every second week, as repeating requests (app.errands.requests); at most six months.
RECURRENCE_STEP_DAYS = {"weekly": 7, "biweekly": 14}
RECURRENCES = ("none", "weekly", "biweekly")
MAX_REPEAT_DAYS = 183

#: Who runs the activity -> who led the encounter (app.encounters.stages.LEADERS).
LED_BY = {"coordinator": "coordinator", "helpers": "helper", "elders": "elder", "together": "together"}
#: Who runs the activity -> who started it, when nobody proposed it (app.encounters.stages.INITIATORS).
STARTED_BY = {"coordinator": "coordinator", "helpers": "helper", "elders": "elder", "together": "participants"}


def occurrence_days(first: date, recurrence: str, until: date | None) -> list[date]:
    """The local dates of an activity and its repetitions: ``first`` and every 7 or 14 days
    up to ``until`` (included), never more than :data:`MAX_REPEAT_DAYS` ahead of ``first``."""
    step = RECURRENCE_STEP_DAYS.get(recurrence)
    if step is None or until is None:
        return [first]
    last = min(until, first + timedelta(days=MAX_REPEAT_DAYS))
    days, day = [], first
    while day <= last:
        days.append(day)
        day += timedelta(days=step)
    return days


def initiated_by(run_by: str, *, proposed_by_helper: bool, idea_of_elder: bool) -> str:
    """Who started the encounter an activity becomes: whoever proposed it, else who runs it."""
    if proposed_by_helper and idea_of_elder:
        return "participants"
    if proposed_by_helper:
        return "helper"
    if idea_of_elder:
        return "elder"
    return STARTED_BY[run_by]


def free_slot(taken: set[int], capacity: int) -> int | None:
    """The lowest free place number 1..capacity, or None when the side is full."""
    return next((n for n in range(1, capacity + 1) if n not in taken), None)


def returning_share(attendance: dict[tuple[str, int], int]) -> float | None:
    """Of the people who came at least once, the share who came more than once (None: nobody came)."""
    if not attendance:
        return None
    return sum(1 for times in attendance.values() if times > 1) / len(attendance)
