"""Reads of well-being check-ins: before/after change in aggregate, and who is due.

Both run a constant number of queries. Re-exported by `app.encounters.services`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from app.encounters import checkin_rollups, wellbeing
from app.extensions import db
from app.models import CheckIn, Elder, HelperProfile

log = logging.getLogger(__name__)


# --- Check-in changes for reports -----------------------------------------------------------


def checkin_changes(
    organization_ids: Collection[int] | None,
    municipality_id: int | None,
    since: date | None,
    until: date | None,
) -> dict[str, Any]:
    """Before/after change of the well-being measures, in aggregate, over local days.

    For each older resident and helper of the organizations (None: all) living
    in the municipality (None: all): "before" is their first check-in (taken
    at enrolment), "after" their latest check-in taken on the days [since,
    until] (None: unbounded) that is later than the first. People with only
    one check-in are not counted.

    Returns `wellbeing.aggregate_changes` over everyone ({"n", "reportable",
    "measures", "lonely"?}) plus "by_kind": {"elder": ..., "helper": ...} and
    "people_with_checkins" (people whose first check-in was by ``until``).
    One statement over the check-in rollups (:mod:`app.encounters.checkin_rollups`),
    whatever the number of people.
    """
    groups = checkin_rollups.changes_by_group(organization_ids, municipality_id, since, until)
    by_kind: dict[str, dict[str, Any]] = {}
    every: dict[str, list[int]] = {}
    total = 0
    for kind in wellbeing.KINDS:
        sums = {measure: values for (k, measure), values in groups.items() if k == kind}
        pairs = sums.get(checkin_rollups.PAIRS, [0])[0]
        by_kind[kind] = wellbeing.summarize(pairs, sums)
        total += pairs
        for measure, values in sums.items():
            acc = every.setdefault(measure, [0, 0, 0, 0, 0])
            for i, value in enumerate(values):
                acc[i] += value
    result = wellbeing.summarize(total, every)
    result["by_kind"] = by_kind
    result["people_with_checkins"] = sum(
        values[0] for (_kind, measure), values in groups.items() if measure == checkin_rollups.PEOPLE
    )
    return result


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
