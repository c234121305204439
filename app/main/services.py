"""Reads for the start pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from app import policy
from app.extensions import db
from app.i18n import HELSINKI
from app.models import CoordinatorAlert, Elder, Errand, HelperProfile, User, utcnow


@dataclass(frozen=True)
class CoordinatorOverview:
    errands_today: int
    errands_without_helper: int
    pending_helpers: int
    open_alerts: int
    elders: int


def local_day_bounds(now: datetime | None = None) -> tuple[datetime, datetime]:
    now = (now or utcnow()).astimezone(HELSINKI)
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=1, hours=3)).replace(hour=0)  # DST-safe next midnight
    return start, end


def coordinator_overview(user: User) -> CoordinatorOverview:
    start, end = local_day_bounds()

    def mine(column: sa.ColumnElement) -> sa.ColumnElement[bool]:
        return policy.scope_condition(user, column)

    def count(stmt: sa.Select) -> int:
        return db.session.scalar(stmt) or 0

    return CoordinatorOverview(
        errands_today=count(
            sa.select(sa.func.count(Errand.id)).where(
                mine(Errand.organization_id), Errand.starts_at >= start, Errand.starts_at < end
            )
        ),
        errands_without_helper=count(
            sa.select(sa.func.count(Errand.id)).where(
                mine(Errand.organization_id),
                Errand.state.in_(("open", "offered")),
                Errand.starts_at >= utcnow(),
            )
        ),
        pending_helpers=count(
            sa.select(sa.func.count(HelperProfile.id)).where(
                mine(HelperProfile.organization_id), HelperProfile.status == "pending"
            )
        ),
        open_alerts=count(
            sa.select(sa.func.count(CoordinatorAlert.id)).where(
                mine(CoordinatorAlert.organization_id), CoordinatorAlert.resolved_at.is_(None)
            )
        ),
        elders=count(sa.select(sa.func.count(Elder.id)).where(mine(Elder.organization_id), Elder.status == "active")),
    )


def database_ok() -> bool:
    try:
        db.session.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return False
