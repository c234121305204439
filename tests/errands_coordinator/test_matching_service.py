"""Finding candidates: SQL prefilter, bulk facts, hard rules, continuity, constant statements."""

from __future__ import annotations

from datetime import date, timedelta

from app.errands import agenda
from app.errands.matching_service import NEAREST_CAP, rank_candidates
from app.models import Errand, utcnow


def _past_errand_done(make, elder, helper, *, days_ago: int = 20, feedback: int | None = 5) -> Errand:
    """A finished errand of ``elder`` that ``helper`` did (with the person's feedback)."""
    start = utcnow() - timedelta(days=days_ago)
    errand = make.errand(elder, start, state="done")
    make.assignment(errand, helper, status="done", assigned_at=start - timedelta(days=1), done_at=start)
    make.encounter(helper, elder, at=start, errand_id=errand.id, scores=(None, feedback))
    return errand


def test_hard_rules_exclude_and_the_rest_rank(db, make, org, elder):
    near = make.helper(org=org, first_name="Lähi", age=20)
    far = make.helper(org=org, first_name="Kauko", lat=64.335, lon=27.73, max_distance_km=10)  # 12 km north
    beyond = make.helper(org=org, first_name="Tosikauko", lat=64.40, lon=27.73, max_distance_km=10)  # 19 km
    suspended = make.helper(org=org, first_name="Hyllytetty", status="suspended")
    paused = make.helper(org=org, first_name="Tauko", paused_until=date.today() + timedelta(days=30))
    minor = make.helper(org=org, first_name="Alaikäinen", age=16, consent=False)
    errand = make.request(elder, hour=12).errands[0]

    result = rank_candidates(errand)
    ranked = result.ranked_ids
    excluded = {x.helper_id: x.codes for x in result.excluded}
    assert ranked == [near.id]
    assert excluded[far.id] == ("too_far",)
    assert excluded[paused.id] == ("paused",)
    assert excluded[minor.id] == ("no_guardian_consent",)
    assert suspended.id not in ranked and suspended.id not in excluded  # only approved helpers are read
    too_far = next(x for x in result.excluded if x.helper_id == far.id)
    assert 11.5 < too_far.distance_km < 12.5
    # Clearly beyond their own limit (more than 25 % + 1 km): not even read.
    assert beyond.id not in result.people
    # Excluded are nearest first.
    assert [x.helper_id for x in result.excluded][-1] == far.id


def test_minor_outside_08_20_and_busy_helper_are_excluded(db, make, org, elder):
    young = make.helper(org=org, first_name="Nuori", age=16)
    busy = make.helper(org=org, first_name="Kiireinen", age=30)
    day = date.today() + timedelta(days=3)
    other_elder = make.elder(org=org, first_name="Toinen")
    other = make.request(other_elder, day=day, hour=19, minutes=60).errands[0]
    make.assignment(other, busy)
    errand = make.request(elder, day=day, hour=19, minutes=90).errands[0]  # 19:00-20:30 local

    result = rank_candidates(errand)
    excluded = {x.helper_id: x.codes for x in result.excluded}
    assert excluded[young.id] == ("minor_hours",)
    assert excluded[busy.id] == ("busy",)


def test_continuity_lifts_a_helper_who_has_helped_before(db, make, org, elder):
    # The stranger lives right at the door; the familiar helper a bit further away.
    stranger = make.helper(org=org, first_name="Vieras", lat=64.2270, lon=27.7300)
    familiar = make.helper(org=org, first_name="Tuttu", lat=64.2400, lon=27.7300)
    _past_errand_done(make, elder, familiar, days_ago=40, feedback=5)
    _past_errand_done(make, elder, familiar, days_ago=50, feedback=4)
    errand = make.request(elder).errands[0]

    result = rank_candidates(errand)
    assert result.ranked_ids[:2] == [familiar.id, stranger.id]
    top = result.ranked[0]
    continuity = next(r for r in top.reasons if r.code == "continuity")
    assert continuity.get("errands") == 2 and continuity.get("feedback") == 4.5


