"""Signing up for an activity, cancelling, and the waiting list: one service for every channel
(a helper on the web, an SMS yes, a coordinator adding someone who phoned in).

**Capacity holds under races, as accepting an errand does** (app.errands.lifecycle): the
activity row is locked first (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite a write to
the row takes the database's write lock), so counting the places of a side is serialised;
the unique (activity, side, slot) constraint, hit inside a SAVEPOINT, is the final guard on
both engines. Beyond capacity a person goes on the waiting list; when a place opens the
first one waiting on that side gets it and is told by SMS.

Flushes only; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app import audit
from app.activities import rules, texts
from app.activities.errors import ActivityError
from app.activities.outbox import person_key, queue_for
from app.db_setup import lock_row
from app.extensions import db
from app.models import Activity, ActivitySignup, Elder, HelperProfile, User, utcnow

LIVE = ("signed_up", "waiting")


@dataclass(frozen=True)
class Person:
    """A young helper (``side="young"``) or an older resident (``side="old"``)."""

    side: str
    id: int

    @classmethod
    def of(cls, person: HelperProfile | Elder) -> Person:
        return cls("young", person.id) if isinstance(person, HelperProfile) else cls("old", person.id)

    def column(self):
        return ActivitySignup.helper_id if self.side == "young" else ActivitySignup.elder_id


def lock_activity(activity_id: int) -> Activity:
    """Load the activity with its row locked for the rest of the transaction (see the module text)."""
    activity = lock_row(Activity, activity_id)
    if activity is None:
        raise ActivityError("not_found")
    return activity


def _taken(activity_id: int, side: str) -> set[int]:
    stmt = sa.select(ActivitySignup.slot).where(
        ActivitySignup.activity_id == activity_id, ActivitySignup.side == side, ActivitySignup.slot.is_not(None)
    )
    return set(db.session.scalars(stmt))


def find_signup(activity_id: int, person: Person) -> ActivitySignup | None:
    stmt = sa.select(ActivitySignup).where(ActivitySignup.activity_id == activity_id, person.column() == person.id)
    return db.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()


def _open(activity: Activity, now: datetime) -> None:
    if activity.status != "approved":
        raise ActivityError("not_open")
    if activity.starts_at <= now:
        raise ActivityError("started")


def sign_up(
    activity_id: int, person: Person, *, via: str, by: User | None = None, now: datetime | None = None
) -> ActivitySignup:
    """Sign ``person`` up: a numbered place on their side, else the waiting list.

    Signing up again while signed up or waiting changes nothing. Raises :class:`ActivityError`
    (``not_found``, ``not_open``, ``started``)."""
    now = now or utcnow()
    activity = lock_activity(activity_id)
    _open(activity, now)
    signup = find_signup(activity.id, person)
    if signup is not None and signup.status in LIVE:
        return signup
    slot = rules.free_slot(_taken(activity.id, person.side), activity.capacities[person.side])
    if signup is None:
        signup = ActivitySignup(activity_id=activity.id, side=person.side)
        signup.helper_id = person.id if person.side == "young" else None
        signup.elder_id = person.id if person.side == "old" else None
    signup.slot = slot
    signup.status = "signed_up" if slot is not None else "waiting"
    signup.via, signup.by_id, signup.created_at = via, by.id if by else None, now
    try:
        with db.session.begin_nested():
            db.session.add(signup)
    except IntegrityError:  # the last guard: someone took the place in between
        signup = find_signup(activity.id, person) or ActivitySignup(
            activity_id=activity.id,
            side=person.side,
            helper_id=person.id if person.side == "young" else None,
            elder_id=person.id if person.side == "old" else None,
        )
        signup.slot, signup.status, signup.via, signup.created_at = None, "waiting", via, now
        db.session.add(signup)
        db.session.flush()
    audit.record(
        "activity.signed_up", activity, actor=by, side=person.side, person_id=person.id, status=signup.status, via=via
    )
    return signup


def cancel_signup(signup_id: int, *, by: User | None, via: str, now: datetime | None = None) -> ActivitySignup:
    """Cancel a sign-up; a place that opens goes to the first one waiting on that side (told by SMS)."""
    now = now or utcnow()
    signup = db.session.get(ActivitySignup, signup_id)
    if signup is None:
        raise ActivityError("not_found")
    activity = lock_activity(signup.activity_id)
    db.session.refresh(signup)
    if signup.status not in LIVE:
        return signup
    if activity.starts_at <= now:
        raise ActivityError("started")
    freed = signup.slot
    signup.status, signup.slot = "cancelled", None
    db.session.flush()
    audit.record("activity.signup_cancelled", activity, actor=by, side=signup.side, via=via)
    if freed is not None and activity.status == "approved":
        promote_waiting(activity, signup.side)
    return signup


def promote_waiting(activity: Activity, side: str) -> ActivitySignup | None:
    """Give free places of ``side`` to the people waiting, first come first served; each is told by SMS."""
    promoted = None
    while True:
        slot = rules.free_slot(_taken(activity.id, side), activity.capacities[side])
        if slot is None:
            return promoted
        first = db.session.scalar(
            sa.select(ActivitySignup)
            .where(ActivitySignup.activity_id == activity.id, ActivitySignup.side == side)
            .where(ActivitySignup.status == "waiting")
            .order_by(ActivitySignup.created_at, ActivitySignup.id)
            .limit(1)
        )
        if first is None:
            return promoted
        first.status, first.slot = "signed_up", slot
        db.session.flush()
        tell_place_opened(activity, first)
        promoted = first


def tell_place_opened(activity: Activity, signup: ActivitySignup) -> None:
    person = (
        db.session.get(HelperProfile, signup.helper_id) if signup.helper_id else db.session.get(Elder, signup.elder_id)
    )
    if person is not None:
        queue_for(
            activity,
            person,
            lambda language, _older: texts.place_opened_text(activity, language),
            kind="activity_place_opened",
            dedupe_key=f"activity_place:{activity.id}:{person_key(person)}",
        )


def counts(activity: Activity) -> dict[str, dict[str, int]]:
    """Signed up and waiting per side, from the loaded sign-ups."""
    out = {side: {"signed_up": 0, "waiting": 0, "capacity": activity.capacities[side]} for side in ("young", "old")}
    for signup in activity.signups:
        if signup.status in ("signed_up", "attended", "no_show"):
            out[signup.side]["signed_up"] += 1
        elif signup.status == "waiting":
            out[signup.side]["waiting"] += 1
    return out
