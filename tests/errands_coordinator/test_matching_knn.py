"""The nearest-helper search (migrations 0004 and 0013) finds what the exact brute force
finds, and its index follows every change of a helper's point.

The brute force is the rule itself on great-circle distances: the approved
helpers of the errand's network within their own reach (travel limit plus 25 %
and 1 km, and at most MAX_TRAVEL_KM), the nearest NEAREST_CAP of them. The
search measures on the plane of ``app.matching.geo.metric_km``, whose scale is
within 0.25 % of 1 in Finland: a helper whose distance is within that of a
cut-off (their reach, or the hundredth helper's distance) may fall on either
side, so such helpers are left out of the comparison (and are few).
"""

from __future__ import annotations

import math
import random
import re

import pytest
import sqlalchemy as sa

from app.errands import matching_service
from app.errands.matching_service import MAX_TRAVEL_KM, NEAREST_CAP, REACH_FACTOR, REACH_SLACK_KM, rank_candidates
from app.extensions import db
from app.matching.geo import EARTH_RADIUS_KM, haversine_km, metric_km
from app.models import GuardianConsent, HelperProfile, utcnow

#: The plane's largest scale error in Finland, with a margin.
TOLERANCE = 0.003
KM_PER_DEGREE = math.pi / 180.0 * EARTH_RADIUS_KM

PLACES = {
    "Kajaani": (64.2263, 27.7290),
    "Utsjoki, 70° north": (69.9078, 27.0265),
    "Maarianhamina, far west": (60.0973, 19.9348),
    "Ilomantsi, far east": (62.6711, 30.9306),
}


def _spots(rng: random.Random, n: int, centre: tuple[float, float], within_km: float) -> list:
    spots = []
    for _ in range(n):
        km = within_km * math.sqrt(rng.random())
        bearing = rng.uniform(0, 2 * math.pi)
        lat = centre[0] + km * math.cos(bearing) / KM_PER_DEGREE
        lon = centre[1] + km * math.sin(bearing) / KM_PER_DEGREE / math.cos(math.radians(lat))
        spots.append((lat, lon, float(rng.choice((1, 2, 3, 5, 8, 12, 20, 30, 50)))))
    return spots


def _brute_force(helpers: list[HelperProfile], lat: float, lon: float) -> tuple[set[int], set[int]]:
    """The nearest NEAREST_CAP who can come, by great-circle distance; and the
    helpers too close to a cut-off to tell on a plane."""
    can_come, unsure = [], set()
    for h in helpers:
        km = haversine_km(lat, lon, h.lat, h.lon)
        cut = min(h.max_distance_km * REACH_FACTOR + REACH_SLACK_KM, MAX_TRAVEL_KM)
        if abs(km - cut) <= cut * TOLERANCE:
            unsure.add(h.id)
        if km <= cut:
            can_come.append((km, h.id))
    can_come.sort()
    if len(can_come) > NEAREST_CAP:
        last = can_come[NEAREST_CAP - 1][0]
        unsure |= {helper_id for km, helper_id in can_come if abs(km - last) <= last * TOLERANCE}
    return {helper_id for _, helper_id in can_come[:NEAREST_CAP]}, unsure


def _found(errand) -> set[int]:
    connection = db.session.connection()
    spec, municipality_id, keys = matching_service._spec_of(connection, errand)
    return {r.id for r in matching_service._candidate_rows(connection, keys, spec, municipality_id, utcnow())}