def test_helpers_of_partner_organizations_in_the_same_municipality_are_candidates(db, make, org, elder):
    partner = make.organization(name="Seurakunta", municipalities=("Kajaani",))
    elsewhere = make.organization(name="Kuhmon 4H", municipalities=("Kuhmo",))
    no_partner = make.organization(name="Eläkeläiset", municipalities=("Kajaani",))
    make.partnership(org, partner)
    make.partnership(org, elsewhere)
    ours = make.helper(org=org, first_name="Oma")
    shared = make.helper(org=partner, first_name="Kumppani")
    outside = make.helper(org=elsewhere, first_name="Ulkopuolinen")
    stranger = make.helper(org=no_partner, first_name="Eikumppani")
    errand = make.request(elder).errands[0]
    ids = set(rank_candidates(errand).ranked_ids)
    assert {ours.id, shared.id} <= ids
    assert outside.id not in ids
    assert stranger.id not in ids


def test_helper_without_coordinates_in_the_same_municipality_is_ranked_with_unknown_distance(db, make, org, elder):
    nowhere = make.helper(org=org, first_name="Paikaton")
    nowhere.lat = nowhere.lon = None
    db.session.commit()
    errand = make.request(elder).errands[0]
    result = rank_candidates(errand)
    ranked = next(r for r in result.ranked if r.helper_id == nowhere.id)
    assert ranked.distance_km is None
    assert any(r.code == "distance_unknown" for r in ranked.reasons)


def test_helpers_far_outside_the_box_are_not_read(db, make, org, elder):
    make.helper(org=org, first_name="Lähellä")
    far_away = make.helper(org=org, first_name="Helsinki", lat=60.17, lon=24.94)
    errand = make.request(elder).errands[0]
    result = rank_candidates(errand)
    assert far_away.id not in result.people
    assert result.considered == 1


def test_the_number_of_statements_does_not_grow_with_helpers(db, make, org, elder, count_queries):
    make.helpers(org, 10)
    familiar = make.helper(org=org, first_name="Tuttu")
    _past_errand_done(make, elder, familiar)
    make.helper(org=org, first_name="Nuori", age=16)
    errand = make.request(elder).errands[0]

    def measure() -> tuple[int, int]:
        db.session.expire_all()
        loaded = agenda.load_errand(errand.id)
        with count_queries() as counter:
            result = rank_candidates(loaded)
        return counter.count, result.considered

    few_statements, few = measure()
    make.helpers(org, 190)
    many_statements, many = measure()
    assert (few, many) == (12, NEAREST_CAP)  # the nearest who can reach the person, capped
    assert few_statements == many_statements
    assert many_statements <= 8


def test_guardian_consent_is_asked_exactly_of_the_minors_on_the_errands_day(db, make, org, elder):
    """Consents are read only for the helpers who are under 18 on the errand's day (the
    statement's cut equals ``minor_on``): one turning 18 that day needs none, one turning
    18 the next day needs one."""
    from app.errands.matching_service import minors_born_after
    from app.models import age_on

    day = date.today() + timedelta(days=10)
    cut = minors_born_after(day)
    adult_that_day = make.helper(org=org, first_name="Täysi", age=30)
    minor_without = make.helper(org=org, first_name="Huomenna", age=30)  # no consent asked for
    minor_with = make.helper(org=org, first_name="Luvallinen", age=16)  # the factory's consent, given
    adult_that_day.birth_date = cut
    minor_without.birth_date = minor_with.birth_date = cut + timedelta(days=1)
    db.session.commit()
    assert age_on(adult_that_day.birth_date, day) == 18 and age_on(minor_without.birth_date, day) == 17

    errand = make.request(elder, day=day, hour=12).errands[0]
    result = rank_candidates(errand.id)
    excluded = {x.helper_id: x.codes for x in result.excluded}
    assert adult_that_day.id in result.ranked_ids
    assert minor_with.id in result.ranked_ids
    assert excluded[minor_without.id] == ("no_guardian_consent",)


def test_the_minors_cut_is_minor_on_for_every_day_and_birthday():
    import random

    from app.errands.matching_service import minors_born_after
    from app.models import minor_on

    rng = random.Random(18)
    days = [date(2028, 2, 29), date(2027, 2, 28), date(2027, 3, 1), date(2026, 12, 31), date(2027, 1, 1)]
    days += [date(2026, 1, 1) + timedelta(days=rng.randrange(3 * 365)) for _ in range(200)]
    for day in days:
        cut = minors_born_after(day)
        births = [cut + timedelta(days=d) for d in (-1, 0, 1, 2)] + [date(2008, 2, 29), date(2010, 2, 28)]
        births += [date(2005, 1, 1) + timedelta(days=rng.randrange(10 * 365)) for _ in range(20)]
        for birth in births:
            assert (birth > cut) == minor_on(birth, day), (day, birth)
