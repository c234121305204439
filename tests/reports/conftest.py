"""A small, fully known world for the report tests.

Organization A (Kajaani and Paltamo), relative to now, in the period
today-90 .. today+10:

Errands (13, each from its own request, 13 requests):
  shopping  6 done 20 days ago (report 60 min each, the sixth none: its planned 90 min),
            1 assigned in 3 days                      -> 7 considered, 7 matched
  walk      2 expired, 1 expired after its helper withdrew -> 3 considered, 3 unmet
  post      1 cancelled by a relative, 1 cancelled by the coordinator without a helper,
            1 open in 2 days                          -> 1 considered, 1 unmet, 1 waiting
  totals    due 13, cancelled by elder 1, waiting 1, considered 11, matched 7, unmet 4, done 6
  time to match of the 7 matched: 1, 2, 3, 4, 5, 6 and 10 hours -> median 4, mean 31/7

Encounters (15 days ago unless said):
  2 home_help made from done errands (60 min each; not added to hours again)
  shared_activity 120 min, helpers h1 h2, elders e1 e3
  community_event 90 min, helper h3, elders e4 e5
  company_walk 60 min, helper h4, elder e2
  a planned company_walk tomorrow (not counted)
  helper hours: errands 5*60 + 90 = 390 min, encounters 2*120 + 90 + 60 = 390 min -> 13 hours

Older people reached: done errands e1 e2 e3 e7 (e7 lives in Paltamo), encounters e1..e5 -> 6
Places: e1 lives in the village Paltaniemi (Kajaani), e2..e6 in Kajaani with no village, e7 in Paltamo.
Helpers taking part: h1..h6 -> 6
Check-ins: e1..e5 first 200 days ago (loneliness 7, good days 2), again 10 days ago (5, 4).

Organization B has its own coordinator and one done errand that A must never see.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.i18n import to_local
from app.models import (
    Elder,
    Errand,
    HelperProfile,
    Organization,
    TaskType,
    User,
    utcnow,
)

_codes = itertools.count(500)


@dataclass
class World:
    now: datetime
    today: date
    org: Organization
    other_org: Organization
    coordinator: User
    other_coordinator: User
    helpers: list[HelperProfile]
    elders: list[Elder]
    tasks: dict[str, TaskType]
    extra: dict = field(default_factory=dict)

    @property
    def period_args(self) -> str:
        since = self.today - timedelta(days=90)
        until = self.today + timedelta(days=10)
        return f"date_from={since.isoformat()}&date_to={until.isoformat()}"


def report_errand(
    make,
    now: datetime,
    elder: Elder,
    task: str,
    *,
    starts_in: timedelta,
    state: str,
    helper: HelperProfile | None = None,
    assignment_status: str = "done",
    report_minutes: int | None = 60,
    duration: int = 60,
    match_hours: float = 1.0,
    cancelled_by_kind: str | None = None,
) -> Errand:
    """An errand of the report world (``make.errand``): requested 30 days and created 40
    days before ``now``; its helper, if any, matched ``match_hours`` after it was created
    (``make.assignment``), with a report of ``report_minutes`` when done."""
    created = now - timedelta(days=40)
    errand = make.errand(
        elder,
        now + starts_in,
        task=task,
        minutes=duration,
        state=state,
        cancelled_by_kind=cancelled_by_kind,
        created_at=created,
        requested_at=now - timedelta(days=30),
    )
    if helper is not None:
        done = assignment_status == "done"
        make.assignment(
            errand,
            helper,
            status=assignment_status,
            assigned_at=created + timedelta(hours=match_hours),
            report_minutes=report_minutes if done else None,
            done_at=errand.ends_at if done else None,
        )
    return errand


def loneliness_checkin(make, now: datetime, elder: Elder, *, days_ago: int, loneliness: int, good_days: int) -> None:
    """A check-in of ``elder`` with these scores (``make.checkin``)."""
    scores = {"kind": "elder", "loneliness_total": loneliness, "lonely": loneliness >= 6, "good_days": good_days}
    make.checkin(elder, {}, at=now - timedelta(days=days_ago), scores=scores)


@pytest.fixture()
def world(db, make) -> World:
    session = db.session
    now = utcnow()
    org = make.organization("Kainuun testiyhdistys", municipalities=("Kajaani", "Paltamo"))
    other = make.organization("Toinen yhdistys", municipalities=("Kajaani",))
    coordinator = make.coordinator(org=org, name="Kaija Koordinaattori")
    other_coordinator = make.coordinator(org=other)
    helpers = [make.helper(org=org, first_name=f"Nuori{i}", last_name="Auttaja") for i in range(1, 7)]
    helpers[0].first_name, helpers[0].last_name = "Väinö", "Äijälä"
    helpers[0].approved_by_id = coordinator.id
    paltamo = make.municipality("Paltamo")
    elders = [make.elder(org=org, first_name=f"Vanhus{i}") for i in range(1, 8)]
    elders[6].municipality = paltamo
    elders[0].village = make.village("Paltaniemi")
    tasks = {t.code: t for t in session.scalars(sa.select(TaskType))}
    session.commit()
    e1, e2, e3, e4, e5, e6, e7 = elders
    h1, h2, h3, h4, h5, h6 = helpers
    ago = timedelta(days=-20)

    def errand(elder, task, **kw):
        return report_errand(make, now, elder, task, **kw)

    def encounter(kind, *, helpers, elders, minutes, days_ago=15, errand=None, place_kind="home"):
        make.encounter(
            helpers,
            elders,
            kind=kind,
            place=place_kind,
            at=now - timedelta(days=days_ago),
            duration_minutes=minutes,
            org=org,
            errand_id=errand.id if errand is not None else None,
        )

    with make.batch():
        done = [
            errand(e, "shopping", starts_in=ago, state="done", helper=h, match_hours=hours)
            for e, h, hours in ((e1, h1, 1), (e2, h2, 2), (e3, h3, 3), (e7, h4, 4), (e7, h5, 5))
        ]
        done.append(
            errand(
                e7, "shopping", starts_in=ago, state="done", helper=h6, report_minutes=None, duration=90, match_hours=6
            )
        )
        errand(
            e1,
            "shopping",
            starts_in=timedelta(days=3),
            state="assigned",
            helper=h1,
            assignment_status="active",
            match_hours=10,
        )
        errand(e6, "walk", starts_in=ago, state="expired")
        errand(e6, "walk", starts_in=timedelta(days=-21), state="expired")
        errand(e6, "walk", starts_in=timedelta(days=-22), state="expired", helper=h2, assignment_status="withdrawn")
        errand(e5, "post", starts_in=ago, state="cancelled", cancelled_by_kind="relative")
        errand(e5, "post", starts_in=timedelta(days=-23), state="cancelled", cancelled_by_kind="coordinator")
        errand(e4, "post", starts_in=timedelta(days=2), state="open")

        encounter("home_help", helpers=[h1], elders=[e1], minutes=60, errand=done[0])
        encounter("home_help", helpers=[h2], elders=[e2], minutes=60, errand=done[1])
        encounter("shared_activity", helpers=[h1, h2], elders=[e1, e3], minutes=120, place_kind="shared_space")
        encounter("community_event", helpers=[h3], elders=[e4, e5], minutes=90, place_kind="shared_space")
        encounter("company_walk", helpers=[h4], elders=[e2], minutes=60, place_kind="outdoors")
        encounter("company_walk", helpers=[h4], elders=[e2], minutes=60, days_ago=-1)
        for elder in (e1, e2, e3, e4, e5):
            loneliness_checkin(make, now, elder, days_ago=200, loneliness=7, good_days=2)
            loneliness_checkin(make, now, elder, days_ago=10, loneliness=5, good_days=4)

    other_elder = make.elder(org=other, first_name="Muu")
    other_helper = make.helper(org=other)
    report_errand(make, now, other_elder, "company", starts_in=ago, state="done", helper=other_helper)
    return World(
        now=now,
        today=to_local(now).date(),
        org=org,
        other_org=other,
        coordinator=coordinator,
        other_coordinator=other_coordinator,
        helpers=helpers,
        elders=elders,
        tasks=tasks,
    )
