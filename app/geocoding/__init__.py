"""Geocoding adapters (no Flask, no database): see :mod:`app.geocoding.service`."""

from app.geocoding.service import (
    FallbackGeocoder,
    Geocoder,
    GeoResult,
    NominatimGeocoder,
    OfflineGazetteer,
    build_geocoder,
    list_places,
    normalise,
)

__all__ = [
    "FallbackGeocoder",
    "GeoResult",
    "Geocoder",
    "NominatimGeocoder",
    "OfflineGazetteer",
    "build_geocoder",
    "list_places",
    "normalise",
]
