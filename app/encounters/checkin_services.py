"""Reads of well-being check-ins: before/after change in aggregate, and who is due.

Both run a constant number of queries. Re-exported by `app.encounters.services`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from app.encounters import wellbeing
from app.extensions import db
from app.models import CheckIn, Elder, HelperProfile

log = logging.getLogger(__name__)


# --- Check-in changes for reports -----------------------------------------------------------


def _valid_scores(kind: str, scores: dict[str, Any] | None) -> dict[str, Any] | None:
    if not scores:
        return None
    candidate = {**scores, "kind": kind}
    for measure in wellbeing.MEASURES[kind]:
        value = candidate.get(measure.code)
        if not isinstance(value, int) or isinstance(value, bool) or not measure.minimum <= value <= measure.maximum:
            return None
    return candidate


def checkin_changes(
    organization_ids: Collection[int] | None,
    municipality_id: int | None,
    since: datetime | None,
    until: datetime | None,
) -> dict[str, Any]:
    """Before/after change of the well-being measures, in aggregate.

    For each older resident and helper of the organizations (None: all) living
    in the municipality (None: all): "before" is their first check-in (taken
    at enrolment), "after" their latest check-in taken in [since, until] that
    is later than the first. People with only one check-in are not counted.

    Returns `wellbeing.aggregate_changes` over everyone ({"n", "reportable",
    "measures", "lonely"?}) plus "by_kind": {"elder": ..., "helper": ...} and
    "people_with_checkins". One query.
    """
    # The people in scope as subqueries: never thousands of ids sent to the database.
    helpers = _person_scope(HelperProfile, organization_ids, municipality_id)
    elders = _person_scope(Elder, organization_ids, municipality_id)
    stmt = (
        sa.select(CheckIn.subject_kind, CheckIn.helper_id, CheckIn.elder_id, CheckIn.taken_at, CheckIn.scores)
        .where(
            sa.or_(
                sa.and_(CheckIn.subject_kind == "helper", CheckIn.helper_id.in_(helpers)),
                sa.and_(CheckIn.subject_kind == "elder", CheckIn.elder_id.in_(elders)),
            )
        )
        .order_by(CheckIn.taken_at, CheckIn.id)
    )
    if until is not None:
        stmt = stmt.where(CheckIn.taken_at <= until)
    series: dict[tuple[str, int], list[tuple[datetime, dict[str, Any]]]] = {}
    for row in db.session.execute(stmt):
        person = row.helper_id if row.subject_kind == "helper" else row.elder_id
        scores = _valid_scores(row.subject_kind, row.scores)
        if scores is None:
            log.warning("check-in of %s %s has invalid scores; left out", row.subject_kind, person)
            continue
        series.setdefault((row.subject_kind, person), []).append((row.taken_at, scores))
    pairs: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {"elder": [], "helper": []}
    for (kind, _person), points in series.items():
        first_at, first = points[0]
        later = [s for at, s in points[1:] if at > first_at and (since is None or at >= since)]
        if later:
            pairs[kind].append((first, later[-1]))
    result = wellbeing.aggregate_changes(pairs["elder"] + pairs["helper"])
    result["by_kind"] = {kind: wellbeing.aggregate_changes(p) for kind, p in pairs.items()}
    result["people_with_checkins"] = len(series)
    return result


def _person_scope(model: type, organization_ids: Collection[int] | None, municipality_id: int | None) -> sa.Select:
    stmt = sa.select(model.id)
    if organization_ids is not None:
        stmt = stmt.where(model.organization_id.in_(list(organization_ids) or [-1]))
    if municipality_id is not None:
        stmt = stmt.where(model.municipality_id == municipality_id)
    return stmt


# --- Who is due for a check-in ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueCheckin:
    """A person whose well-being check-in is due (first one at enrolment, then every 91 days)."""

    kind: str  # "elder" | "helper"
    person_id: int
    organization_id: int | None
    first_name: str
    last_name: str
    enrolled_at: datetime
    last_taken_at: datetime | None
    due_at: datetime
    helper_user_id: int | None = None  # helpers: their login, for a link by SMS
    phone: str | None = None  # helpers: their mobile phone

    @property
    def first(self) -> bool:
        """True when this is the person's first check-in (at enrolment)."""
        return self.last_taken_at is None or self.last_taken_at < self.enrolled_at


def due_checkins(now: datetime, organization_ids: Collection[int] | None = None) -> list[DueCheckin]:
    """Active older residents and approved helpers whose check-in is due at ``now``.

    Enrolment is the elder's consent time (or when they were added) and the
    helper's approval time (or registration). Ordered by due time, oldest
    first. Three queries.
    """
    last = {
        (row.subject_kind, row.helper_id if row.subject_kind == "helper" else row.elder_id): row.last
        for row in db.session.execute(
            sa.select(
                CheckIn.subject_kind, CheckIn.helper_id, CheckIn.elder_id, sa.func.max(CheckIn.taken_at).label("last")
            ).group_by(CheckIn.subject_kind, CheckIn.helper_id, CheckIn.elder_id)
        )
    }
    elders = sa.select(
        Elder.id, Elder.organization_id, Elder.first_name, Elder.last_name, Elder.consent_at, Elder.created_at
    ).where(Elder.status == "active")
    helpers = sa.select(
        HelperProfile.id,
        HelperProfile.organization_id,
        HelperProfile.first_name,
        HelperProfile.last_name,
        HelperProfile.approved_at,
        HelperProfile.created_at,
        HelperProfile.user_id,
        HelperProfile.phone,
    ).where(HelperProfile.status == "approved")
    if organization_ids is not None:
        ids = list(organization_ids) or [-1]
        elders = elders.where(Elder.organization_id.in_(ids))
        helpers = helpers.where(HelperProfile.organization_id.in_(ids))
    due: list[DueCheckin] = []
    for row in db.session.execute(elders):
        enrolled = row.consent_at or row.created_at
        taken = aware(last.get(("elder", row.id)))
        if wellbeing.is_due(taken, enrolled, now=now):
            due.append(
                DueCheckin(
                    "elder",
                    row.id,
                    row.organization_id,
                    row.first_name,
                    row.last_name,
                    enrolled,
                    taken,
                    wellbeing.next_due(taken, enrolled),
                )
            )
    for row in db.session.execute(helpers):
        enrolled = row.approved_at or row.created_at
        taken = aware(last.get(("helper", row.id)))
        if wellbeing.is_due(taken, enrolled, now=now):
            due.append(
                DueCheckin(
                    "helper",
                    row.id,
                    row.organization_id,
                    row.first_name,
                    row.last_name,
                    enrolled,
                    taken,
                    wellbeing.next_due(taken, enrolled),
                    helper_user_id=row.user_id,
                    phone=row.phone,
                )
            )
    due.sort(key=lambda d: (d.due_at, d.kind, d.person_id))
    return due


def aware(value: datetime | None) -> datetime | None:
    """Aggregates (max) bypass the column type on SQLite and come back naive."""
    if value is None:
        return None
    if isinstance(value, str):  # SQLite returns max() of a timestamp as text
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
