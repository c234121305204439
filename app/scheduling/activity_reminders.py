"""Shared activities' day-before work: a reminder SMS to everyone signed up, and an alert to the
coordinators when an activity is under its minimum.

Both fall due the day before at ``REMINDER_DAY_BEFORE_HOUR`` (Helsinki time), as the errands'
reminders (an older person reached by a coordinator's call gets a "call to remind" alert instead
of the SMS), and are idempotent: one SMS per activity and person (outbox dedupe key), one alert
per activity (alert dedupe key), however often the job runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.activities import texts
from app.activities.outbox import person_key, queue_for
from app.alerts import raise_alert
from app.extensions import db
from app.models import Activity, ActivitySignup, Elder, HelperProfile
from app.scheduling.reminders import day_before_at
from app.scheduling.settings import setting

LOOKAHEAD = timedelta(days=2)


def _due(now: datetime, hour: int) -> list[Activity]:
    rows = db.session.scalars(
        sa.select(Activity)
        .where(Activity.status == "approved", Activity.starts_at > now, Activity.starts_at <= now + LOOKAHEAD)
        .options(selectinload(Activity.signups), selectinload(Activity.place))
        .order_by(Activity.starts_at)
    )
    return [a for a in rows if day_before_at(a.starts_at, hour) <= now]


def create_activity_reminders(now: datetime) -> int:
    """Queue the due reminders and under-minimum alerts; returns how many were created."""
    activities = _due(now, int(setting("REMINDER_DAY_BEFORE_HOUR")))
    signups = [s for a in activities for s in a.signups if s.status == "signed_up"]
    helpers = {
        h.id: h
        for h in db.session.scalars(
            sa.select(HelperProfile)
            .options(selectinload(HelperProfile.user))
            .where(HelperProfile.id.in_([s.helper_id for s in signups if s.helper_id] or [-1]))
        )
    }
    elders = {
        e.id: e
        for e in db.session.scalars(
            sa.select(Elder)
            .options(selectinload(Elder.contacts))
            .where(Elder.id.in_([s.elder_id for s in signups if s.elder_id] or [-1]))
        )
    }
    created = 0
    for activity in activities:
        for signup in activity.signups:
            if signup.status == "signed_up":
                created += _remind(activity, signup, helpers, elders)
        present = sum(1 for s in activity.signups if s.status == "signed_up")
        if present < activity.minimum:
            alert = raise_alert(
                "activity_under_minimum",
                dedupe_key=f"activity_under_minimum:{activity.id}",
                organization_id=activity.organization_id,
                activity_id=activity.id,
                now=now,
            )
            created += alert is not None
    db.session.flush()
    return created


def _remind(activity: Activity, signup: ActivitySignup, helpers: dict, elders: dict) -> int:
    person = helpers.get(signup.helper_id) if signup.helper_id else elders.get(signup.elder_id)
    if person is None:
        return 0
    queued = queue_for(
        activity,
        person,
        lambda language, _older: texts.reminder_text(activity, language),
        kind="activity_reminder",
        dedupe_key=f"activity_reminder:{activity.id}:{person_key(person)}",
    )
    if queued is None and isinstance(person, Elder):  # a coordinator's call, or messages stopped
        alert = raise_alert(
            "activity_call_reminder",
            dedupe_key=f"activity_call_reminder:{activity.id}:{person.id}",
            organization_id=activity.organization_id,
            elder_id=person.id,
            activity_id=activity.id,
        )
        return int(alert is not None)
    return int(queued is not None and queued.message is not None)
