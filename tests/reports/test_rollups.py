"""The report summed from the rollups equals the report counted the old way.

The oracle is the report page's reads as they were before the rollups
(``oracle_services`` and ``oracle_funnel``: every errand and encounter of the
period counted in SQL, kept in the tests only). A random world of errands in
every state around today (before and after the clock, the current day
included), requests, encounters of every kind (some planned ahead, some made
from errands) and overrides is reported on over several scopes; then it is
changed through the services (cancel, withdraw, done, a new encounter, a new
request, an older person moving, an encounter deleted) and compared again
without any rebuild; a full rebuild then leaves every rollup row as the
services left it.

Well-being check-ins too: a random series per person (some on the same day,
one at the very moment of the first, one with invalid scores), compared with
the old pairing (``oracle_checkins``) and the old funnel; then a second, third
and first check-in through the service, a check-in deleted, a helper who moves,
one who changes organization, one suspended, an older person who moves and one
whose participation ends, and compared again.
"""

from __future__ import annotations

import random
from dataclasses import asdict, replace
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import rollups
from app.elders.intake import change_status
from app.elders.location import place_by_hand
from app.encounters import stages
from app.encounters.operations import EncounterInput, log_encounter, record_checkin
from app.encounters.services import checkin_changes
from app.errands.completion import mark_done
from app.errands.lifecycle import cancel_errand, withdraw
from app.helpers.services import suspend_helper
from app.i18n import to_local
from app.models import (
    Assignment,
    CheckIn,
    Encounter,
    Errand,
    Municipality,
    RollupCheckinDay,
    RollupEncounterDay,
    RollupErrandDay,
    RollupMatchMinutes,
    RollupPeopleCount,
    RollupPersonDay,
    RollupRequestDay,
    StageChange,
    StageOverride,
    Village,
    utcnow,
)
from app.reports import services
from app.reports.scope import ReportScope
from app.scheduling.jobs import job_rollups
from tests.encounters.conftest import elder_answers, helper_answers
from tests.reports import oracle_checkins, oracle_services

ROLLUPS = (
    RollupErrandDay,
    RollupMatchMinutes,
    RollupRequestDay,
    RollupEncounterDay,
    RollupPersonDay,
    RollupCheckinDay,
    RollupPeopleCount,
    StageChange,
)
STATES = ("open", "offered", "assigned", "done", "cancelled", "expired", "no_show")
HALF_A_MINUTE_IN_HOURS = 0.5 / 60


def _comparable(report) -> dict:
    data = asdict(report)
    data.pop("activities", None)  # read live, not from the rollups (tests/activities/test_reports.py)
    data["areas"] = sorted(data["areas"], key=lambda a: (a["municipality_id"] or 0, a["village_id"] or 0))
    return data


def assert_same_report(scope: ReportScope) -> None:
    new = _comparable(services.build_report(scope))
    old = _comparable(oracle_services.build_report(scope))
    new_ttm, old_ttm = new.pop("time_to_match"), old.pop("time_to_match")
    assert new == old
    assert new_ttm["n"] == old_ttm["n"]
    for key, tolerance in (("mean_hours", 1e-9), ("median_hours", HALF_A_MINUTE_IN_HOURS + 1e-9)):
        if old_ttm[key] is None:
            assert new_ttm[key] is None
        else:
            assert new_ttm[key] == pytest.approx(old_ttm[key], abs=tolerance), key


def rollup_rows(db) -> dict[str, list[tuple]]:
    out = {}
    for model in ROLLUPS:
        columns = [c for c in model.__table__.columns if c.name != "id"]
        rows = db.session.execute(sa.select(*columns)).all()
        out[model.__tablename__] = sorted(
            (tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in rows), key=repr
        )
    return out


