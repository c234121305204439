"""The week plan (issue 18): a coordinator's draft plan and its lines, and the
helpers' own exceptions to their weekly availability."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, utcnow
from app.models.errand import Errand
from app.models.user import HelperProfile

#: Kinds of exception a helper marks on their phone.
EXCEPTION_KINDS = ("not_this_week", "holiday", "exams", "other")


class AvailabilityException(TimestampMixin, Base):
    """Days a helper is not offered anything, whatever their weekly availability says."""

    __tablename__ = "availability_exceptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    helper_id: Mapped[int] = mapped_column(sa.ForeignKey("helper_profiles.id", ondelete="CASCADE"), index=True)
    first_day: Mapped[date]
    last_day: Mapped[date]
    kind: Mapped[str] = mapped_column(sa.String(16), default="other")

    helper: Mapped[HelperProfile] = relationship()


class WeekPlan(TimestampMixin, Base):
    """A draft plan of one organization's week: kept so the review page survives a reload."""

    __tablename__ = "week_plans"
    __table_args__ = (sa.UniqueConstraint("organization_id", "week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"))
    week_start: Mapped[date]  # a Monday
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    solved_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    solver_status: Mapped[str] = mapped_column(sa.String(40), default="")
    gap: Mapped[float | None]
    seconds: Mapped[float] = mapped_column(default=0.0)
    #: What the plan and best-first reach on this week: {"plan": {...}, "best_first": {...}}.
    figures: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    lines: Mapped[list[WeekPlanLine]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="WeekPlanLine.id"
    )


class WeekPlanLine(Base):
    """One errand's proposed helper (``helper_id`` None: uncovered, ``why`` says why)."""

    __tablename__ = "week_plan_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("week_plans.id", ondelete="CASCADE"), index=True)
    errand_id: Mapped[int] = mapped_column(sa.ForeignKey("errands.id", ondelete="CASCADE"))
    helper_id: Mapped[int | None] = mapped_column(sa.ForeignKey("helper_profiles.id", ondelete="CASCADE"))
    locked: Mapped[bool] = mapped_column(default=False)
    score: Mapped[float | None]
    km: Mapped[float | None]
    regular: Mapped[bool] = mapped_column(default=False)
    #: The score's reasons as [code, points, {params}] (shown in words on the page).
    reasons: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: The errand's best candidates the coordinator may change the line to: [[helper id, name, score], ...].
    choices: Mapped[list] = mapped_column(sa.JSON, default=list)
    why: Mapped[str | None] = mapped_column(sa.String(24))
    offered_at: Mapped[datetime | None]

    plan: Mapped[WeekPlan] = relationship(back_populates="lines")
    errand: Mapped[Errand] = relationship()
    helper: Mapped[HelperProfile | None] = relationship()
