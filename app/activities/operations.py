"""Changes to activities and places: plan (with repetition), edit, propose, approve, cancel.

Each function checks its rules, writes rows and an audit record and flushes; the
route commits once. A broken rule raises :class:`ActivityError` with a stable ``code``
(and the form field it concerns) that the route turns into a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from app import audit
from app.activities import policy as activity_policy
from app.activities import rules, signups
from app.activities.errors import ActivityError
from app.errands.requests import local_to_utc
from app.extensions import db
from app.i18n import today_local
from app.models import Activity, Elder, SharedPlace, User, utcnow
from app.models.activity import ACTIVITY_KINDS, PLACE_KINDS, RUN_BY


@dataclass(frozen=True)
class ActivityInput:
    title: str
    kind: str
    place_id: int
    day: date
    start: time
    end: time
    organization_id: int
    recurrence: str = "none"
    recurrence_until: date | None = None
    capacity_young: int = 5
    capacity_old: int = 10
    minimum: int = 2
    run_by: str = "coordinator"
    organised_by_participants: bool = False
    description_fi: str = ""
    description_sv: str = ""
    runner_helper_id: int | None = None
    idea_of_elder_id: int | None = None


@dataclass(frozen=True)
class PlaceInput:
    municipality_id: int
    name: str
    kind: str = "other"
    village_id: int | None = None
    step_free: bool = False
    address: str = ""


def _check(data: ActivityInput, now: datetime) -> SharedPlace:
    if not data.title.strip():
        raise ActivityError("title_required", "title")
    if data.kind not in ACTIVITY_KINDS:
        raise ActivityError("unknown_kind", "kind")
    if data.run_by not in RUN_BY:
        raise ActivityError("unknown_run_by", "run_by")
    if data.recurrence not in rules.RECURRENCES:
        raise ActivityError("unknown_recurrence", "recurrence")
    if data.end <= data.start:
        raise ActivityError("ends_before_start", "end")
    if data.day < today_local(now):
        raise ActivityError("in_past", "day")
    if data.recurrence != "none":
        if data.recurrence_until is None or data.recurrence_until <= data.day:
            raise ActivityError("until_required", "recurrence_until")
        if data.recurrence_until > data.day + timedelta(days=rules.MAX_REPEAT_DAYS):
            raise ActivityError("until_too_far", "recurrence_until")
    if data.capacity_young < 0 or data.capacity_old < 0 or data.capacity_young + data.capacity_old < 2:
        raise ActivityError("bad_capacity", "capacity_old")
    if not 0 <= data.minimum <= data.capacity_young + data.capacity_old:
        raise ActivityError("bad_minimum", "minimum")
    place = db.session.get(SharedPlace, data.place_id)
    if place is None:
        raise ActivityError("unknown_place", "place_id")
    return place


def _fill(activity: Activity, data: ActivityInput, day: date) -> None:
    activity.title = data.title.strip()[:120]
    activity.kind = data.kind
    activity.place_id = data.place_id
    activity.starts_at = local_to_utc(day, data.start)
    activity.ends_at = local_to_utc(day, data.end)
    activity.capacity_young = data.capacity_young
    activity.capacity_old = data.capacity_old
    activity.minimum = data.minimum
    activity.run_by = data.run_by
    activity.organised_by_participants = data.organised_by_participants
    activity.description_fi = data.description_fi.strip() or None
    activity.description_sv = data.description_sv.strip() or None
    activity.runner_helper_id = data.runner_helper_id


def plan_activity(
    data: ActivityInput, *, by: User, status: str = "approved", now: datetime | None = None
) -> list[Activity]:
    """Create an activity and, when it repeats, one row per occurrence (``series_id`` = the first's id).

    A coordinator's activity is approved at once; a helper's proposal (:func:`propose_activity`)
    and an older person's idea wait for a coordinator. Raises :class:`ActivityError`."""
    now = now or utcnow()
    _check(data, now)
    days = rules.occurrence_days(data.day, data.recurrence, data.recurrence_until)
    rows: list[Activity] = []
    for day in days:
        activity = Activity(
            organization_id=data.organization_id,
            recurrence=data.recurrence,
            recurrence_until=data.recurrence_until if data.recurrence != "none" else None,
            status=status,
            created_by_id=by.id,
            proposed_by_id=by.id if status == "proposed" else None,
            idea_of_elder_id=data.idea_of_elder_id,
            approved_by_id=by.id if status == "approved" else None,
            approved_at=now if status == "approved" else None,
        )
        _fill(activity, data, day)
        db.session.add(activity)
        rows.append(activity)
    db.session.flush()
    for activity in rows:
        activity.series_id = rows[0].id
    db.session.flush()
    audit.record(
        "activity.planned", rows[0], actor=by, occurrences=len(rows), status=status, recurrence=data.recurrence
    )
    return rows


def propose_activity(data: ActivityInput, *, by: User, now: datetime | None = None) -> list[Activity]:
    """A helper proposes an activity (they run it); a coordinator approves it before invitations go out."""
    profile = activity_policy.own_profile(by)
    if profile is None:
        raise ActivityError("not_allowed")
    starts_at, ends_at = local_to_utc(data.day, data.start), local_to_utc(data.day, data.end)
    refused = activity_policy.helper_may_propose(profile, starts_at, ends_at)
    if refused:
        raise ActivityError(refused, "start" if refused == "minor_hours" else None)
    organization_id = profile.organization_id
    if organization_id is None:
        raise ActivityError("not_allowed")
    data = ActivityInput(**{**data.__dict__, "organization_id": organization_id, "runner_helper_id": profile.id})
    return plan_activity(data, by=by, status="proposed", now=now)


def elder_idea(data: ActivityInput, elder: Elder, *, by: User, now: datetime | None = None) -> list[Activity]:
    """A coordinator enters an older person's idea taken on the phone, as a proposal."""
    data = ActivityInput(**{**data.__dict__, "idea_of_elder_id": elder.id})
    return plan_activity(data, by=by, status="proposed", now=now)


def series_of(activity: Activity, *, from_this_on: bool = True) -> list[Activity]:
    stmt = sa.select(Activity).where(Activity.series_id == (activity.series_id or activity.id))
    if from_this_on:
        stmt = stmt.where(Activity.starts_at >= activity.starts_at)
    return list(db.session.scalars(stmt.order_by(Activity.starts_at)))


def approve(activity: Activity, *, by: User, now: datetime | None = None) -> int:
    """Approve a proposed activity (and its later repetitions); invitations may then go out."""
    now = now or utcnow()
    count = 0
    for row in series_of(activity):
        if row.status == "proposed":
            row.status, row.approved_by_id, row.approved_at = "approved", by.id, now
            count += 1
    db.session.flush()
    audit.record("activity.approved", activity, actor=by, occurrences=count)
    return count


def cancel(activity: Activity, *, by: User, whole_series: bool = False) -> int:
    rows = series_of(activity) if whole_series else [activity]
    for row in rows:
        row.status = "cancelled"
    db.session.flush()
    audit.record("activity.cancelled", activity, actor=by, occurrences=len(rows))
    return len(rows)


def edit_activity(
    activity: Activity, data: ActivityInput, *, by: User, whole_series: bool, now: datetime | None = None
) -> int:
    """Change this occurrence, or this one and the later ones of its series (each keeps its own date;
    the time, place, capacity and texts change). Capacity never drops below who already signed up."""
    now = now or utcnow()
    _check(ActivityInput(**{**data.__dict__, "recurrence": "none"}), now)
    rows = series_of(activity) if whole_series else [activity]
    for row in rows:
        taken = {"young": 0, "old": 0}
        for signup in row.signups:
            if signup.slot is not None:
                taken[signup.side] += 1
        if data.capacity_young < taken["young"] or data.capacity_old < taken["old"]:
            raise ActivityError("capacity_below_signups", "capacity_old")
        day = data.day if row.id == activity.id else today_local(row.starts_at)
        _fill(row, data, day)
    db.session.flush()
    for row in rows:  # more places: the people waiting get them
        if row.status == "approved" and row.starts_at > now:
            for side in ("young", "old"):
                signups.promote_waiting(row, side)
    audit.record("activity.edited", activity, actor=by, occurrences=len(rows))
    return len(rows)


def add_place(data: PlaceInput, *, by: User) -> SharedPlace:
    """A coordinator adds a shared space to their municipality's list."""
    name = " ".join(data.name.split())
    if not name:
        raise ActivityError("place_name_required", "name")
    if data.kind not in PLACE_KINDS:
        raise ActivityError("unknown_place_kind", "kind")
    exists = db.session.scalar(
        sa.select(SharedPlace.id).where(SharedPlace.municipality_id == data.municipality_id, SharedPlace.name == name)
    )
    if exists is not None:
        raise ActivityError("place_exists", "name")
    place = SharedPlace(
        municipality_id=data.municipality_id,
        village_id=data.village_id,
        name=name[:120],
        kind=data.kind,
        step_free=data.step_free,
        address=data.address.strip() or None,
        created_by_id=by.id,
    )
    db.session.add(place)
    db.session.flush()
    audit.record("shared_place.added", place, actor=by, municipality_id=data.municipality_id)
    return place
