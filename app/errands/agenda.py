"""Reads for the coordinator's errand pages: who may see what, one errand with
its whole history, the errands of a day or a week, and what needs attention.

Every read eager-loads what its page shows, so the number of queries per page
does not grow with the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.i18n import HELSINKI, local_midnight
from app.models import (
    Assignment,
    CoordinatorAlert,
    Elder,
    Errand,
    ErrandEvent,
    HelpRequest,
    Offer,
    utcnow,
)

#: An errand still without a helper this close to its start needs attention.
SOON = timedelta(hours=48)
#: An offer nobody answered for this long needs attention.
UNANSWERED_AFTER = timedelta(hours=12)
WITHOUT_HELPER = ("open", "offered")
#: How many errands with unanswered offers the day and week pages list (soonest first).
UNANSWERED_SHOWN = 20


def _in_scope(column, scope: set[int] | None):
    return sa.true() if scope is None else column.in_(scope or {-1})


def load_errand(errand_id: int) -> Errand | None:
    """One errand with everything its page shows."""
    return db.session.scalar(
        sa.select(Errand)
        .where(Errand.id == errand_id)
        .options(
            joinedload(Errand.elder).joinedload(Elder.village),
            joinedload(Errand.elder).joinedload(Elder.municipality),
            joinedload(Errand.task_type),
            joinedload(Errand.request).joinedload(HelpRequest.requested_by_contact),
            joinedload(Errand.request).joinedload(HelpRequest.preferred_helper),
            joinedload(Errand.request).selectinload(HelpRequest.errands),
            selectinload(Errand.events).joinedload(ErrandEvent.actor),
            selectinload(Errand.offers).joinedload(Offer.helper),
            selectinload(Errand.assignments).joinedload(Assignment.helper),
        )
    )


def load_request(request_id: int) -> HelpRequest | None:
    return db.session.scalar(
        sa.select(HelpRequest)
        .where(HelpRequest.id == request_id)
        .options(
            joinedload(HelpRequest.elder).joinedload(Elder.village),
            joinedload(HelpRequest.task_type),
            joinedload(HelpRequest.requested_by_contact),
            joinedload(HelpRequest.preferred_helper),
            selectinload(HelpRequest.errands).selectinload(Errand.assignments).joinedload(Assignment.helper),
        )
    )


def errands_between(scope: set[int] | None, start: datetime, end: datetime) -> list[Errand]:
    """Errands starting in ``[start, end)`` in the organizations, by start time."""
    return list(
        db.session.scalars(
            sa.select(Errand)
            .where(_in_scope(Errand.organization_id, scope), Errand.starts_at >= start, Errand.starts_at < end)
            .order_by(Errand.starts_at, Errand.id)
            .options(
                joinedload(Errand.elder).joinedload(Elder.village),
                joinedload(Errand.task_type),
                selectinload(Errand.assignments).joinedload(Assignment.helper),
                selectinload(Errand.offers),
            )
        )
    )


def errands_by_day(scope: set[int] | None, first: date, days: int) -> list[tuple[date, list[Errand]]]:
    """The errands of ``days`` local days from ``first``, grouped by local day (empty days too)."""
    errands = errands_between(scope, local_midnight(first), local_midnight(first + timedelta(days=days)))
    groups: dict[date, list[Errand]] = {first + timedelta(days=i): [] for i in range(days)}
    for errand in errands:
        groups.setdefault(errand.starts_at.astimezone(HELSINKI).date(), []).append(errand)
    return sorted(groups.items())


@dataclass
class UnansweredErrand:
    errand: Errand
    offers: list[Offer] = field(default_factory=list)


@dataclass
class Attention:
    """What a coordinator should act on now."""

    soon_without_helper: list[Errand]
    unanswered: list[UnansweredErrand]  # the soonest UNANSWERED_SHOWN of them
    alerts: list[CoordinatorAlert]
    unanswered_total: int = 0

    @property
    def count(self) -> int:
        return len(self.soon_without_helper) + max(self.unanswered_total, len(self.unanswered)) + len(self.alerts)


def needs_attention(scope: set[int] | None, now: datetime | None = None) -> Attention:
    """Errands without a helper starting within 48 hours, offers nobody answered
    (pending over 12 hours or expired) on errands still without a helper, and
    open coordinator alerts (late withdrawals and the like).

    Of the errands with unanswered offers only the soonest
    :data:`UNANSWERED_SHOWN` are loaded (with those offers and their helpers);
    the rest are counted. Four queries, whatever the number of offers.
    """
    now = now or utcnow()
    soon = list(
        db.session.scalars(
            sa.select(Errand)
            .where(
                _in_scope(Errand.organization_id, scope),
                Errand.state.in_(WITHOUT_HELPER),
                Errand.starts_at >= now,
                Errand.starts_at < now + SOON,
            )
            .order_by(Errand.starts_at)
            .options(joinedload(Errand.elder).joinedload(Elder.village), joinedload(Errand.task_type))
        )
    )
    unanswered_offer = sa.and_(
        _in_scope(Errand.organization_id, scope),
        Errand.state.in_(WITHOUT_HELPER),
        Errand.starts_at >= now,
        sa.or_(
            Offer.status == "expired",
            sa.and_(
                Offer.status == "pending",
                sa.or_(Offer.sent_at < now - UNANSWERED_AFTER, Offer.expires_at < now),
            ),
        ),
    )
    with_unanswered = sa.select(Errand.id, Errand.starts_at).join(Offer, Offer.errand_id == Errand.id)
    with_unanswered = with_unanswered.where(unanswered_offer).distinct().subquery()
    # The soonest ones, and how many there are in all (a window count: one pass).
    first = db.session.execute(
        sa.select(with_unanswered.c.id, sa.func.count().over().label("total"))
        .order_by(with_unanswered.c.starts_at, with_unanswered.c.id)
        .limit(UNANSWERED_SHOWN)
    ).all()
    shown_ids = [row.id for row in first]
    total = first[0].total if first else 0
    offers = db.session.scalars(
        sa.select(Offer)
        .join(Errand, Errand.id == Offer.errand_id)
        .where(Errand.id.in_(shown_ids or [-1]), unanswered_offer)
        .order_by(Errand.starts_at, Errand.id, Offer.id)
        .options(
            joinedload(Offer.errand).joinedload(Errand.elder).joinedload(Elder.village),
            joinedload(Offer.errand).joinedload(Errand.task_type),
            joinedload(Offer.helper),
        )
    )
    unanswered: dict[int, UnansweredErrand] = {}
    for offer in offers:
        unanswered.setdefault(offer.errand_id, UnansweredErrand(offer.errand)).offers.append(offer)
    alerts = list(
        db.session.scalars(
            sa.select(CoordinatorAlert)
            .where(_in_scope(CoordinatorAlert.organization_id, scope), CoordinatorAlert.resolved_at.is_(None))
            .order_by(CoordinatorAlert.created_at.desc())
            .limit(50)
        )
    )
    return Attention(
        soon_without_helper=soon, unanswered=list(unanswered.values()), alerts=alerts, unanswered_total=total
    )


def elder_choices(scope: set[int] | None, query: str = "", limit: int = 300) -> list[Elder]:
    """Active older people of the organizations for the intake page, by name;
    ``query`` matches a part of the name or of the phone number."""
    stmt = (
        sa.select(Elder)
        .where(_in_scope(Elder.organization_id, scope), Elder.status == "active")
        .options(joinedload(Elder.village))
        .order_by(Elder.last_name, Elder.first_name, Elder.id)
        .limit(limit)
    )
    words = query.split()
    for word in words:
        digits = "".join(ch for ch in word if ch.isdigit())
        like = f"%{word.lower()}%"
        conditions = [sa.func.lower(Elder.first_name).like(like), sa.func.lower(Elder.last_name).like(like)]
        if len(digits) >= 3:
            conditions.append(Elder.phone.like(f"%{digits.lstrip('0')}%"))
        stmt = stmt.where(sa.or_(*conditions))
    return list(db.session.scalars(stmt))
