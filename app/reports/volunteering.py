"""What one helper has done: the facts behind the PDF certificate and the
coordinators' list of helpers' hours.

Hours are counted as on the report page: every done errand with the minutes
the helper reported (the errand's planned length if none), plus every other
encounter (one not made from an errand) the helper took part in, with its
length. Only what has already happened counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from app import policy
from app.extensions import db
from app.models import Assignment, Encounter, EncounterParticipant, Errand, HelperProfile, Organization, TaskType, User
from app.reports.services import DONE_MINUTES

HELPER_STATUSES_LISTED = ("approved", "suspended")


@dataclass(frozen=True)
class CertificateFacts:
    """A helper's volunteering, for the PDF certificate."""

    helper: HelperProfile
    errands_done: int
    errand_minutes: int
    encounters: int
    encounter_minutes: int
    first_at: datetime | None
    last_at: datetime | None
    task_types: list[TaskType]
    encounter_kinds: list[str]

    @property
    def hours(self) -> float:
        return (self.errand_minutes + self.encounter_minutes) / 60

    @property
    def has_anything(self) -> bool:
        return bool(self.errands_done or self.encounters)


def _as_utc(value: Any) -> datetime | None:
    """MIN/MAX skip the column type on SQLite and come back as naive text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def certificate_facts(helper: HelperProfile, *, now: datetime) -> CertificateFacts:
    """The helper's done errands (by task type) and other encounters (by kind) up to ``now``.

    Three aggregate queries, whatever the helper has done.
    """
    done = (
        sa.select(
            Errand.task_type_id,
            sa.func.count(Assignment.id),
            DONE_MINUTES,
            sa.func.min(Errand.starts_at),
            sa.func.max(Errand.starts_at),
        )
        .join(Errand, Errand.id == Assignment.errand_id)
        .where(Assignment.helper_id == helper.id, Assignment.status == "done", Errand.starts_at <= now)
        .group_by(Errand.task_type_id)
    )
    ep = EncounterParticipant
    other = (
        sa.select(
            Encounter.kind,
            sa.func.count(Encounter.id),
            sa.func.coalesce(sa.func.sum(Encounter.duration_minutes), 0),
            sa.func.min(Encounter.occurred_at),
            sa.func.max(Encounter.occurred_at),
        )
        .join(ep, ep.encounter_id == Encounter.id)
        .where(ep.helper_id == helper.id, Encounter.errand_id.is_(None), Encounter.occurred_at <= now)
        .group_by(Encounter.kind)
    )
    task_counts: dict[int, int] = {}
    errands_done = errand_minutes = encounters = encounter_minutes = 0
    moments: list[datetime] = []
    for task_id, n, minutes, first, last in db.session.execute(done):
        task_counts[task_id] = int(n)
        errands_done += int(n)
        errand_minutes += int(minutes)
        moments += [m for m in (_as_utc(first), _as_utc(last)) if m]
    kinds: list[tuple[int, str]] = []
    for kind, n, minutes, first, last in db.session.execute(other):
        kinds.append((int(n), kind))
        encounters += int(n)
        encounter_minutes += int(minutes)
        moments += [m for m in (_as_utc(first), _as_utc(last)) if m]
    tasks = list(db.session.scalars(sa.select(TaskType).where(TaskType.id.in_(list(task_counts) or [-1]))))
    tasks.sort(key=lambda t: (-task_counts[t.id], t.sort_order, t.id))  # most done first
    return CertificateFacts(
        helper=helper,
        errands_done=errands_done,
        errand_minutes=errand_minutes,
        encounters=encounters,
        encounter_minutes=encounter_minutes,
        first_at=min(moments) if moments else None,
        last_at=max(moments) if moments else None,
        task_types=tasks,
        encounter_kinds=[kind for _, kind in sorted(kinds, key=lambda item: (-item[0], item[1]))],
    )


def helper_for_certificate(user: User, helper_id: int) -> HelperProfile | None:
    """The helper if ``user`` may have their certificate: an admin any, a coordinator their organizations'."""
    helper = db.session.get(HelperProfile, helper_id)
    if helper is None:
        return None
    if policy.coordinator_may_see_helper(user, helper):
        return helper
    return None


def issuing_coordinator(helper: HelperProfile, issued_by: User | None) -> User | None:
    """Whose name goes on the certificate.

    The coordinator downloading it; when the helper downloads it themselves,
    the coordinator who approved them, if that person still coordinates the
    helper's organization.
    """
    if issued_by is not None and issued_by.role in ("coordinator", "admin"):
        return issued_by
    if helper.approved_by_id is None:
        return None
    approver = db.session.get(User, helper.approved_by_id)
    if (
        approver is not None
        and approver.active
        and approver.role == "coordinator"
        and policy.may_see_org(approver, helper.organization_id)
    ):
        return approver
    return None


@dataclass(frozen=True)
class HelperHoursRow:
    helper_id: int
    name: str
    organization: str
    errands_done: int
    encounters: int
    hours: float


def helper_hours_page(user: User, *, page: int, per_page: int, now: datetime) -> tuple[list[HelperHoursRow], int]:
    """One page of the user's organizations' helpers with what they have done (all time).

    Two queries: the count, and the page with its sums as correlated subqueries
    (so only the page's helpers are summed).
    """
    conds: list[sa.ColumnElement[bool]] = [HelperProfile.status.in_(HELPER_STATUSES_LISTED)]
    conds.append(policy.scope_condition(user, HelperProfile.organization_id))
    total = db.session.scalar(sa.select(sa.func.count(HelperProfile.id)).where(*conds)) or 0

    def done(column: Any) -> Any:
        return (
            sa.select(column)
            .join(Errand, Errand.id == Assignment.errand_id)
            .where(Assignment.helper_id == HelperProfile.id, Assignment.status == "done", Errand.starts_at <= now)
            .correlate(HelperProfile)
            .scalar_subquery()
        )

    def other(column: Any) -> Any:
        ep = EncounterParticipant
        return (
            sa.select(column)
            .join(ep, ep.encounter_id == Encounter.id)
            .where(ep.helper_id == HelperProfile.id, Encounter.errand_id.is_(None), Encounter.occurred_at <= now)
            .correlate(HelperProfile)
            .scalar_subquery()
        )

    stmt = (
        sa.select(
            HelperProfile.id,
            HelperProfile.first_name,
            HelperProfile.last_name,
            Organization.name,
            done(sa.func.count(Assignment.id)),
            done(DONE_MINUTES),
            other(sa.func.count(Encounter.id)),
            other(sa.func.coalesce(sa.func.sum(Encounter.duration_minutes), 0)),
        )
        .outerjoin(Organization, Organization.id == HelperProfile.organization_id)
        .where(*conds)
        .order_by(HelperProfile.last_name, HelperProfile.first_name, HelperProfile.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    rows = [
        HelperHoursRow(
            helper_id=hid,
            name=f"{first} {last}",
            organization=org or "",
            errands_done=int(n_done or 0),
            encounters=int(n_other or 0),
            hours=(int(done_minutes or 0) + int(other_minutes or 0)) / 60,
        )
        for hid, first, last, org, n_done, done_minutes, n_other, other_minutes in db.session.execute(stmt)
    ]
    return rows, int(total)