@pytest.fixture()
def rich(db, make):
    """A random world around today in three municipalities and two organizations."""
    rng = random.Random(15)
    now = utcnow()
    org = make.organization("Kainuun 4H", municipalities=("Kajaani", "Paltamo"))
    other = make.organization("Kuhmon nuoret", municipalities=("Kuhmo",))
    coordinator = make.coordinator(org=org)
    munis = {m.name: m for m in db.session.scalars(sa.select(Municipality))}
    village = make.village("Paltaniemi")
    helpers = [make.helper(org=org) for _ in range(6)] + [make.helper(org=other) for _ in range(3)]
    elders = []
    for i in range(9):
        elder = make.elder(org=org if i < 6 else other)
        elder.municipality = munis[("Kajaani", "Paltamo", "Kuhmo")[i % 3]]
        if i == 0:
            elder.village = village
        elders.append(elder)
    db.session.commit()
    tasks = ["shopping", "post", "walk", "company", "digital"]
    with make.batch():
        _random_world(rng, make, now, org, other, munis, helpers, elders, tasks)
        _random_checkins(rng, make, now, helpers, elders)
    db.session.add(
        StageOverride(subject_kind="helper", helper_id=helpers[0].id, stage=3, reason="x", at=now - timedelta(days=20))
    )
    db.session.commit()
    return {
        "now": now,
        "org": org,
        "other": other,
        "coordinator": coordinator,
        "munis": munis,
        "elders": elders,
        "helpers": helpers,
    }


def _random_world(rng, make, now, org, other, munis, helpers, elders, tasks) -> None:
    for _ in range(90):
        elder = rng.choice(elders)
        # mostly around today, including earlier and later today
        offset = timedelta(hours=rng.choice((rng.uniform(-24 * 120, 24 * 25), rng.uniform(-10, 10))))
        starts_at = now + offset
        state = rng.choice(STATES)
        if starts_at > now and state in ("done", "expired", "no_show"):
            state = "assigned"
        created = starts_at - timedelta(days=rng.uniform(1, 30))
        errand = make.errand(
            elder,
            starts_at,
            task=rng.choice(tasks),
            minutes=rng.choice((30, 60, 90)),
            state=state,
            created_at=created,
            requested_at=created - timedelta(hours=rng.uniform(0, 48)),
            cancelled_by_kind=rng.choice(("elder", "relative", "coordinator")) if state == "cancelled" else None,
        )
        helper_pool = [h for h in helpers if h.organization_id == elder.organization_id]
        if state in ("assigned", "done", "no_show", "cancelled") or rng.random() < 0.2:
            for helper in rng.sample(helper_pool, rng.choice((1, 1, 2))):
                status = {"done": "done", "no_show": "no_show"}.get(state, "active")
                if rng.random() < 0.2:
                    status = "withdrawn"
                make.assignment(
                    errand,
                    helper,
                    status=status,
                    assigned_at=created + timedelta(minutes=rng.uniform(1, 4000), seconds=rng.uniform(0, 59)),
                    report_minutes=rng.choice((None, 45, 75)) if status == "done" else None,
                )
        if state == "done" and rng.random() < 0.7:
            make.encounter(
                [a.helper for a in errand.assignments if a.status == "done"] or helper_pool[:1],
                elder,
                at=starts_at,
                kind="home_help",
                errand_id=errand.id,
                duration_minutes=errand.duration_minutes,
            )
    for _ in range(70):
        group = rng.choice((org, other))
        pool_h = [h for h in helpers if h.organization_id == group.id]
        pool_e = [e for e in elders if e.organization_id == group.id]
        place = rng.choice(sorted(stages.PLACE_KINDS))
        make.encounter(
            rng.sample(pool_h, rng.choice((1, 1, 2))),
            rng.sample(pool_e, rng.choice((1, 2))),
            at=now + timedelta(hours=rng.choice((rng.uniform(-24 * 400, 24 * 5), rng.uniform(-8, 8)))),
            kind=rng.choice(sorted(stages.KINDS)),
            place=place,
            org=group,
            municipality_id=rng.choice([m.id for m in munis.values() if m.name in ("Kajaani", "Paltamo", "Kuhmo")]),
            duration_minutes=rng.choice((30, 60, 120)),
            initiated_by=rng.choice(sorted(stages.INITIATORS)),
            led_by=rng.choice(sorted(stages.LEADERS)),
            organised_by_participant=rng.random() < 0.1,
        )


