"""The candidate prefilter reads exactly the helpers who can reach the person.

Both engines search the helpers' points on a plane in kilometres (migration
0004): PostgreSQL by a K-nearest GiST index scan, SQLite by rings over an
R*Tree. Both must give the same helpers as the rule written out in Python:
approved, of the errand's network, and within their own travel limit plus 25 %
and 1 km (and 50 km).
"""

from __future__ import annotations

import math
import random

import pytest
import sqlalchemy as sa

from app.errands import agenda, matching_service
from app.errands.matching_service import KM_PER_DEGREE, MAX_TRAVEL_KM, REACH_FACTOR, REACH_SLACK_KM, rank_candidates
from app.extensions import db
from app.matching.geo import haversine_km, metric_km
from app.models import Elder, Errand, HelperProfile, Village, utcnow

KAJAANI = (64.2263, 27.7290)


def _spots(
    rng: random.Random, n: int, *, within_km: float, centre: tuple[float, float] = KAJAANI
) -> list[tuple[float, float, float]]:
    """Helpers scattered up to ``within_km`` from ``centre``, each with their own travel limit."""
    spots = []
    for _ in range(n):
        km = rng.uniform(0, within_km)
        bearing = rng.uniform(0, 2 * math.pi)
        lat = centre[0] + km * math.cos(bearing) / KM_PER_DEGREE
        lon = centre[1] + km * math.sin(bearing) / KM_PER_DEGREE / math.cos(math.radians(centre[0]))
        spots.append((lat, lon, float(rng.choice((1, 2, 3, 5, 8, 12, 20, 30, 50)))))
    return spots


def _reachable(helpers: list[HelperProfile], lat: float, lon: float) -> set[int]:
    """The rule in Python, with the same distance the SQL uses (on the plane of
    app.matching.geo.metric_km): within their own reach, and never farther than MAX_TRAVEL_KM."""
    x, y = metric_km(lat, lon)
    found = set()
    for h in helpers:
        hx, hy = metric_km(h.lat, h.lon)
        km = math.hypot(hx - x, hy - y)
        if km <= h.max_distance_km * REACH_FACTOR + REACH_SLACK_KM and km <= MAX_TRAVEL_KM:
            found.add(h.id)
    return found


def _read(errand) -> list:
    """The candidate statement's rows for an errand."""
    connection = db.session.connection()
    spec, municipality_id, keys = matching_service._spec_of(connection, errand)
    return matching_service._candidate_rows(connection, keys, spec, municipality_id, utcnow())


@pytest.mark.parametrize("centre", [KAJAANI, (69.9078, 27.0265)], ids=["Kajaani", "Utsjoki, 70° north"])
def test_the_prefilter_reads_exactly_the_network_helpers_who_can_reach_the_person(db, make, org, elder, centre):
    rng = random.Random(20261128)
    elder.lat, elder.lon = centre
    partner = make.organization(name="Kajaanin seurakunta", municipalities=("Kajaani",))
    make.partnership(org, partner)
    # Serves the place but is no partner: its helpers are never read (app.policy).
    not_partner = make.organization(name="Kajaanin eläkeläiset", municipalities=("Kajaani",))
    elsewhere = make.organization(name="Kuhmon 4H", municipalities=("Kuhmo",))
    make.partnership(org, elsewhere)  # a partner, but it does not serve the person's municipality
    ours = make.helpers(org, 0, spots=_spots(rng, 45, within_km=60, centre=centre))
    theirs = make.helpers(partner, 0, spots=_spots(rng, 30, within_km=60, centre=centre))
    outside = make.helpers(elsewhere, 0, spots=_spots(rng, 30, within_km=10, centre=centre))
    outside += make.helpers(not_partner, 0, spots=_spots(rng, 20, within_km=10, centre=centre))
    suspended = make.helpers(org, 0, spots=_spots(rng, 5, within_km=2, centre=centre))
    for h in suspended:
        h.status = "suspended"
    db.session.commit()
    errand = make.request(elder).errands[0]
    expected = _reachable(ours + theirs, elder.lat, elder.lon)
    assert 10 < len(expected) < matching_service.NEAREST_CAP  # some can come, many cannot, no cap

    rows = _read(errand)

    assert {r.id for r in rows} == expected
    assert not {h.id for h in outside + suspended} & {r.id for r in rows}
    shown = rank_candidates(errand)
    assert set(shown.ranked_ids) | {x.helper_id for x in shown.excluded} <= expected


