"""Shared activities' day-before work: a reminder SMS to everyone signed up, and an alert to the
coordinators when an activity is under its minimum.

Both fall due the day before at ``REMINDER_DAY_BEFORE_HOUR`` (Helsinki time), as the errands'
reminders, and are idempotent: one SMS per activity and person (outbox dedupe key), one alert
per activity (alert dedupe key), however often the job runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.activities import texts
from app.alerts import raise_alert
from app.errands.notifications import elder_recipient
from app.extensions import db
from app.models import Activity, ActivitySignup, Elder, HelperProfile
from app.scheduling.reminders import day_before_at
from app.scheduling.settings import setting
from app.sms.outbox import queue_sms
from app.sms.people import helper_language

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
    key = f"activity_reminder:{activity.id}:{signup.side}{signup.helper_id or signup.elder_id}"
    if signup.helper_id is not None:
        helper = helpers.get(signup.helper_id)
        if helper is None or helper.sms_opt_out or not helper.phone:
            return 0
        language = helper_language(helper)
        message = queue_sms(
            helper.phone,
            texts.reminder_text(activity, language),
            kind="activity_reminder",
            language=language,
            dedupe_key=key,
            helper_id=helper.id,
            organization_id=activity.organization_id,
        )
        return int(message is not None)
    elder = elders.get(signup.elder_id)
    recipient = elder_recipient(elder) if elder is not None else None
    if recipient is None:
        return 0
    message = queue_sms(
        recipient.phone,
        texts.reminder_text(activity, recipient.language),
        kind="activity_reminder",
        language=recipient.language,
        dedupe_key=key,
        elder_id=recipient.elder_id,
        contact_id=recipient.contact_id,
        organization_id=activity.organization_id,
    )
    return int(message is not None)
