"""Attendance: who came, saved as ONE encounter with everyone who came.

The encounter is written by the encounters area's service
(:func:`app.encounters.operations.record_activity_attendance`), so stages, reports and
certificates count it like any other: place kind "shared space" (the activity's place),
its kind, who started it (whoever proposed it, else who runs it), who led it (who runs
it) and whether participants organised it for others, from the activity
(:mod:`app.activities.rules`). Those signed up who did not come are recorded as no-shows.
An encounter needs young and old: with only one side present the attendance is still
recorded, without an encounter.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from app import audit
from app.activities import rules
from app.activities.errors import ActivityError
from app.activities.signups import lock_activity
from app.encounters.operations import EncounterInput, record_activity_attendance
from app.extensions import db
from app.models import Activity, Encounter, User, utcnow
from app.models.encounter import ENCOUNTER_KINDS

#: Attendance can be taken from this long before the start (the coordinator opens the page at the door).
EARLY_MINUTES = 15


def encounter_input(activity: Activity, helper_ids: tuple[int, ...], elder_ids: tuple[int, ...]) -> EncounterInput:
    place = activity.place
    kind = activity.kind if activity.kind in ENCOUNTER_KINDS else "shared_activity"
    minutes = max(1, int((activity.ends_at - activity.starts_at).total_seconds() // 60))
    return EncounterInput(
        helper_ids=helper_ids,
        elder_ids=elder_ids,
        kind=kind,
        place_kind="shared_space",
        place_name=place.name,
        occurred_at=activity.starts_at,
        duration_minutes=minutes,
        initiated_by=rules.initiated_by(
            activity.run_by,
            proposed_by_helper=activity.proposed_by_id is not None and activity.idea_of_elder_id is None,
            idea_of_elder=activity.idea_of_elder_id is not None,
        ),
        led_by=rules.LED_BY[activity.run_by],
        organised_by_participant=activity.organised_by_participants,
        organization_id=activity.organization_id,
        municipality_id=place.municipality_id,
        village_id=place.village_id,
        title=activity.title,
    )


def save_attendance(
    activity_id: int, came: Collection[int], *, by: User, now: datetime | None = None
) -> Encounter | None:
    """Mark the sign-ups in ``came`` (ActivitySignup ids) attended and the other signed-up ones
    no-shows; create the activity's one encounter. Returns it (None with only one side present).

    Raises :class:`ActivityError`: ``not_yet`` before the start, ``already_taken`` when the
    attendance was saved before, ``not_open`` for a cancelled or unapproved activity."""
    now = now or utcnow()
    activity = lock_activity(activity_id)
    if activity.status != "approved":
        raise ActivityError("not_open")
    if activity.attendance_at is not None:
        raise ActivityError("attendance_saved")
    if (activity.starts_at - now).total_seconds() > EARLY_MINUTES * 60:
        raise ActivityError("not_yet")
    db.session.refresh(activity, ["signups"])
    came = set(came)
    helpers, elders = [], []
    for signup in activity.signups:
        if signup.status not in ("signed_up", "attended", "no_show"):
            continue
        if signup.id in came:
            signup.status = "attended"
            (helpers if signup.helper_id else elders).append(signup.helper_id or signup.elder_id)
        else:
            signup.status = "no_show"
    activity.attendance_at = now
    encounter = None
    if helpers and elders:
        data = encounter_input(activity, tuple(helpers), tuple(elders))
        encounter = record_activity_attendance(data, by=by, now=max(now, activity.starts_at))
        activity.encounter_id = encounter.id
    db.session.flush()
    audit.record(
        "activity.attendance",
        activity,
        actor=by,
        young=len(helpers),
        old=len(elders),
        no_shows=sum(1 for s in activity.signups if s.status == "no_show"),
        encounter_id=encounter.id if encounter else None,
    )
    return encounter
