"""Demo encounters and check-ins for the demo world (called from `app.demo`).

`seed_encounters(rng, now)` turns the demo's done errands into encounters and
adds a year of other encounters: walks and help at home, shared activities at
the library or the parish hall, community events, meetings the pairs start
themselves, courses led by older people. Pairs are spread over all three
stages in every municipality that has helpers, and some people get a
well-being check-in at enrolment and a later one, so before/after shows.

Idempotent: errands that already have an encounter are skipped, and the rest
is only added when there are no hand-logged encounters (or no check-ins) yet.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.encounters import wellbeing
from app.errands.completion import encounter_kind
from app.extensions import db
from app.models import (
    Assignment,
    CheckIn,
    Elder,
    Encounter,
    EncounterParticipant,
    Errand,
    HelperProfile,
    Municipality,
    TaskType,
)

GENITIVE = {
    "Kajaani": "Kajaanin",
    "Paltamo": "Paltamon",
    "Ristijärvi": "Ristijärven",
    "Sotkamo": "Sotkamon",
    "Kuhmo": "Kuhmon",
    "Suomussalmi": "Suomussalmen",
    "Hyrynsalmi": "Hyrynsalmen",
    "Puolanka": "Puolangan",
    "Vaala": "Vaalan",
}
SPACES = ("kirjasto", "seurakuntatalo", "nuorisotila", "kyläkoulu", "kahvila Kohtaamo")
HOME_TITLES = ("Kauppa-asiointi", "Postin haku", "Lumityöt pihalla", "Puiden kantaminen")
WALK_TITLES = ("Iltapäiväkävely", "Kahvittelua ja juttelua", "Kävely rantaan", "Marjaretki")
SHARED_TITLES = ("Pelikerho", "Tabletti tutuksi", "Kädentaitoilta", "Lukupiiri", "Bingo-iltapäivä")
ELDER_LED_TITLES = ("Neulontakurssi", "Karjalanpiirakat yhdessä", "Sienikurssi", "Tarinoita kylän historiasta")
EVENT_TITLES = ("Kylän joulujuhla", "Kesäkahvit", "Sukupolvien tanssit", "Ystävänpäivän kahvit")
STAGE_PLAN = (3, 2, 1, 1, 2, 3, 1, 2, 1)


def _space(muni: Municipality | None, rng: random.Random) -> str:
    name = muni.name if muni else ""
    return f"{GENITIVE.get(name, name)} {rng.choice(SPACES)}".strip()


class _Builder:
    def __init__(self, rng: random.Random, now: datetime, munis: dict[int, Municipality]) -> None:
        self.rng = rng
        self.now = now
        self.munis = munis
        self.count = 0

    def add(
        self,
        helpers: list[HelperProfile],
        elders: list[Elder],
        days_ago: float,
        *,
        kind: str,
        place: str = "home",
        initiated_by: str = "coordinator",
        led_by: str = "helper",
        organised: bool = False,
        title: str | None = None,
    ) -> Encounter:
        rng = self.rng
        first = elders[0]
        muni = self.munis.get(first.municipality_id or -1)
        hour = rng.choice((10, 12, 13, 14, 17, 18))
        at = (self.now - timedelta(days=days_ago)).replace(hour=hour - 2, minute=rng.choice((0, 15, 30)), second=0)
        encounter = Encounter(
            organization_id=first.organization_id,
            kind=kind,
            place_kind=place,
            place_name=_space(muni, rng) if place == "shared_space" else None,
            municipality_id=first.municipality_id,
            village_id=first.village_id,
            occurred_at=min(at, self.now - timedelta(hours=1)),
            duration_minutes=rng.choice((45, 60, 90, 120)) if kind != "community_event" else 180,
            initiated_by=initiated_by,
            led_by=led_by,
            organised_by_participant=organised,
            title=title,
        )
        for helper in helpers:
            score = rng.choice((4, 5, 5, None))
            encounter.participants.append(
                EncounterParticipant(helper_id=helper.id, feedback_score=score, feedback_via="web" if score else None)
            )
        for elder in elders:
            score = rng.choice((3, 4, 5, 5, None))
            encounter.participants.append(
                EncounterParticipant(
                    elder_id=elder.id,
                    feedback_score=score,
                    feedback_via=rng.choice(("sms", "coordinator")) if score else None,
                )
            )
        db.session.add(encounter)
        self.count += 1
        return encounter


def _errand_encounters(rng: random.Random) -> int:
    """An encounter for every done errand that has none yet, as `errands.completion.mark_done` makes."""
    done = list(
        db.session.scalars(
            sa.select(Errand)
            .where(
                Errand.state == "done",
                ~Errand.id.in_(sa.select(Encounter.errand_id).where(Encounter.errand_id.is_not(None))),
            )
            .order_by(Errand.id)
        )
    )
    codes = dict(db.session.execute(sa.select(TaskType.id, TaskType.code)).all())
    created = 0
    for errand in done:
        helper_ids = list(
            db.session.scalars(
                sa.select(Assignment.helper_id).where(Assignment.errand_id == errand.id, Assignment.status == "done")
            )
        )
        if not helper_ids:
            continue
        kind, place_kind = encounter_kind(codes.get(errand.task_type_id, ""))
        elder = errand.elder
        encounter = Encounter(
            errand_id=errand.id,
            organization_id=errand.organization_id,
            kind=kind,
            place_kind=place_kind,
            municipality_id=elder.municipality_id,
            village_id=elder.village_id,
            occurred_at=errand.starts_at,
            duration_minutes=errand.duration_minutes,
            initiated_by="coordinator",
            led_by="helper",
        )
        for helper_id in helper_ids:
            encounter.participants.append(EncounterParticipant(helper_id=helper_id))
        encounter.participants.append(
            EncounterParticipant(elder_id=elder.id, feedback_score=rng.choice((4, 5)), feedback_via="sms")
        )
        db.session.add(encounter)
        created += 1
    return created


def _pairs(rng: random.Random, helpers: list[HelperProfile], elders: list[Elder]) -> list[tuple[HelperProfile, Elder]]:
    """Each older person gets a helper from the same municipality (nearest first); the first
    helper (the demo login) gets three."""
    by_muni: dict[int | None, list[HelperProfile]] = defaultdict(list)
    for helper in helpers:
        by_muni[helper.municipality_id].append(helper)
    pairs = []
    for elder in elders:
        nearby = by_muni.get(elder.municipality_id) or []
        if not nearby:
            continue
        ranked = sorted(
            nearby, key=lambda h: ((h.lat or 0) - (elder.lat or 0)) ** 2 + ((h.lon or 0) - (elder.lon or 0)) ** 2
        )
        pairs.append((rng.choice(ranked[:2]), elder))
    star = helpers[0]
    mine = [e for e in elders if e.municipality_id == star.municipality_id][:3]
    pairs += [(star, e) for e in mine if (star, e) not in pairs]
    return pairs


def _pair_story(b: _Builder, helper: HelperProfile, elder: Elder, target: int) -> None:
    rng = b.rng
    h, e = [helper], [elder]
    # Easy encounters through the year: help at home and walks, arranged by the coordinator.
    for days in sorted(rng.sample(range(200, 360), 2) + rng.sample(range(20, 190), 2), reverse=True):
        if rng.random() < 0.5:
            b.add(h, e, days, kind="home_help", title=rng.choice(HOME_TITLES))
        else:
            b.add(h, e, days, kind="company_walk", place="outdoors", title=rng.choice(WALK_TITLES))
    if target == 1 and rng.random() < 0.5:  # once met in shared spaces, but long ago: back at stage 1
        for days in (250, 230):
            b.add(h, e, days, kind="shared_activity", place="shared_space", title=rng.choice(SHARED_TITLES))
    if target >= 2:
        for days in sorted(rng.sample(range(30, 170), 2 + rng.randrange(2)), reverse=True):
            b.add(h, e, days, kind="shared_activity", place="shared_space", title=rng.choice(SHARED_TITLES))
    if target == 2 and rng.random() < 0.5:  # started once themselves: on the way to stage 3
        b.add(h, e, 12, kind="company_walk", place="outdoors", initiated_by="participants", title="Kävely")
    if target == 3:
        starters = ("participants", "elder", "helper", "participants")
        for i, days in enumerate(sorted(rng.sample(range(5, 150), 4), reverse=True)):
            b.add(h, e, days, kind="company_walk", place="outdoors", initiated_by=starters[i], title="Oma tapaaminen")
        if rng.random() < 0.6:
            b.add(
                h,
                e,
                rng.randrange(8, 60),
                kind="shared_activity",
                place="shared_space",
                initiated_by="elder",
                led_by="elder",
                title=rng.choice(ELDER_LED_TITLES),
            )
        else:
            b.add(
                h,
                e,
                rng.randrange(8, 60),
                kind="shared_activity",
                place="shared_space",
                initiated_by="helper",
                led_by="together",
                organised=True,
                title="Nuorten järjestämä peli-ilta",
            )


def _community_events(b: _Builder, helpers: list[HelperProfile], elders: list[Elder]) -> None:
    by_muni_e: dict[int | None, list[Elder]] = defaultdict(list)
    by_muni_h: dict[int | None, list[HelperProfile]] = defaultdict(list)
    for elder in elders:
        by_muni_e[elder.municipality_id].append(elder)
    for helper in helpers:
        by_muni_h[helper.municipality_id].append(helper)
    for muni_id, local_elders in sorted(by_muni_e.items(), key=lambda item: item[0] or 0):
        local_helpers = by_muni_h.get(muni_id) or []
        if len(local_helpers) < 2 or len(local_elders) < 2:
            continue
        for n, days in enumerate((330, 200, 75)):
            b.add(
                b.rng.sample(local_helpers, min(4, len(local_helpers))),
                b.rng.sample(local_elders, min(5, len(local_elders))),
                days,
                kind="community_event",
                place="shared_space",
                organised=n == 2,
                initiated_by="participants" if n == 2 else "coordinator",
                led_by="together" if n == 2 else "coordinator",
                title=EVENT_TITLES[(n + (muni_id or 0)) % len(EVENT_TITLES)],
            )


def _answers_elder(total: int, good_days: int) -> dict[str, int]:
    parts = [1, 1, 1]
    for i in range(max(0, min(9, total) - 3)):
        parts[i % 3] += 1
    return {
        "ucla_companionship": parts[0],
        "ucla_left_out": parts[1],
        "ucla_isolated": parts[2],
        "good_days": max(0, min(7, good_days)),
    }


def _checkin(kind: str, person, answers: dict[str, int], at: datetime, via: str) -> None:
    db.session.add(
        CheckIn(
            subject_kind=kind,
            helper_id=person.id if kind == "helper" else None,
            elder_id=person.id if kind == "elder" else None,
            taken_at=at,
            answers=answers,
            scores=wellbeing.score(kind, answers),  # type: ignore[arg-type]
            via=via,
        )
    )


def _checkins(rng: random.Random, now: datetime, helpers: list[HelperProfile], elders: list[Elder]) -> int:
    """Check-ins at enrolment for most people; a later one for some, mostly better."""
    created = 0
    for i, elder in enumerate(elders):
        if i % 4 == 3:
            continue  # due: nobody has asked yet
        enrolled = elder.consent_at or elder.created_at or now - timedelta(days=80)
        before = rng.choice((6, 7, 7, 8, 9))
        days_before = rng.choice((1, 2, 2, 3))
        _checkin("elder", elder, _answers_elder(before, days_before), enrolled, "coordinator")
        created += 1
        if i % 2 == 0:
            change = rng.choice((-3, -2, -2, -1, 0, 1))
            later = max(enrolled + timedelta(days=30), now - timedelta(days=rng.randrange(1, 15)))
            _checkin("elder", elder, _answers_elder(before + change, days_before - change), later, "coordinator")
            created += 1
    for i, helper in enumerate(helpers):
        if helper.status != "approved" or i % 2:
            continue
        enrolled = helper.approved_at or helper.created_at or now - timedelta(days=60)
        role, future = rng.choice((2, 2, 3)), rng.choice((2, 3, 3))
        _checkin("helper", helper, {"meaningful_role": role, "future_belief": future}, enrolled, "coordinator")
        created += 1
        if i % 4 == 0:
            later = max(enrolled + timedelta(days=30), now - timedelta(days=rng.randrange(1, 10)))
            answers = {
                "meaningful_role": min(5, role + rng.choice((1, 1, 2, 0))),
                "future_belief": min(5, future + rng.choice((0, 1, 1))),
            }
            _checkin("helper", helper, answers, later, "web")
            created += 1
    return created


def seed_encounters(rng: random.Random, now: datetime) -> dict[str, int]:
    """Encounters for done errands, a year of other encounters, and check-ins. Idempotent."""
    result = {"errand encounters": _errand_encounters(rng), "other encounters": 0, "check-ins": 0}
    helpers = list(
        db.session.scalars(
            sa.select(HelperProfile).where(HelperProfile.status == "approved").order_by(HelperProfile.id)
        )
    )
    elders = list(db.session.scalars(sa.select(Elder).where(Elder.status == "active").order_by(Elder.id)))
    if not helpers or not elders:
        db.session.flush()
        return result
    already = db.session.scalar(sa.select(sa.func.count(Encounter.id)).where(Encounter.errand_id.is_(None)))
    if not already:
        munis = {m.id: m for m in db.session.scalars(sa.select(Municipality))}
        builder = _Builder(rng, now, munis)
        plan_index: dict[int | None, int] = defaultdict(int)
        for helper, elder in _pairs(rng, helpers, elders):
            n = plan_index[elder.municipality_id]
            plan_index[elder.municipality_id] += 1
            _pair_story(builder, helper, elder, STAGE_PLAN[n % len(STAGE_PLAN)])
        _community_events(builder, helpers, elders)
        result["other encounters"] = builder.count
    if not db.session.scalar(sa.select(sa.func.count(CheckIn.id))):
        result["check-ins"] = _checkins(rng, now, helpers, elders)
    db.session.flush()
    return result