def _random_checkins(rng, make, now, helpers, elders) -> None:
    """Series of check-ins around the last year: two on one day, one at the very moment
    of the person's first, one with invalid scores, some people with one or none."""
    for person in [*helpers, *elders]:
        is_elder = person in elders
        count = rng.choice((0, 1, 2, 3, 3, 4, 5))
        moments = sorted(now + timedelta(hours=rng.uniform(-24 * 400, 24 * 3)) for _ in range(count))
        if count >= 3 and rng.random() < 0.4:
            moments.insert(2, moments[1] + timedelta(hours=rng.uniform(0.1, 3)))  # often the same day
        if count >= 2 and rng.random() < 0.2:
            moments.insert(1, moments[0])  # at the moment of the first
        for at in moments:
            if is_elder:
                answers = elder_answers(rng.randint(3, 9), good_days=rng.randint(0, 7))
            else:
                answers = helper_answers(rng.randint(1, 5), rng.randint(1, 5))
            make.checkin(person, answers, at=at)
        if count and rng.random() < 0.1:
            make.checkin(person, {}, at=moments[-1] + timedelta(days=1), scores={"loneliness_total": 42})


def assert_same_checkins(scope: ReportScope) -> None:
    """The check-in figures of a period (also unbounded) equal the old pairing."""
    new = checkin_changes(scope.organization_ids, scope.municipality_id, scope.since, scope.until)
    last_moment = scope.end - timedelta(microseconds=1)
    old = oracle_checkins.checkin_changes(scope.organization_ids, scope.municipality_id, scope.start, last_moment)
    assert new == old
    everything = checkin_changes(scope.organization_ids, scope.municipality_id, None, None)
    assert everything == oracle_checkins.checkin_changes(scope.organization_ids, scope.municipality_id, None, None)


def scopes(rich) -> list[ReportScope]:
    today = to_local(utcnow()).date()
    now = utcnow()
    kajaani = rich["munis"]["Kajaani"].id
    both = (rich["org"].id, rich["other"].id)
    return [
        ReportScope(today - timedelta(days=365), today + timedelta(days=40), None, None, now),
        ReportScope(today - timedelta(days=90), today, (rich["org"].id,), kajaani, now),
        ReportScope(today - timedelta(days=120), today - timedelta(days=1), both, None, now),
        ReportScope(today + timedelta(days=1), today + timedelta(days=30), None, None, now),
        ReportScope(today, today, None, None, now),
        ReportScope(today - timedelta(days=30), today + timedelta(days=30), (rich["other"].id,), None, now),
    ]


def test_reports_from_rollups_equal_the_old_counting(rich):
    everything, *_ = scopes(rich)
    report = services.build_report(everything)
    # the world has every case in it
    assert report.errands.waiting and report.errands.matched and report.errands.unmet
    assert report.errands.cancelled_by_elder and report.errands.done and report.requests
    assert report.encounters and report.people.elders_reached and report.people.encounter_minutes
    assert report.funnel["helpers"]["end"][3] and report.funnel["pairs"]["moved_up"]
    checkins = report.checkins
    assert checkins["by_kind"]["elder"]["n"] and checkins["by_kind"]["helper"]["n"] and checkins["lonely"]["n"]
    assert checkins["people_with_checkins"] > checkins["n"]
    for scope in scopes(rich):
        assert_same_report(scope)
        assert_same_checkins(scope)


def test_equal_after_changes_through_the_services(db, make, rich):
    now = rich["now"]
    org_ids = (rich["org"].id,)
    # an errand still open in the past is cancelled by the older person
    open_past = db.session.scalar(
        sa.select(Errand)
        .where(Errand.state.in_(("open", "offered")), Errand.organization_id.in_(org_ids))
        .order_by(Errand.starts_at)
        .limit(1)
    )
    cancel_errand(open_past.id, by_kind="elder", reason="Ei tarvita")
    db.session.commit()
    # a helper withdraws from an errand ahead
    ahead = db.session.scalar(
        sa.select(Assignment)
        .join(Errand)
        .where(Assignment.status == "active", Errand.starts_at > now + timedelta(days=2))
        .order_by(Assignment.id)
        .limit(1)
    )
    withdraw(ahead.id, reason="Sairastuin")
    db.session.commit()
    # a helper reports a past errand done (its encounter is made)
    active_past = db.session.scalar(
        sa.select(Assignment)
        .join(Errand)
        .where(Assignment.status == "active", Errand.starts_at < now, Errand.state == "assigned")
        .order_by(Assignment.id)
        .limit(1)
    )
    mark_done(active_past.id, helper_id=active_past.helper_id, report_text="Käytiin kaupassa", minutes=50)
    db.session.commit()
    # a coordinator logs an encounter earlier today, and a request is taken
    elder = rich["elders"][1]
    helper = rich["helpers"][1].id  # of the same organization
    log_encounter(
        EncounterInput(
            helper_ids=(helper,),
            elder_ids=(elder.id,),
            kind="shared_activity",
            place_kind="shared_space",
            place_name="Kirjasto",
            occurred_at=now - timedelta(days=3),
            duration_minutes=90,
            initiated_by="elder",
            led_by="together",
        ),
        by=rich["coordinator"],
    )
    db.session.commit()
    make.request(elder, day=to_local(now).date() + timedelta(days=4), task="post")
    # an older person moves to a village of another municipality
    mover = rich["elders"][0]
    village = db.session.scalar(
        sa.select(Village)
        .where(Village.municipality_id != mover.municipality_id, Village.lat.is_not(None))
        .order_by(Village.id)
        .limit(1)
    )
    place_by_hand(mover, village=village)
    db.session.commit()
    # an encounter is deleted
    gone = db.session.scalar(sa.select(Encounter).where(Encounter.errand_id.is_(None)).order_by(Encounter.id).limit(1))
    rollups.touch(gone)
    db.session.delete(gone)
    db.session.commit()
    _change_checkins_and_people(db, make, rich)

    for scope in scopes(rich):
        assert_same_report(replace(scope, now=utcnow()))
        assert_same_checkins(replace(scope, now=utcnow()))
    kept = rollup_rows(db)
    rollups.rebuild_everything()
    db.session.commit()
    assert rollup_rows(db) == kept


