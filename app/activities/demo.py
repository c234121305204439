"""Demo activities for the demo world (called from `app.demo`): a few places in Kajaani, Sotkamo
and Paltamo, past activities with their attendance (one encounter each, through the attendance
service) and coming ones with sign-ups and a waiting list. Idempotent: nothing is added when
activities exist."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from app.activities import attendance, operations, signups
from app.activities.operations import ActivityInput
from app.errands.requests import local_to_utc
from app.extensions import db
from app.models import Activity, ActivitySignup, Elder, HelperProfile, Municipality, Organization, SharedPlace, User

PLACES = [
    ("Kajaani", "Kajaanin kaupunginkirjasto", "library", "Pohjolankatu 21", True),
    ("Kajaani", "Kajaanin seurakuntakeskus", "parish_hall", "Kirkkokatu 6", True),
    ("Kajaani", "Nuorisotalo Kipinä", "youth_centre", "Brahenkatu 3", False),
    ("Sotkamo", "Sotkamon kirjasto", "library", "Kainuuntie 32", True),
    ("Sotkamo", "Kahvila Pilke", "cafe", "Markkinatie 8", False),
    ("Paltamo", "Paltamon eläkeläisten kerhohuone", "club_room", "Kajaanintie 12", True),
]

#: (organization, place, title, kind, weekday, start hour, run by, organised by participants, description fi, sv)
SERIES = [
    ("Kainuun 4H-yhdistys", "Kajaanin kaupunginkirjasto", "Kahvihetki kirjastolla", "shared_activity", 3, 13,
     "together", False, "Kahvia, pullaa ja juttua nuorten ja ikäihmisten kesken.",
     "Kaffe, bulle och prat mellan unga och äldre."),
    ("Kainuun 4H-yhdistys", "Sotkamon kirjasto", "Puhelin- ja tietokoneapu", "shared_activity", 1, 16,
     "helpers", True, "Nuoret auttavat puhelimen ja tietokoneen kanssa.", "Unga hjälper med telefonen och datorn."),
    ("Kajaanin seurakunta", "Kajaanin seurakuntakeskus", "Kyläilta ja yhteislaulua", "community_event", 4, 17,
     "elders", True, "Ikäihmiset kertovat, nuoret soittavat. Kaikki laulavat.",
     "De äldre berättar, de unga spelar. Alla sjunger."),
]  # fmt: skip


def _day(today: date, weekday: int, weeks: int) -> date:
    return today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks)


def seed_activities(rng: random.Random, now: datetime, today: date) -> dict[str, int]:
    if db.session.scalar(sa.select(sa.func.count(Activity.id))):
        return {"activities": 0}
    munis = {m.name: m for m in db.session.scalars(sa.select(Municipality))}
    places = {}
    for muni, name, kind, address, step_free in PLACES:
        place = SharedPlace(municipality=munis[muni], name=name, kind=kind, address=address, step_free=step_free)
        db.session.add(place)
        places[name] = place
    db.session.flush()
    coordinator = db.session.scalar(sa.select(User).where(User.role == "coordinator").order_by(User.id))
    created = held = 0
    for org_name, place_name, title, kind, weekday, hour, run_by, organised, text_fi, text_sv in SERIES:
        org = db.session.scalar(sa.select(Organization).filter_by(name=org_name))
        if org is None or coordinator is None:
            continue
        helpers = list(
            db.session.scalars(sa.select(HelperProfile).filter_by(organization_id=org.id, status="approved").limit(6))
        )
        elders = list(db.session.scalars(sa.select(Elder).filter_by(organization_id=org.id, status="active").limit(12)))
        if not helpers or not elders:
            continue
        place = places[place_name]
        runner = helpers[0] if run_by == "helpers" else None
        # Four past occurrences, written as they were planned, then their attendance through the service.
        series_id = None
        for weeks_ago in (4, 3, 2, 1):
            day = _day(today, weekday, -weeks_ago)
            activity = Activity(
                organization_id=org.id, place_id=place.id, title=title, kind=kind, run_by=run_by,
                organised_by_participants=organised, description_fi=text_fi, description_sv=text_sv,
                starts_at=local_to_utc(day, time(hour)), ends_at=local_to_utc(day, time(hour + 2)),
                recurrence="weekly", recurrence_until=_day(today, weekday, 4), capacity_young=4, capacity_old=10,
                minimum=3, status="approved", created_by_id=coordinator.id, approved_by_id=coordinator.id,
                approved_at=now - timedelta(days=40), runner_helper_id=runner.id if runner else None,
                series_id=series_id,
            )  # fmt: skip
            db.session.add(activity)
            db.session.flush()
            series_id = series_id or activity.id
            activity.series_id = series_id
            young = rng.sample(helpers, k=min(len(helpers), rng.randint(2, 3)))
            old = rng.sample(elders, k=min(len(elders), rng.randint(4, 7)))
            signed = activity.starts_at - timedelta(days=4)
            for slot, person in enumerate(young, 1):
                db.session.add(
                    ActivitySignup(
                        activity_id=activity.id, helper_id=person.id, side="young", slot=slot, created_at=signed
                    )
                )
            for slot, person in enumerate(old, 1):
                via = rng.choice(["sms", "coordinator"])
                db.session.add(
                    ActivitySignup(
                        activity_id=activity.id, elder_id=person.id, side="old", slot=slot, via=via, created_at=signed
                    )
                )
            db.session.flush()
            db.session.refresh(activity, ["signups"])
            came = {s.id for s in activity.signups if rng.random() < 0.85}
            attendance.save_attendance(activity.id, came, by=coordinator, now=activity.ends_at)
            created += 1
            held += 1
        # The coming four through the planning service, with sign-ups (the last one full, with a waiting list).
        first = _day(today, weekday, 0 if _day(today, weekday, 0) > today else 1)
        rows = operations.plan_activity(
            ActivityInput(
                title=title, kind=kind, place_id=place.id, day=first, start=time(hour), end=time(hour + 2),
                organization_id=org.id, recurrence="weekly", recurrence_until=first + timedelta(days=21),
                capacity_young=3, capacity_old=8, minimum=3, run_by=run_by, organised_by_participants=organised,
                description_fi=text_fi, description_sv=text_sv, runner_helper_id=runner.id if runner else None,
            ),
            by=coordinator,
            now=now,
        )  # fmt: skip
        created += len(rows)
        for n, activity in enumerate(rows):
            people = [signups.Person.of(h) for h in helpers[: 2 + n]] + [
                signups.Person.of(e) for e in elders[: 3 + 2 * n]
            ]
            for person in people:
                signups.sign_up(activity.id, person, via=rng.choice(["web", "sms", "coordinator"]), now=now)
    db.session.flush()
    return {"activities": created, "activities held": held}
