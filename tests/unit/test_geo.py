"""Unit tests for app.matching.geo (pure functions, no fixtures)."""

from __future__ import annotations

import math
import random

import pytest

from app.matching.geo import EARTH_RADIUS_KM, bounding_box, haversine_km

KM_PER_DEG = EARTH_RADIUS_KM * math.pi / 180.0
KAJAANI = (64.2270, 27.7285)
HELSINKI = (60.1699, 24.9384)


def destination(lat: float, lon: float, bearing_deg: float, km: float) -> tuple[float, float]:
    """Point ``km`` from (lat, lon) along ``bearing_deg`` on the same sphere."""
    p1 = math.radians(lat)
    l1 = math.radians(lon)
    b = math.radians(bearing_deg)
    d = km / EARTH_RADIUS_KM
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(
        math.sin(b) * math.sin(d) * math.cos(p1),
        math.cos(d) - math.sin(p1) * math.sin(p2),
    )
    lon2 = (math.degrees(l2) + 540.0) % 360.0 - 180.0
    return math.degrees(p2), lon2


def law_of_cosines_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(math.radians(lon2 - lon1))
    return EARTH_RADIUS_KM * math.acos(max(-1.0, min(1.0, c)))


def inside(box: tuple[float, float, float, float], lat: float, lon: float) -> bool:
    min_lat, max_lat, min_lon, max_lon = box
    return min_lat <= lat <= max_lat and min_lon <= lon <= max_lon


# --------------------------------------------------------------------------
# haversine_km
# --------------------------------------------------------------------------


def test_same_point_is_zero() -> None:
    assert haversine_km(*KAJAANI, *KAJAANI) == 0.0


def test_one_degree_along_meridian() -> None:
    assert haversine_km(64.0, 27.0, 65.0, 27.0) == pytest.approx(KM_PER_DEG, rel=1e-12)


def test_one_degree_of_longitude_shrinks_with_latitude() -> None:
    at_equator = haversine_km(0.0, 27.0, 0.0, 28.0)
    at_kainuu = haversine_km(64.0, 27.0, 64.0, 28.0)
    assert at_equator == pytest.approx(KM_PER_DEG, rel=1e-12)
    # Great circle is a bit shorter than the parallel (cos(lat) * 1 deg).
    assert at_kainuu < KM_PER_DEG * math.cos(math.radians(64.0))
    assert at_kainuu == pytest.approx(KM_PER_DEG * math.cos(math.radians(64.0)), rel=1e-3)


def test_symmetric() -> None:
    assert haversine_km(*KAJAANI, *HELSINKI) == haversine_km(*HELSINKI, *KAJAANI)


def test_kajaani_helsinki_matches_independent_formula() -> None:
    d = haversine_km(*KAJAANI, *HELSINKI)
    assert d == pytest.approx(law_of_cosines_km(*KAJAANI, *HELSINKI), rel=1e-9)
    assert 470 < d < 478  # about 474 km as the crow flies (WGS84 geodesic 474.8)


def test_antipodes_and_quarter_circle() -> None:
    assert haversine_km(0.0, 0.0, 0.0, 180.0) == pytest.approx(math.pi * EARTH_RADIUS_KM)
    assert haversine_km(64.0, 27.0, -64.0, -153.0) == pytest.approx(math.pi * EARTH_RADIUS_KM)
    assert haversine_km(0.0, 0.0, 90.0, 0.0) == pytest.approx(math.pi / 2 * EARTH_RADIUS_KM)


def test_longitude_wraps_across_antimeridian() -> None:
    assert haversine_km(0.0, 179.5, 0.0, -179.5) == pytest.approx(KM_PER_DEG, rel=1e-9)


def test_short_distance_precision() -> None:
    # 10 m north: haversine is well conditioned for tiny distances.
    lat2 = KAJAANI[0] + 0.010 / KM_PER_DEG
    assert haversine_km(*KAJAANI, lat2, KAJAANI[1]) == pytest.approx(0.010, rel=1e-9)


# --------------------------------------------------------------------------
# bounding_box
# --------------------------------------------------------------------------


def test_box_is_centered_and_tight_in_latitude() -> None:
    min_lat, max_lat, min_lon, max_lon = bounding_box(*KAJAANI, 10.0)
    dlat = 10.0 / KM_PER_DEG
    assert min_lat == pytest.approx(KAJAANI[0] - dlat, abs=1e-6)
    assert max_lat == pytest.approx(KAJAANI[0] + dlat, abs=1e-6)
    assert (min_lon + max_lon) / 2 == pytest.approx(KAJAANI[1])


def test_longitude_half_width_scaled_by_latitude() -> None:
    _, _, min_lon, max_lon = bounding_box(*KAJAANI, 10.0)
    half = (max_lon - min_lon) / 2
    naive = 10.0 / KM_PER_DEG / math.cos(math.radians(KAJAANI[0]))
    # Exact formula asin(sin d / cos lat) is never narrower than d / cos lat.
    assert half >= naive
    assert half == pytest.approx(naive, rel=1e-4)
    # At 64 N a degree of longitude is ~2.3x shorter than one of latitude.
    assert half / (10.0 / KM_PER_DEG) == pytest.approx(1 / math.cos(math.radians(KAJAANI[0])), rel=1e-4)