def _checkins_of(db, kind: str, person_id: int) -> int:
    column = CheckIn.helper_id if kind == "helper" else CheckIn.elder_id
    return db.session.scalar(sa.select(sa.func.count()).where(CheckIn.subject_kind == kind, column == person_id))


def _change_checkins_and_people(db, make, rich) -> None:
    """Check-ins through the service (a first, a second, a third), one deleted; people who
    move, change organization or status (each committed on its own)."""
    coordinator, now = rich["coordinator"], utcnow()
    elders, helpers = rich["elders"], rich["helpers"]
    by_count: dict[int, object] = {}
    for person in [*elders, *helpers]:
        kind = "elder" if person in elders else "helper"
        by_count.setdefault(_checkins_of(db, kind, person.id), person)
    assert {0, 1, 2} <= set(by_count)
    for n in (0, 1, 2):  # their first, second and third check-in, earlier today
        person = by_count[n]
        kind = "elder" if person in elders else "helper"
        answers = elder_answers(4, good_days=6) if kind == "elder" else helper_answers(5, 4)
        record_checkin(kind, person, answers, by=coordinator, via="coordinator", taken_at=now - timedelta(hours=1))
        db.session.commit()
    # a check-in between two others is deleted (the one before it is the latest again)
    middle = db.session.scalars(sa.select(CheckIn).order_by(CheckIn.elder_id, CheckIn.taken_at)).all()[2]
    rollups.touch(middle)
    db.session.delete(middle)
    db.session.commit()
    # a helper moves to another municipality, another changes organization, a third is suspended
    paltamo, kuhmo = rich["munis"]["Paltamo"], rich["munis"]["Kuhmo"]
    helpers[2].municipality_id = paltamo.id
    db.session.commit()
    helpers[3].organization_id = rich["other"].id
    db.session.commit()
    suspend_helper(helpers[4], coordinator, "Ei vastaa viesteihin")
    db.session.commit()
    # a new helper joins (counted in the map and the funnel)
    make.helper(org=rich["org"])
    # an older person moves (by the relationship), another one's participation ends
    elders[4].municipality = kuhmo
    db.session.commit()
    change_status(elders[5], "ended", reason="Muutti palvelutaloon")
    db.session.commit()


def test_rebuild_everything_and_the_repair_job_are_idempotent(db, rich, app):
    kept = rollup_rows(db)
    assert kept["rollup_errand_days"] and kept["stage_changes"]
    for model in ROLLUPS:
        db.session.execute(sa.delete(model))
    db.session.commit()
    runner = app.test_cli_runner()
    out = runner.invoke(args=["rebuild-rollups"])
    assert out.exit_code == 0, out.output
    assert "Report rollups rebuilt" in out.output
    db.session.expire_all()
    assert rollup_rows(db) == kept
    assert job_rollups(utcnow()) == rollups.REPAIR_DAYS_BEHIND + rollups.REPAIR_DAYS_AHEAD + 1
    assert rollup_rows(db) == kept
    for scope in scopes(rich):
        assert_same_report(scope)
