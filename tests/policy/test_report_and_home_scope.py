"""A coordinator's report and start-page counts hold their own organizations' people
only, whatever partnerships there are: both ask :mod:`app.policy`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from app.main.services import coordinator_overview, local_day_bounds
from app.models import Organization, User, utcnow
from app.reports.scope import ReportError, allowed_municipalities, allowed_organizations, build_scope
from app.reports.services import build_report, helpers_by_area
from tests.factories import in_days

#: How many of each kind of record every organization gets (all different, so a leak shows).
SETS = {"own": 1, "partner": 2, "far_partner": 3, "stranger": 4}


@dataclass(frozen=True)
class Expected:
    errands_today: int
    errands_without_helper: int
    pending_helpers: int
    elders: int


@pytest.fixture()
def filled(db, make, world):
    """Per organization: n older residents, n pending helpers, n errands earlier today,
    n open errands in two days (one of each per set); the world's own errand on top."""
    today_start, _ = local_day_bounds()
    for name, n in SETS.items():
        org: Organization = getattr(world, name)
        for _i in range(n):
            elder = make.elder(org=org)
            make.helper(org=org, status="pending")
            make.errand(elder, today_start + timedelta(minutes=1), state="cancelled")
            make.errand(elder, in_days(2))
    db.session.commit()
    return world


def _expected(name: str) -> Expected:
    n = SETS[name]
    extra = 1 if name == "own" else 0  # the world's older resident and errand (in three days)
    return Expected(errands_today=n, errands_without_helper=n + extra, pending_helpers=n, elders=n + extra)


def _overview(user: User) -> Expected:
    o = coordinator_overview(user)
    assert o.open_alerts == 0
    return Expected(o.errands_today, o.errands_without_helper, o.pending_helpers, o.elders)


def _sum(*names: str) -> Expected:
    parts = [_expected(n) for n in names]
    return Expected(*(sum(getattr(p, f) for p in parts) for f in Expected.__dataclass_fields__))


def test_home_counts_hold_only_the_coordinators_own_organizations(db, make, filled):
    world = filled
    # The own organization has partners (one serving the same municipality): their people are not counted.
    assert _overview(world.coordinator) == _expected("own")
    assert _overview(world.stranger_coordinator) == _expected("stranger")
    assert _overview(make.coordinator(org=world.partner)) == _expected("partner")
    both = make.user("coordinator", orgs=[world.own, world.stranger])
    assert _overview(both) == _sum("own", "stranger")
    assert _overview(make.admin()) == _sum(*SETS)
    # A new partnership changes nothing in what a coordinator counts.
    make.partnership(world.own, world.stranger)
    assert _overview(world.coordinator) == _expected("own")
    assert _overview(world.stranger_coordinator) == _expected("stranger")


def _report(user: User, now: datetime, organization_id: int | None = None):
    today = now.date()
    scope = build_scope(
        user,
        since=today - timedelta(days=30),
        until=today + timedelta(days=30),
        organization_id=organization_id,
        now=now,
    )
    return scope, build_report(scope)


def test_a_coordinators_report_is_their_own_organizations_with_or_without_partnerships(db, make, filled):
    world = filled
    admin, now = make.admin(), utcnow()
    _, everything = _report(admin, now)
    for partnered in (False, True):
        if partnered:
            make.partnership(world.own, world.stranger)
        for coordinator, org in ((world.coordinator, world.own), (world.stranger_coordinator, world.stranger)):
            scope, report = _report(coordinator, now)
            assert scope.organization_ids == (org.id,)
            assert report == _report(admin, now, org.id)[1]  # exactly the admin's report of that one organization
            assert report.requests == SETS["own" if org is world.own else "stranger"] * 2 + (org is world.own)
            assert report != everything
            # Approved helpers on the map: the organization's own one only (not the partner's).
            assert sum(helpers_by_area(scope).values()) == 1
            assert [o.id for o in allowed_organizations(coordinator)] == [org.id]
            assert {m.name for m in allowed_municipalities(coordinator)} == {"Kajaani"}  # not the partner's Paltamo
            other = world.stranger if org is world.own else world.own
            with pytest.raises(ReportError):
                build_scope(coordinator, since=now.date(), until=now.date(), organization_id=other.id, now=now)
    assert everything.requests == sum(SETS.values()) * 2 + 1
    assert {m.name for m in allowed_municipalities(make.coordinator(org=world.partner))} == {"Kajaani", "Paltamo"}
