"""Errands still without a helper as their time approaches.

``ESCALATION_FIRST_HOURS`` before the start (48 h) the coordinators get an
alert and the offer goes to more helpers: the best ``ESCALATION_OFFER_COUNT``
candidates of the matcher who have not had it yet. ``ESCALATION_SECOND_HOURS``
before (24 h) it is widened again (twice as many) with an urgent alert. Each
step happens once per errand: its alert's dedupe key records that it was done.
A newly entered errand is left to its coordinator for ``ESCALATION_GRACE_MINUTES``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.alerts import raise_alert
from app.errands.lifecycle import ErrandError, offer_errand
from app.errands.matching_service import rank_candidates
from app.extensions import db
from app.models import CoordinatorAlert, Errand
from app.scheduling.settings import setting

log = logging.getLogger(__name__)

STEPS = (("no_helper", "ESCALATION_FIRST_HOURS", 1), ("no_helper_urgent", "ESCALATION_SECOND_HOURS", 2))


def step_for(errand: Errand, now: datetime) -> tuple[str, int] | None:
    """The latest escalation step the errand has reached: (alert kind, multiplier), or None."""
    reached = None
    for kind, key, factor in STEPS:
        if errand.starts_at - timedelta(hours=float(setting(key))) <= now:
            reached = (kind, factor)
    return reached


def escalate(now: datetime) -> int:
    """Alert and widen offers for errands without a helper; returns the steps taken."""
    horizon = now + timedelta(hours=float(setting("ESCALATION_FIRST_HOURS")))
    grace = timedelta(minutes=float(setting("ESCALATION_GRACE_MINUTES")))
    errands = list(
        db.session.scalars(
            sa.select(Errand)
            .where(
                Errand.state.in_(("open", "offered")),
                Errand.starts_at > now,
                Errand.starts_at <= horizon,
                Errand.created_at <= now - grace,
            )
            .options(selectinload(Errand.offers))
            .order_by(Errand.starts_at)
        )
    )
    if not errands:
        return 0
    done_keys = set(
        db.session.scalars(
            sa.select(CoordinatorAlert.dedupe_key).where(
                CoordinatorAlert.errand_id.in_([e.id for e in errands]), CoordinatorAlert.kind.like("no_helper%")
            )
        )
    )
    base = int(setting("ESCALATION_OFFER_COUNT"))
    steps = 0
    for errand in errands:
        step = step_for(errand, now)
        if step is None:
            continue
        kind, factor = step
        key = f"{kind}:{errand.id}"
        if key in done_keys:
            continue
        offered = {o.helper_id for o in errand.offers}
        candidates = rank_candidates(errand, limit=base * factor + len(offered), now=now).ranked_ids
        new = [hid for hid in candidates if hid not in offered][: base * factor]
        if new:
            try:
                offer_errand(errand, new, by_user=None)
            except ErrandError as err:
                log.info("Could not widen the offer of errand %s: %s", errand.id, err.code)
        raise_alert(
            kind,
            dedupe_key=key,
            organization_id=errand.organization_id,
            errand_id=errand.id,
            elder_id=errand.elder_id,
            now=now,
        )
        done_keys.add(key)
        steps += 1
    db.session.flush()
    return steps