@pytest.mark.parametrize("place", list(PLACES), ids=list(PLACES))
@pytest.mark.parametrize("crowd", [150, 400], ids=["fewer than the cap can come", "more than the cap can come"])
def test_the_nearest_search_finds_what_the_brute_force_finds(db, make, org, elder, place, crowd):
    rng = random.Random(f"{place}-{crowd}")
    centre = PLACES[place]
    elder.lat, elder.lon = centre
    partner = make.organization(name="Seurakunta", municipalities=("Kajaani",))
    make.partnership(org, partner)
    stranger = make.organization(name="Muu yhdistys", municipalities=("Kajaani",))
    within = 20.0 if crowd > 200 else 45.0
    ours = make.helpers(org, 0, spots=_spots(rng, crowd // 2, centre, within))
    theirs = make.helpers(partner, 0, spots=_spots(rng, crowd // 2, centre, within))
    others = make.helpers(stranger, 0, spots=_spots(rng, 60, centre, 5.0))
    suspended = make.helpers(org, 0, spots=_spots(rng, 10, centre, 2.0))
    for h in suspended:
        h.status = "suspended"
    db.session.commit()
    errand = make.request(elder).errands[0]
    expected, unsure = _brute_force(ours + theirs, *centre)
    assert len(unsure) <= len(expected) // 10 and len(expected) >= 20  # the comparison is meaningful

    found = _found(errand)

    assert found - unsure == expected - unsure
    assert not found & {h.id for h in others + suspended}
    if crowd > 200:
        assert len(expected) == len(found) == NEAREST_CAP


def _indexed(db, helper_id: int) -> tuple[float, float, int, float] | None:
    """The helper's entry in the nearest-helper index: (x, y, organization, travel limit)."""
    connection = db.session.connection()
    if db.engine.dialect.name == "postgresql":
        # The partial GiST index holds exactly the approved rows with a position.
        sql = (
            "SELECT pos[0], pos[1], organization_id, max_distance_km FROM helper_profiles"
            " WHERE id = :id AND status = 'approved' AND pos IS NOT NULL"
        )
    else:
        sql = "SELECT x, y, organization_id, max_distance_km FROM helper_grid WHERE id = :id"
    row = connection.execute(sa.text(sql), {"id": helper_id}).one_or_none()
    return tuple(row) if row is not None else None


def _assert_indexed_at(db, helper: HelperProfile) -> None:
    x, y = metric_km(helper.lat, helper.lon)
    assert _indexed(db, helper.id) == (
        pytest.approx(x, abs=0.005),
        pytest.approx(y, abs=0.005),
        helper.organization_id,
        helper.max_distance_km,
    )


def test_the_index_follows_the_helpers_point_status_and_organization(db, make, org, elder):
    helper = make.helper(org=org, lat=64.2263, lon=27.7290, max_distance_km=10.0)
    errand = make.request(elder).errands[0]
    _assert_indexed_at(db, helper)
    assert helper.id in _found(errand)

    helper.lat, helper.lon = 60.17, 24.94  # moved to Helsinki
    db.session.commit()
    _assert_indexed_at(db, helper)
    assert helper.id not in _found(errand)

    helper.lat, helper.lon = elder.lat + 0.01, elder.lon  # and back, a kilometre from the person
    helper.max_distance_km = 2.0
    db.session.commit()
    _assert_indexed_at(db, helper)
    assert helper.id in _found(errand)

    helper.lat = helper.lon = None  # the address could not be placed any more
    db.session.commit()
    assert _indexed(db, helper.id) is None

    helper.lat, helper.lon = elder.lat, elder.lon
    helper.status = "suspended"
    db.session.commit()
    assert _indexed(db, helper.id) is None
    assert helper.id not in _found(errand)

    helper.status = "approved"
    other = make.organization(name="Toinen yhdistys", municipalities=("Kuhmo",))
    helper.organization = other
    db.session.commit()
    _assert_indexed_at(db, helper)
    assert helper.id not in _found(errand)  # not of the errand's network any more

    helper.organization = org
    db.session.commit()
    assert helper.id in _found(errand)
    helper_id = helper.id
    db.session.execute(sa.delete(GuardianConsent).where(GuardianConsent.helper_id == helper_id))
    db.session.execute(sa.delete(HelperProfile).where(HelperProfile.id == helper_id))
    db.session.commit()
    assert _indexed(db, helper_id) is None


def test_a_whole_table_update_keeps_the_index(db, make, org, elder):
    """Writes that bypass the ORM (a bulk UPDATE) are followed too: the database keeps the index."""
    helpers = make.helpers(org, 5)
    db.session.execute(sa.update(HelperProfile).values(lat=HelperProfile.lat + 0.1))
    db.session.commit()
    for helper in helpers:
        db.session.refresh(helper)
        _assert_indexed_at(db, helper)


def test_the_plane_matches_great_circle_distances_within_its_stated_scale():
    """metric_km: straight-line km within 0.3 % of the great-circle km across Finland (and a bit beyond)."""
    rng = random.Random(3067)
    for _ in range(2000):
        lat, lon = rng.uniform(59.5, 70.1), rng.uniform(19.4, 31.6)
        lat2, lon2 = lat + rng.uniform(-0.5, 0.5), lon + rng.uniform(-1.0, 1.0)
        (x1, y1), (x2, y2) = metric_km(lat, lon), metric_km(lat2, lon2)
        ratio = math.hypot(x2 - x1, y2 - y1) / haversine_km(lat, lon, lat2, lon2)
        assert 0.9999 <= ratio <= 1.003
    assert metric_km(0.0, 150.0) is None


def test_ranking_by_errand_id_reads_no_errand_object(db, make, org, elder):
    make.helpers(org, 3)
    errand = make.request(elder).errands[0]
    by_object = rank_candidates(errand)
    db.session.expunge_all()
    by_id = rank_candidates(errand.id)
    assert by_id.ranked == by_object.ranked and by_id.spec == by_object.spec
    assert not db.session.identity_map  # nothing was loaded as an object


def test_sqlite_grid_cells_hold_their_points_and_rings_cross_cell_edges(db, make, org, elder):
    """SQLite's grid (migration 0013): each approved helper's row sits in the 1 km cell of its
    point (cx, cy = floor of x, y over GRID_KM, west and south of 0 too), and the rings find
    helpers on both sides of a cell edge and around the errand's own cell, nearest first."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's grid; PostgreSQL keeps the GiST index of migration 0004")
    from app.errands.matching_service import GRID_KM, _grid_columns

    rng = random.Random("grid")
    centre = PLACES["Maarianhamina, far west"]  # x < 0: west of 27° E, where floor and truncation differ
    elder.lat, elder.lon = centre
    helpers = make.helpers(org, 0, spots=_spots(rng, 80, centre, 4.0))
    db.session.commit()
    connection = db.session.connection()
    rows = connection.execute(sa.text("SELECT id, cx, cy, x, y FROM helper_grid")).all()
    assert {r.id for r in rows} == {h.id for h in helpers}
    for r in rows:
        assert (r.cx, r.cy) == (math.floor(r.x / GRID_KM), math.floor(r.y / GRID_KM))
    assert min(r.x for r in rows) < 0  # the negative side is exercised
    assert len({(r.cx, r.cy) for r in rows}) > 9  # the points span many cells

    found = rank_candidates(make.request(elder).errands[0].id, limit=200)
    here = metric_km(*centre)
    shown = {r.helper_id for r in found.ranked} | {x.helper_id for x in found.excluded}
    expected, unsure = _brute_force(helpers, *centre)
    assert shown - unsure == expected - unsure
    # The columns handed to the statement cover the widest ring around the point.
    columns = [int(c) for c in _grid_columns(here[0]).strip("[]").split(",")]
    assert columns == list(
        range(math.floor((here[0] - MAX_TRAVEL_KM) / GRID_KM), math.floor((here[0] + MAX_TRAVEL_KM) / GRID_KM) + 1)
    )


def test_a_helper_at_the_persons_very_point_is_found_first(db, make, org, elder):
    """Distance 0 (the same address, or the same postcode's point) is inside the first ring:
    found, and nearest of all."""
    same = make.helper(org=org, lat=elder.lat, lon=elder.lon, max_distance_km=1.0)
    near = make.helper(org=org, lat=elder.lat + 0.002, lon=elder.lon, max_distance_km=5.0)
    db.session.commit()
    found = rank_candidates(make.request(elder).errands[0].id, limit=10)
    ranked = {r.helper_id: r for r in found.ranked}
    assert same.id in ranked and near.id in ranked
    assert ranked[same.id].distance_km == pytest.approx(0.0, abs=1e-9)


def test_sqlite_reads_each_ring_by_key_ranges_of_the_grid(db, make, org, elder):
    """The plan SQLite makes for the rings, with statistics that call the grid large: every ring
    seeks the key (organization, cx, cy) and none scans the grid (a Bloom filter of a joined
    table is built by scanning it whole: 20 ms a ranking at 100,000 helpers)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's grid")
    make.helpers(org, 5)
    errand = make.request(elder).errands[0]
    db.session.commit()
    connection = db.session.connection()
    # The grid's statistics as ANALYZE wrote them at 1,000,000 helpers (rows; per organization;
    # per column of cells; per cell); other tables left without any, as a live app's are.
    connection.exec_driver_sql("ANALYZE helper_grid")
    connection.exec_driver_sql("DELETE FROM sqlite_stat1")
    connection.exec_driver_sql("INSERT INTO sqlite_stat1 VALUES ('helper_grid', 'helper_grid', '849920 12686 128 8 1')")
    connection.exec_driver_sql("ANALYZE sqlite_schema")  # the planner reads the statistics again
    try:
        plan = _ring_plan(connection, errand)
    finally:  # the other tests plan without statistics
        connection.exec_driver_sql("DELETE FROM sqlite_stat1")
        connection.exec_driver_sql("ANALYZE sqlite_schema")
        db.session.commit()
    on_grid = [step for step in plan if any(f" n{i} " in step for i in range(10))]
    rings = len(matching_service.RINGS_KM)
    assert [s for s in on_grid if s.startswith("SEARCH")] == [
        f"SEARCH n{i} USING PRIMARY KEY (organization_id=? AND cx=? AND cy>? AND cy<?)" for i in range(rings)
    ]
    assert not [s for s in plan if "BLOOM" in s or re.match(r"SCAN n\d", s)]


def _ring_plan(connection, errand) -> list[str]:
    """SQLite's EXPLAIN QUERY PLAN of the errand's candidate statement, a step a line."""
    spec, municipality_id, keys = matching_service._spec_of(connection, errand)
    here = metric_km(spec.lat, spec.lon)
    statement = matching_service._candidate_statement(True, municipality_id is not None, "sqlite")
    params = matching_service._candidate_params(keys, spec, municipality_id, utcnow(), here)
    params["grid_columns"] = matching_service._grid_columns(here[0])
    compiled = statement.compile(dialect=connection.dialect)
    values = compiled.construct_params(params)
    sql = "EXPLAIN QUERY PLAN " + str(compiled)
    return [row[3] for row in connection.exec_driver_sql(sql, tuple(values[name] for name in compiled.positiontup))]
