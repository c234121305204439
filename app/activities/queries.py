"""Reads for the activities pages, the helper's board section and the feeds (a constant number of queries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app import policy
from app.extensions import db
from app.i18n import local_midnight
from app.models import Activity, ActivitySignup, AuditLog, Elder, HelperProfile, SharedPlace, User


def load_activity(activity_id: int) -> Activity | None:
    """One activity with what its pages show (place, municipality, sign-ups), so templates run no queries."""
    return db.session.scalar(
        sa.select(Activity)
        .where(Activity.id == activity_id)
        .options(
            selectinload(Activity.place).selectinload(SharedPlace.municipality),
            selectinload(Activity.signups),
        )
    )


def calendar_query(
    user: User,
    *,
    start: date,
    end: date | None = None,
    municipality_id: int | None = None,
    organization_id: int | None = None,
) -> sa.Select:
    """Activities of the user's organizations from ``start`` (to ``end``, excluded), by time."""
    stmt = (
        sa.select(Activity)
        .join(SharedPlace, SharedPlace.id == Activity.place_id)
        .where(policy.scope_condition(user, Activity.organization_id), Activity.starts_at >= local_midnight(start))
        .options(selectinload(Activity.place).selectinload(SharedPlace.municipality), selectinload(Activity.signups))
        .order_by(Activity.starts_at, Activity.id)
    )
    if end is not None:
        stmt = stmt.where(Activity.starts_at < local_midnight(end))
    if municipality_id is not None:
        stmt = stmt.where(SharedPlace.municipality_id == municipality_id)
    if organization_id is not None:
        stmt = stmt.where(Activity.organization_id == organization_id)
    return stmt


def places_for(user: User) -> list[SharedPlace]:
    """Places in the municipalities the user's organizations serve, by municipality and name."""
    municipalities = db.session.scalars(policy.scope_municipalities(user)).all()
    ids = [m.id for m in municipalities]
    return list(
        db.session.scalars(
            sa.select(SharedPlace)
            .options(selectinload(SharedPlace.municipality))
            .where(SharedPlace.municipality_id.in_(ids or [-1]))
            .order_by(SharedPlace.municipality_id, SharedPlace.name)
        )
    )


def people_of(activity: Activity) -> tuple[dict[int, HelperProfile], dict[int, Elder]]:
    """The helpers and older residents on the activity's sign-ups (two queries)."""
    helper_ids = [s.helper_id for s in activity.signups if s.helper_id]
    elder_ids = [s.elder_id for s in activity.signups if s.elder_id]
    helpers = {
        h.id: h for h in db.session.scalars(sa.select(HelperProfile).where(HelperProfile.id.in_(helper_ids or [-1])))
    }
    elders = {e.id: e for e in db.session.scalars(sa.select(Elder).where(Elder.id.in_(elder_ids or [-1])))}
    return helpers, elders


def history(activity: Activity) -> list[AuditLog]:
    return list(
        db.session.scalars(
            sa.select(AuditLog)
            .where(AuditLog.subject_type == "Activity", AuditLog.subject_id == activity.id)
            .order_by(AuditLog.id.desc())
            .limit(100)
        )
    )


def addable_people(activity: Activity) -> list[tuple[str, str]]:
    """People of the activity's organization not yet on it: (key, name) for the coordinator's form."""
    on = {(s.side, s.helper_id or s.elder_id) for s in activity.signups if s.status != "cancelled"}
    helpers = db.session.execute(
        sa.select(HelperProfile.id, HelperProfile.first_name, HelperProfile.last_name)
        .where(HelperProfile.organization_id == activity.organization_id, HelperProfile.status == "approved")
        .order_by(HelperProfile.first_name, HelperProfile.last_name)
    )
    elders = db.session.execute(
        sa.select(Elder.id, Elder.first_name, Elder.last_name)
        .where(Elder.organization_id == activity.organization_id, Elder.status == "active", Elder.erased_at.is_(None))
        .order_by(Elder.last_name, Elder.first_name)
    )
    out = [(f"e{r.id}", f"{r.first_name} {r.last_name}") for r in elders if ("old", r.id) not in on]
    out += [(f"h{r.id}", f"{r.first_name} {r.last_name}") for r in helpers if ("young", r.id) not in on]
    return out


@dataclass
class HelperActivity:
    activity: Activity
    signup: ActivitySignup | None
    free_young: int


def helper_activities(profile: HelperProfile, now: datetime, days: int = 60) -> list[HelperActivity]:
    """Approved activities of the helper's organizations in the coming ``days``, with the helper's own sign-up."""
    rows = db.session.scalars(
        sa.select(Activity)
        .where(
            Activity.organization_id.in_(sorted(policy.helper_org_ids(profile)) or [-1]),
            Activity.status == "approved",
            Activity.starts_at > now,
            Activity.starts_at < now + timedelta(days=days),
        )
        .options(selectinload(Activity.place), selectinload(Activity.signups))
        .order_by(Activity.starts_at)
    )
    out = []
    for activity in rows:
        own = next((s for s in activity.signups if s.helper_id == profile.id), None)
        taken = sum(1 for s in activity.signups if s.side == "young" and s.slot is not None)
        out.append(HelperActivity(activity, own, max(0, activity.capacity_young - taken)))
    return out


def helper_signed_activities(helper_id: int) -> list[Activity]:
    """Activities the helper is signed up for (or came to): their calendar feed."""
    return list(
        db.session.scalars(
            sa.select(Activity)
            .join(ActivitySignup, ActivitySignup.activity_id == Activity.id)
            .where(ActivitySignup.helper_id == helper_id, ActivitySignup.status.in_(("signed_up", "attended")))
            .where(Activity.status == "approved")
            .options(selectinload(Activity.place))
            .order_by(Activity.starts_at)
        )
    )


def proposals(user: User) -> list[Activity]:
    return list(
        db.session.scalars(
            sa.select(Activity)
            .where(policy.scope_condition(user, Activity.organization_id), Activity.status == "proposed")
            .options(selectinload(Activity.place))
            .order_by(Activity.starts_at)
        )
    )


@dataclass(frozen=True)
class NameRef:
    id: int
    name: str


def helpers_of(organization_ids: list[int]) -> list[NameRef]:
    rows = db.session.execute(
        sa.select(HelperProfile.id, HelperProfile.first_name, HelperProfile.last_name)
        .where(HelperProfile.organization_id.in_(organization_ids or [-1]), HelperProfile.status == "approved")
        .order_by(HelperProfile.first_name, HelperProfile.last_name)
    )
    return [NameRef(r.id, f"{r.first_name} {r.last_name}") for r in rows]


def elders_of(organization_ids: list[int]) -> list[tuple[str, str]]:
    rows = db.session.execute(
        sa.select(Elder.id, Elder.first_name, Elder.last_name)
        .where(Elder.organization_id.in_(organization_ids or [-1]), Elder.status == "active", Elder.erased_at.is_(None))
        .order_by(Elder.last_name, Elder.first_name)
    )
    return [(str(r.id), f"{r.first_name} {r.last_name}") for r in rows]
