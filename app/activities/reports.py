"""The report page's activity figures, in three statements whatever the number of activities.

* **Activities held**: activities of the period (by their start) whose attendance was saved.
* **People reached**: different people invited to, or signed up for, an activity of the period.
* **Share who came back**: of the different people who came to an activity of the period,
  those who came more than once.
* **Run by participants**: held activities organised by participants for others, or run by young
  helpers, older residents or both together (not by a coordinator).

The tables are small (one row per activity and person), so they are read directly rather than
through the report rollups; the encounters the attendance creates are rolled up as every encounter.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.activities import rules
from app.extensions import db
from app.models import Activity, ActivityInvitation, ActivitySignup, SharedPlace


@dataclass(frozen=True)
class ActivityFigures:
    held: int = 0
    run_by_participants: int = 0
    people_reached: int = 0
    participants: int = 0
    came_back: int = 0

    @property
    def came_back_share(self) -> float | None:
        return self.came_back / self.participants if self.participants else None


def _in_scope(
    organization_ids: Collection[int] | None, municipality_id: int | None, start: datetime, end: datetime
) -> list[sa.ColumnElement[bool]]:
    conditions = [Activity.starts_at >= start, Activity.starts_at < end]
    if organization_ids is not None:
        conditions.append(Activity.organization_id.in_(list(organization_ids) or [-1]))
    if municipality_id is not None:
        conditions.append(
            Activity.place_id.in_(sa.select(SharedPlace.id).where(SharedPlace.municipality_id == municipality_id))
        )
    return conditions


def activity_figures(
    organization_ids: Collection[int] | None, municipality_id: int | None, start: datetime, end: datetime
) -> ActivityFigures:
    scope = _in_scope(organization_ids, municipality_id, start, end)
    held = db.session.execute(
        sa.select(Activity.run_by, Activity.organised_by_participants).where(
            *scope, Activity.attendance_at.is_not(None)
        )
    ).all()
    attended = db.session.execute(
        sa.select(ActivitySignup.helper_id, ActivitySignup.elder_id, sa.func.count())
        .join(Activity, Activity.id == ActivitySignup.activity_id)
        .where(*scope, ActivitySignup.status == "attended")
        .group_by(ActivitySignup.helper_id, ActivitySignup.elder_id)
    ).all()
    in_period = sa.select(Activity.id).where(*scope)
    reached = sa.union(
        sa.select(ActivityInvitation.helper_id, ActivityInvitation.elder_id).where(
            ActivityInvitation.activity_id.in_(in_period)
        ),
        sa.select(ActivitySignup.helper_id, ActivitySignup.elder_id).where(ActivitySignup.activity_id.in_(in_period)),
    ).subquery()
    people_reached = db.session.scalar(sa.select(sa.func.count()).select_from(reached)) or 0
    times = {(("young", h) if h else ("old", e)): n for h, e, n in attended}
    share = rules.returning_share(times)
    return ActivityFigures(
        held=len(held),
        run_by_participants=sum(1 for run_by, organised in held if organised or run_by != "coordinator"),
        people_reached=people_reached,
        participants=len(times),
        came_back=round(share * len(times)) if share is not None else 0,
    )
