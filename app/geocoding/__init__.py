"""Geocoding adapters (no Flask, no database): see :mod:`app.geocoding.service`."""

from app.geocoding.service import (
    FallbackGeocoder,
    Geocoder,
    GeoResult,
    NominatimGeocoder,
    OfflineGazetteer,
    SharedNominatimState,
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
    "SharedNominatimState",
    "build_geocoder",
    "get_geocoder",
    "list_places",
    "normalise",
]


def get_geocoder(app=None) -> Geocoder:
    """The application's geocoder, built once from ``GEOCODER`` and cached in
    ``app.extensions["geocoder"]`` (pop that key to rebuild it after a config change)."""
    if app is None:
        from flask import current_app

        app = current_app._get_current_object()
    geocoder = app.extensions.get("geocoder")
    if geocoder is None:
        geocoder = build_geocoder(app.config["GEOCODER"], app.config)
        app.extensions["geocoder"] = geocoder
    return geocoder
