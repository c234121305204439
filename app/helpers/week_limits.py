"""A helper's own limits for their weeks: the days they are away (exceptions to
their usual times) and their weekly caps. The rules that use them are
:mod:`app.matching.availability` (offers and the week plan)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models import AvailabilityException, HelperProfile


def upcoming_exceptions(helper: HelperProfile, today: date) -> list[AvailabilityException]:
    return list(
        db.session.scalars(
            sa.select(AvailabilityException)
            .where(AvailabilityException.helper_id == helper.id, AvailabilityException.last_day >= today)
            .order_by(AvailabilityException.first_day)
        )
    )


def add_exception(helper: HelperProfile, first_day: date, last_day: date, kind: str) -> AvailabilityException:
    away = AvailabilityException(helper_id=helper.id, first_day=first_day, last_day=last_day, kind=kind)
    db.session.add(away)
    db.session.flush()
    return away


def remove_exception(helper: HelperProfile, exception_id: int | None) -> bool:
    """Remove one of the helper's own exceptions (False: no such exception of theirs)."""
    away = db.session.get(AvailabilityException, exception_id) if exception_id is not None else None
    if away is None or away.helper_id != helper.id:
        return False
    db.session.delete(away)
    db.session.flush()
    return True


def set_caps(helper: HelperProfile, max_errands: int | None, max_hours: int | None) -> None:
    helper.max_errands_week = max_errands
    helper.max_hours_week = float(max_hours) if max_hours is not None else None
    db.session.flush()
