"""What a report covers and who may ask for it: the period, the organizations
and the municipality, checked against the user's own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from app import policy
from app.extensions import db
from app.i18n import local_midnight
from app.models import Municipality, Organization, User

MAX_PERIOD_DAYS = 366 * 5 + 1


class ReportError(Exception):
    """A filter the user may not use (an organization or municipality outside their own)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ReportScope:
    """What a report covers: a period of local dates, organizations and a municipality.

    ``organization_ids`` None means every organization (admins only).
    """

    since: date
    until: date  # inclusive
    organization_ids: tuple[int, ...] | None
    municipality_id: int | None
    now: datetime

    @property
    def start(self) -> datetime:
        return local_midnight(self.since)

    @property
    def end(self) -> datetime:
        """Exclusive end: midnight after the last day, Helsinki time, in UTC."""
        return local_midnight(self.until + timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def orgs_filter(self, column: sa.ColumnElement) -> list[sa.ColumnElement[bool]]:
        """Conditions keeping ``column`` (an organization id) inside the scope."""
        if self.organization_ids is None:
            return []
        return [column.in_(self.organization_ids or (-1,))]

    def muni_filter(self, column: sa.ColumnElement) -> list[sa.ColumnElement[bool]]:
        """Conditions keeping ``column`` (a municipality id) inside the scope."""
        return [] if self.municipality_id is None else [column == self.municipality_id]


def allowed_organizations(user: User) -> list[Organization]:
    """Organizations a user may report on: their scope in :mod:`app.policy`."""
    return policy.scope_organizations(user)


def allowed_municipalities(user: User) -> list[Municipality]:
    """Municipalities a user may choose: those served by the organizations in their scope."""
    return list(db.session.scalars(policy.scope_municipalities(user)))


def build_scope(
    user: User,
    *,
    since: date,
    until: date,
    organization_id: int | None = None,
    municipality_id: int | None = None,
    now: datetime,
) -> ReportScope:
    """The scope of a report for ``user``; raises `ReportError` for a filter outside their own.

    The organizations come from :mod:`app.policy` (a coordinator's own, an
    admin's every one); a chosen organization must be one of them.
    """
    if until < since:
        raise ReportError("period_order")
    if (until - since).days + 1 > MAX_PERIOD_DAYS:
        raise ReportError("period_too_long")
    org_ids = policy.scope_ids(user)
    if organization_id is not None:
        if not policy.may_see_org(user, organization_id) or db.session.get(Organization, organization_id) is None:
            raise ReportError("organization")
        org_ids = (organization_id,)
    if municipality_id is not None and municipality_id not in {m.id for m in allowed_municipalities(user)}:
        raise ReportError("municipality")
    return ReportScope(since, until, org_ids, municipality_id, now)


def municipality_name(muni: Municipality | None, locale: str) -> str:
    if muni is None:
        return ""
    return (muni.name_sv or muni.name) if locale == "sv" else muni.name
