"""Great-circle distance and a conservative bounding box for SQL prefiltering.

Pure standard library; no framework imports.

* :func:`haversine_km` is the distance the matcher scores with.
* :func:`bounding_box` gives a latitude/longitude rectangle that contains every
  point within ``radius_km`` (by the same spherical model), so an index-backed
  ``lat BETWEEN .. AND lon BETWEEN ..`` query can drop far-away rows cheaply
  before the exact distance check.  It may include points that are slightly
  farther away (the corners of the box), never exclude a point that is inside.
* :func:`metric_km` puts a point on a plane in kilometres where straight-line
  distance is the true distance order around Finland: what the nearest-helper
  indexes are built on (migration 0004 computes the same in SQL).
"""

from __future__ import annotations

import math
from typing import Final

__all__ = ["EARTH_RADIUS_KM", "bounding_box", "haversine_km", "metric_km"]

#: Mean Earth radius (IUGG), in kilometres.
EARTH_RADIUS_KM: Final[float] = 6371.0088

# Extra margin added to every side of the box, in degrees (~1 cm), so that
# floating-point rounding can never push a point that is exactly on the circle
# outside the box.
_MARGIN_DEG: Final[float] = 1e-7

#: The central meridian of the plane (ETRS-TM35FIN's, EPSG:3067: 27° E).
CENTRAL_MERIDIAN: Final[float] = 27.0

_radians = math.radians
_sin = math.sin
_cos = math.cos
_asin = math.asin
_sqrt = math.sqrt


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between (lat1, lon1) and (lat2, lon2) in degrees."""
    p1 = _radians(lat1)
    p2 = _radians(lat2)
    s_dlat = _sin((p2 - p1) * 0.5)
    s_dlon = _sin(_radians(lon2 - lon1) * 0.5)
    a = s_dlat * s_dlat + _cos(p1) * _cos(p2) * s_dlon * s_dlon
    # Rounding can push ``a`` a hair above 1 for antipodal points.
    return 2.0 * EARTH_RADIUS_KM * _asin(min(1.0, _sqrt(a)))


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """Return ``(min_lat, max_lat, min_lon, max_lon)`` in degrees.

    Every point whose :func:`haversine_km` distance from ``(lat, lon)`` is at
    most ``radius_km`` lies inside the returned box.

    The longitude half-width is scaled by latitude using the exact spherical
    formula ``asin(sin(d) / cos(lat))`` (``d`` the angular radius), which is
    wider than the naive ``d / cos(lat)`` near the poles' side of the circle.

    Degenerate cases fall back to the *wider* answer so the box stays
    conservative:

    * the circle reaches a pole -> longitude is the full ``-180 .. 180`` and
      latitude is clamped to ``-90 .. 90``;
    * the box would cross the antimeridian (+-180 deg) -> longitude is the full
      ``-180 .. 180`` (a single ``BETWEEN`` cannot express a wrapped range).

    Raises ``ValueError`` for a negative or non-finite radius or an out-of-range
    latitude.
    """
    if not math.isfinite(radius_km) or radius_km < 0:
        raise ValueError(f"radius_km must be a finite number >= 0, got {radius_km!r}")
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude must be within -90..90, got {lat!r}")
    if not math.isfinite(lon):
        raise ValueError(f"longitude must be finite, got {lon!r}")

    ang = radius_km / EARTH_RADIUS_KM  # angular radius, radians
    dlat = math.degrees(ang) + _MARGIN_DEG
    min_lat = lat - dlat
    max_lat = lat + dlat

    if min_lat <= -90.0 or max_lat >= 90.0 or ang >= math.pi / 2:
        # A pole is inside (or on) the circle: every meridian is reached.
        return (max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0)

    ratio = _sin(ang) / _cos(_radians(lat))
    if ratio >= 1.0:  # pragma: no cover - implied by the pole check above
        return (min_lat, max_lat, -180.0, 180.0)
    dlon = math.degrees(_asin(ratio)) + _MARGIN_DEG
    min_lon = lon - dlon
    max_lon = lon + dlon
    if min_lon < -180.0 or max_lon > 180.0:
        return (min_lat, max_lat, -180.0, 180.0)
    return (min_lat, max_lat, min_lon, max_lon)


def metric_km(lat: float, lon: float) -> tuple[float, float] | None:
    """``(x, y)`` in km on the spherical transverse Mercator plane around 27° E.

    The projection of ETRS-TM35FIN (EPSG:3067) on the sphere of
    :func:`haversine_km`, scale 1 on the meridian and no false easting: no
    library needed, and both databases compute it with their own math functions
    (migration 0004), so the stored positions follow every write.

    Why this plane: it is conformal (no direction is stretched more than
    another), and its scale ``1 / sqrt(1 - (cos(lat) sin(lon - 27°))^2)`` is
    1.0008 at Finland's eastern border and 1.0023 on Åland's western edge, changing by under
    0.07 % across any 63 km neighbourhood. Straight-line distance on it is thus
    the great-circle distance order (a helper ranked nearer is nearer, but for
    ties within ~40 m at 60 km), and at most 0.25 % longer. A plain
    ``x = lon * cos(lat0)`` with one reference latitude for the whole country
    stretches east-west distances by up to 15-25 % at 60° and 70° N against
    north-south ones, which would change who is nearest.

    ``None`` far from Finland's side of the globe (more than 80° of longitude away).
    """
    if not -89.0 <= lat <= 89.0 or not abs(lon - CENTRAL_MERIDIAN) < 80.0:
        return None
    phi, dlon = _radians(lat), _radians(lon - CENTRAL_MERIDIAN)
    x = EARTH_RADIUS_KM * math.atanh(_cos(phi) * _sin(dlon))
    y = EARTH_RADIUS_KM * math.atan(math.tan(phi) / _cos(dlon))
    return x, y