def test_the_nearest_are_kept_when_more_can_come_than_are_compared(db, make, org, elder):
    rng = random.Random(7)
    spots = _spots(rng, 160, within_km=4)
    helpers = make.helpers(org, 0, spots=[(lat, lon, 10.0) for lat, lon, _ in spots])
    errand = make.request(elder).errands[0]
    by_distance = sorted(helpers, key=lambda h: haversine_km(elder.lat, elder.lon, h.lat, h.lon))

    rows = _read(errand)

    # Exactly the nearest hundred by great-circle distance.
    assert {r.id for r in rows} == {h.id for h in by_distance[: matching_service.NEAREST_CAP]}


def test_the_prefilter_reads_its_index(db, make, org, elder, count_queries):
    """PostgreSQL: a K-nearest scan of the GiST index of migration 0004 (ORDER BY
    pos <-> the person's point); SQLite: the grid of migration 0013, by key ranges of
    organization and cell (with statistics that call the grid large: test_matching_knn)."""
    make.helpers(org, 20)
    errand = make.request(elder).errands[0]
    with count_queries() as queries:
        rank_candidates(errand)
    statement, parameters = next(
        (s, p) for s, p in zip(queries.statements, queries.parameters, strict=True) if "busy_count" in s
    )
    connection = db.session.connection()
    if db.engine.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a 20-row table is read whole otherwise
        plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters))
        expected = ["using ix_helper_profiles_near", "Order By: (pos <-> "]
    else:
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        plan = "\n".join(str(row[-1]) for row in rows)
        expected = [f"SEARCH n{i} USING PRIMARY KEY (organization_id=? AND cx=? AND cy>? AND cy<?)" for i in (0, 4)]
    db.session.rollback()
    assert all(index in plan for index in expected), plan


def test_the_errand_is_read_the_same_whether_its_person_is_loaded_or_not(db, make, org, elder):
    """The ranking reads the person, request and task type as plain columns when the
    caller has not loaded them; the matcher must see the same errand either way."""
    helper_id = make.helper(org=org).id
    errand_id, elder_id = make.request(elder, preferred_helper_id=helper_id).errands[0].id, elder.id
    village = db.session.scalar(sa.select(Village).where(Village.lat.is_not(None)).limit(1))
    cases = {"own point": (elder.lat, elder.lon, None), "village centre": (None, None, village.id)}
    cases["municipality centre"] = (None, None, None)
    for case, (lat, lon, village_id) in cases.items():
        person = db.session.get(Elder, elder_id)
        person.lat, person.lon, person.village_id = lat, lon, village_id
        db.session.commit()
        db.session.expunge_all()
        loaded = matching_service._spec_of(db.session.connection(), agenda.load_errand(errand_id))
        db.session.expunge_all()
        bare = db.session.get(Errand, errand_id)
        assert {"elder", "request", "task_type"} <= sa.inspect(bare).unloaded
        assert matching_service._spec_of(db.session.connection(), bare) == loaded, case
        assert matching_service._spec_of(db.session.connection(), errand_id) == loaded, case  # by id: no object at all
        assert loaded[0].lat is not None and loaded[0].preferred_helper_id == helper_id


def test_every_candidate_statement_on_postgresql_is_small_enough_for_psycopgs_cache():
    """psycopg converts (and prepares) again without work only statements under 4 KB of text."""
    for shape in ((True, True), (True, False), (False, True), (False, False)):
        statement = matching_service._candidate_statement(*shape, "postgresql")
        text = str(statement.compile(dialect=sa.dialects.postgresql.psycopg.dialect()))
        assert len(text.encode()) < 4096, (shape, len(text))
