"""The check-in rollups: the report's before/after change of well-being as sums over days.

The report's rule (:func:`app.encounters.checkin_services.checkin_changes`): for
each person in scope, "before" is their first check-in and "after" their latest
check-in of the period [since, until] taken later than the first. A person's
check-in ``c`` (not the first, taken after it) is that latest one exactly when
``since <= c <= until < the person's next check-in`` (or there is none). At the
grain of local days, as the report asks, that is ``since <= day(c) <= until <
day(next)``; so each such check-in is summed into the row of its day and of the
day of the person's next check-in (:class:`app.models.RollupCheckinDay`), and a
period's change is a sum over rows. "People with check-ins" up to ``until``
counts the people by the day of their first check-in.

Rows are keyed by where the person lives now (organization, municipality), as
the report's scope is. :mod:`app.rollups` keeps them in step: a check-in
written or deleted, a person who moves or changes organization redoes the
(day, municipality) buckets of that person's check-in days, before the commit,
through :func:`rebuild` (registered with :func:`app.rollups.on_checkins` when
the app starts); the nightly repair and ``flask rebuild-rollups`` use the same
function. Check-ins with invalid scores are left out, as the report always did.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app import rollups
from app.encounters import wellbeing
from app.extensions import db
from app.i18n import local_midnight
from app.models import CheckIn, Elder, HelperProfile, RollupCheckinDay

log = logging.getLogger(__name__)

PAIRS = "pairs"
"""The measure of the rows counting pairs (each kind's n)."""
PEOPLE = "people"
"""The measure of the rows counting people by the day of their first check-in."""
BATCH = 5_000

RowKey = tuple[date, date | None, int | None, int | None, str, str]
"""(day, next_day, organization, municipality, kind, measure)."""


def valid_scores(kind: str, scores: dict[str, Any] | None) -> dict[str, Any] | None:
    """The scores with their kind, or None when a measure is missing or out of range."""
    if not scores:
        return None
    candidate = {**scores, "kind": kind}
    for measure in wellbeing.MEASURES[kind]:
        value = candidate.get(measure.code)
        if not isinstance(value, int) or isinstance(value, bool) or not measure.minimum <= value <= measure.maximum:
            return None
    return candidate


def _person_model(kind: str) -> tuple[type[HelperProfile] | type[Elder], sa.ColumnElement[int]]:
    return (HelperProfile, CheckIn.helper_id) if kind == "helper" else (Elder, CheckIn.elder_id)


def _series(
    kind: str, first: date | None, last: date | None, municipality_ids: set[int | None] | None
) -> Iterable[Any]:
    """Every check-in (ordered per person) of the people of ``kind`` living in
    ``municipality_ids`` (None: anywhere) who have a check-in taken in [first, last]."""
    model, person = _person_model(kind)
    stmt = (
        sa.select(
            person.label("person_id"),
            model.organization_id,
            model.municipality_id,
            CheckIn.taken_at,
            CheckIn.scores,
        )
        .join(model, model.id == person)
        .where(CheckIn.subject_kind == kind)
        .order_by(person, CheckIn.taken_at, CheckIn.id)
    )
    if municipality_ids is not None:
        stmt = stmt.where(rollups.in_ids(model.municipality_id, municipality_ids))
    if first is not None or last is not None:
        other = aliased(CheckIn)
        taken = [other.subject_kind == kind]
        if first is not None:
            taken.append(other.taken_at >= local_midnight(first))
        if last is not None:
            taken.append(other.taken_at < local_midnight(last + timedelta(days=1)))
        other_person = other.helper_id if kind == "helper" else other.elder_id
        stmt = stmt.where(person.in_(sa.select(other_person).where(*taken)))
    return db.session.execute(stmt)


def _add(sums: dict[RowKey, list[int]], key: RowKey, part: tuple[int, ...]) -> None:
    acc = sums.setdefault(key, [0, 0, 0, 0, 0])
    for i, value in enumerate(part):
        acc[i] += value


def _person_rows(
    kind: str,
    org: int | None,
    muni: int | None,
    points: list[tuple[datetime, dict[str, Any]]],
    first: date | None,
    last: date | None,
    sums: dict[RowKey, list[int]],
) -> None:
    """Add one person's check-ins taken in [first, last] to ``sums``."""
    first_at, before = points[0]
    days = [rollups.local_day(at) for at, _ in points]

    def wanted(day: date) -> bool:
        return (first is None or day >= first) and (last is None or day <= last)

    if wanted(days[0]):
        _add(sums, (days[0], None, org, muni, kind, PEOPLE), (1,))
    for i in range(1, len(points)):
        at, after = points[i]
        if at <= first_at or not wanted(days[i]):
            continue
        next_day = days[i + 1] if i + 1 < len(points) else None
        _add(sums, (days[i], next_day, org, muni, kind, PAIRS), (1,))
        for code, part in wellbeing.change_sums(before, after).items():
            _add(sums, (days[i], next_day, org, muni, kind, code), part)


def rebuild(first: date | None, last: date | None, municipality_ids: set[int | None] | None) -> None:
    """Replace the check-in rows of the days [first, last] (None: unbounded) of the
    people living in ``municipality_ids`` (None: everywhere), from the check-ins."""
    R = RollupCheckinDay  # noqa: N806 - a table alias
    gone = []
    if first is not None:
        gone.append(R.day >= first)
    if last is not None:
        gone.append(R.day <= last)
    if municipality_ids is not None:
        gone.append(rollups.in_ids(R.municipality_id, municipality_ids))
    db.session.execute(sa.delete(R).where(*gone))
    sums: dict[RowKey, list[int]] = {}
    for kind in wellbeing.KINDS:
        person: tuple[int, int | None, int | None] | None = None
        points: list[tuple[datetime, dict[str, Any]]] = []
        for row in _series(kind, first, last, municipality_ids):
            key = (row.person_id, row.organization_id, row.municipality_id)
            if key != person:
                if points:
                    _person_rows(kind, person[1], person[2], points, first, last, sums)  # type: ignore[index]
                person, points = key, []
            scores = valid_scores(kind, row.scores)
            if scores is None:
                log.warning("check-in of %s %s has invalid scores; left out", kind, row.person_id)
                continue
            points.append((row.taken_at, scores))
        if points:
            _person_rows(kind, person[1], person[2], points, first, last, sums)  # type: ignore[index]
    rows = [
        {
            "day": day,
            "next_day": next_day,
            "organization_id": org,
            "municipality_id": muni,
            "subject_kind": kind,
            "measure": measure,
            "n": n,
            "before_sum": before,
            "after_sum": after,
            "improved": improved,
            "worsened": worsened,
        }
        for (day, next_day, org, muni, kind, measure), (n, before, after, improved, worsened) in sums.items()
    ]
    for i in range(0, len(rows), BATCH):
        db.session.execute(sa.insert(R), rows[i : i + BATCH])


def changes_by_group(
    organization_ids: Iterable[int] | None, municipality_id: int | None, since: date | None, until: date | None
) -> dict[tuple[str, str], list[int]]:
    """{(kind, measure): [n, before, after, improved, worsened]} of a period: one statement."""
    R = RollupCheckinDay  # noqa: N806 - a table alias
    scope: list[sa.ColumnElement[bool]] = []
    if organization_ids is not None:
        scope.append(R.organization_id.in_(list(organization_ids) or [-1]))
    if municipality_id is not None:
        scope.append(R.municipality_id == municipality_id)
    upto = [] if until is None else [R.day <= until]
    latest = [
        R.measure != PEOPLE,
        *upto,
        *([] if since is None else [R.day >= since]),
        R.next_day.is_(None) if until is None else sa.or_(R.next_day.is_(None), R.next_day > until),
    ]
    people = [R.measure == PEOPLE, *upto]
    sums = (R.n, R.before_sum, R.after_sum, R.improved, R.worsened)
    stmt = (
        sa.select(R.subject_kind, R.measure, *(sa.func.sum(c) for c in sums))
        .where(*scope, sa.or_(sa.and_(*latest), sa.and_(*people)))
        .group_by(R.subject_kind, R.measure)
    )
    return {(kind, measure): [int(v or 0) for v in values] for kind, measure, *values in db.session.execute(stmt)}
