"""Putting an older resident on the map: geocoding their address, or placing them by hand.

Functions change the session and ``flush()``; the route commits once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app.audit import record
from app.elders.problems import ElderInputError, Problem
from app.extensions import db
from app.geocoding import Geocoder, GeoResult
from app.models import Elder, Municipality, Village

log = logging.getLogger(__name__)

#: Latitude and longitude limits of mainland Finland and Åland, with a small margin.
FINLAND_BOUNDS = (59.4, 70.2, 19.0, 31.7)


@dataclass(frozen=True)
class Location:
    lat: float | None
    lon: float | None
    status: str  # ok|approximate|failed


def address_query(street: str | None, postcode: str | None, municipality: str) -> str:
    """``"Koulutie 3, 88600 Sotkamo"``: the form both geocoders understand best."""
    locality = " ".join(part for part in (postcode, municipality) if part)
    return ", ".join(part for part in ((street or "").strip(), locality) if part)


def in_finland(lat: float, lon: float) -> bool:
    lat_min, lat_max, lon_min, lon_max = FINLAND_BOUNDS
    return lat_min <= lat <= lat_max and lon_min <= lon <= lon_max


def locate(geocoder: Geocoder, query: str, village: Village | None = None) -> Location:
    """Find the point for an address.

    An exact address wins. Otherwise the centre of the village the coordinator
    chose, otherwise the geocoder's approximate point (postal code area or
    municipal centre). Nothing found (or a point outside Finland) is ``failed``:
    the record is then saved without coordinates for the coordinator to place.
    """
    result: GeoResult | None
    try:
        result = geocoder.geocode(query)
    except Exception:  # a geocoder must never stop a coordinator from saving
        log.exception("geocoding %r failed", query)
        result = None
    if result is not None and not in_finland(result.lat, result.lon):
        result = None
    if result is not None and result.precision == "address":
        return Location(result.lat, result.lon, "ok")
    if village is not None and village.lat is not None and village.lon is not None:
        return Location(village.lat, village.lon, "approximate")
    if result is not None:
        return Location(result.lat, result.lon, "approximate")
    return Location(None, None, "failed")


def geocode_elder(elder: Elder, geocoder: Geocoder) -> None:
    """Place the resident at their address (see :func:`locate`)."""
    municipality = db.session.get(Municipality, elder.municipality_id) if elder.municipality_id else None
    village = db.session.get(Village, elder.village_id) if elder.village_id else None
    query = address_query(elder.street_address, elder.postcode, municipality.name if municipality else "")
    where = locate(geocoder, query, village)
    elder.lat, elder.lon, elder.geocode_status = where.lat, where.lon, where.status


def place_by_hand(
    elder: Elder, *, lat: float | None = None, lon: float | None = None, village: Village | None = None
) -> None:
    """Put the resident on the map: at a point, or at the centre of a village.

    Raises ElderInputError(out_of_finland / village_without_point / nothing_given).
    """
    if village is not None:
        if village.lat is None or village.lon is None:
            raise ElderInputError([Problem("village_id", "village_without_point")])
        lat, lon = village.lat, village.lon
        elder.village_id = village.id
        elder.municipality_id = village.municipality_id  # the report rollups see the move on the flush
    elif lat is None or lon is None:
        raise ElderInputError([Problem("lat", "nothing_given")])
    elif not in_finland(lat, lon):
        raise ElderInputError([Problem("lat", "out_of_finland")])
    elder.lat, elder.lon, elder.geocode_status = lat, lon, "manual"
    db.session.flush()
    record("elder.placed", elder, lat=round(lat, 5), lon=round(lon, 5), village=village.name if village else None)
