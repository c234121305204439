"""The benchmark's fair brute force (numpy haversine over the errand's network)
finds the same candidates as a plain Python loop with the app's own haversine:
the baseline the ranking is compared with is right, not just fast."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app.extensions import db as _db
from app.matching.geo import haversine_km
from app.models import HelperProfile
from bench.datagen import Spec, generate
from bench.matching import MAX_TRAVEL_KM, NUMPY_MODES, ErrandPoint, errand_points, load_helper_arrays, numpy_nearest

SPEC = Spec(helpers=400, elders=80, seed=11, today=date(2026, 11, 27))


def python_nearest(helpers, network: list[int], errand: ErrandPoint, limit: int) -> list[tuple[float, int]]:
    """The plain way: every helper row, the app's haversine, the hard rule, sort."""
    found = []
    for h in helpers:
        if h.status != "approved" or h.lat is None or h.organization_id not in network:
            continue
        km = haversine_km(errand.lat, errand.lon, h.lat, h.lon)
        if km <= min(h.max_distance_km, MAX_TRAVEL_KM):
            found.append((km, h.id))
    found.sort()
    return found[:limit]


def test_numpy_baseline_finds_what_a_python_loop_finds(db):
    world = generate(SPEC)
    with _db.engine.connect() as connection:
        arrays = load_helper_arrays(connection)
    points = errand_points(world.matching_errand_ids)
    helpers = _db.session.scalars(sa.select(HelperProfile)).all()
    assert len(points) >= 20
    found_any = capped = 0
    for point in points.values():
        network = arrays.network(point.organization_id, point.municipality_id)
        for limit in (100, 5):
            expected = python_nearest(helpers, network, point, limit)
            for mode in NUMPY_MODES:
                got = numpy_nearest(arrays, point, limit=limit, mode=mode)
                assert [helper_id for _, helper_id in got] == [helper_id for _, helper_id in expected]
                assert [round(km, 6) for km, _ in got] == [round(km, 6) for km, _ in expected]
        found_any += bool(expected)
        capped += len(python_nearest(helpers, network, point, 100)) > 5
    # The data set exercises both the empty answer, a found one and the cap.
    assert found_any and capped
