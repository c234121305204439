"""THE ORACLE (tests only): the well-being before/after change as it was counted before the
check-in rollups (1df4b49): every check-in of the people in scope read and paired in Python.
Copied unchanged but for the imports and the scores' check, which is the app's own
(``checkin_rollups.valid_scores``: the pairing is what is checked); ``test_rollups`` checks the rollups against it.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.encounters import wellbeing
from app.encounters.checkin_rollups import valid_scores
from app.extensions import db
from app.models import CheckIn, Elder, HelperProfile

log = logging.getLogger(__name__)


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
        scores = valid_scores(row.subject_kind, row.scores)
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