def test_equator_box_is_square_in_degrees() -> None:
    min_lat, max_lat, min_lon, max_lon = bounding_box(0.0, 0.0, 50.0)
    assert max_lat - min_lat == pytest.approx(max_lon - min_lon, rel=1e-6)


@pytest.mark.parametrize("radius_km", [0.5, 2.0, 5.0, 30.0, 120.0, 800.0])
@pytest.mark.parametrize("center", [KAJAANI, HELSINKI, (0.0, 0.0), (-45.0, 100.0), (69.9, 27.0)])
def test_box_never_excludes_a_point_within_radius(center: tuple[float, float], radius_km: float) -> None:
    box = bounding_box(*center, radius_km)
    for bearing in range(0, 360, 3):
        # Points on the circle itself (the hardest case) and just inside.
        for frac in (1.0, 0.999, 0.5):
            lat, lon = destination(*center, bearing, radius_km * frac)
            assert haversine_km(*center, lat, lon) <= radius_km * (1 + 1e-9)
            assert inside(box, lat, lon), (bearing, frac, lat, lon, box)


def test_box_conservative_random_points() -> None:
    rng = random.Random(20150512)
    for _ in range(300):
        lat0 = rng.uniform(-80.0, 80.0)
        lon0 = rng.uniform(-170.0, 170.0)
        radius = rng.uniform(0.1, 300.0)
        box = bounding_box(lat0, lon0, radius)
        for _ in range(20):
            lat, lon = destination(lat0, lon0, rng.uniform(0, 360), radius * rng.random())
            assert inside(box, lat, lon)


def test_points_outside_the_box_are_really_farther() -> None:
    # Just beyond each edge is outside the radius, i.e. the box is useful.
    radius = 10.0
    min_lat, max_lat, min_lon, max_lon = bounding_box(*KAJAANI, radius)
    lat0, lon0 = KAJAANI
    assert haversine_km(max_lat + 1e-4, lon0, lat0, lon0) > radius
    assert haversine_km(min_lat - 1e-4, lon0, lat0, lon0) > radius
    # Any point with longitude beyond the box is beyond the radius whatever its latitude.
    for lat in (min_lat, lat0 - 0.05, lat0, lat0 + 0.05, max_lat):
        assert haversine_km(lat, max_lon + 1e-4, lat0, lon0) > radius
        assert haversine_km(lat, min_lon - 1e-4, lat0, lon0) > radius


def test_zero_radius_contains_the_point() -> None:
    box = bounding_box(*KAJAANI, 0.0)
    assert inside(box, *KAJAANI)
    assert box[1] - box[0] < 1e-5


def test_pole_within_radius_gives_full_longitude() -> None:
    min_lat, max_lat, min_lon, max_lon = bounding_box(89.9, 10.0, 50.0)
    assert (min_lon, max_lon) == (-180.0, 180.0)
    assert max_lat == 90.0
    assert min_lat == pytest.approx(89.9 - 50.0 / KM_PER_DEG, abs=1e-6)
    # A point on the far side of the pole is within 50 km and inside the box.
    lat, lon = destination(89.9, 10.0, 0.0, 40.0)
    assert inside((min_lat, max_lat, min_lon, max_lon), lat, lon)


def test_south_pole_within_radius() -> None:
    min_lat, max_lat, min_lon, max_lon = bounding_box(-89.95, 0.0, 20.0)
    assert min_lat == -90.0
    assert (min_lon, max_lon) == (-180.0, 180.0)


def test_huge_radius_covers_the_globe() -> None:
    assert bounding_box(0.0, 0.0, 30000.0) == (-90.0, 90.0, -180.0, 180.0)


def test_antimeridian_crossing_gives_full_longitude() -> None:
    min_lat, max_lat, min_lon, max_lon = bounding_box(60.0, 179.95, 20.0)
    assert (min_lon, max_lon) == (-180.0, 180.0)
    assert min_lat < 60.0 < max_lat
    lat, lon = destination(60.0, 179.95, 90.0, 15.0)
    assert lon < 0  # wrapped to the western hemisphere
    assert inside((min_lat, max_lat, min_lon, max_lon), lat, lon)


@pytest.mark.parametrize(
    ("lat", "lon", "radius"),
    [
        (64.0, 27.0, -1.0),
        (64.0, 27.0, float("nan")),
        (64.0, 27.0, float("inf")),
        (91.0, 27.0, 5.0),
        (-90.5, 27.0, 5.0),
        (64.0, float("nan"), 5.0),
    ],
)
def test_invalid_input_raises(lat: float, lon: float, radius: float) -> None:
    with pytest.raises(ValueError):
        bounding_box(lat, lon, radius)
