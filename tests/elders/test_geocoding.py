"""Geocoding on intake through the app: geopy's real Nominatim client against a local
fake server, and the record saved without coordinates (and flagged) when nothing is found."""

from __future__ import annotations

import sqlalchemy as sa

from app.geocoding import NominatimGeocoder, OfflineGazetteer, get_geocoder
from app.models import Elder


def _only_elder(db) -> Elder:
    return db.session.scalars(sa.select(Elder)).one()


def test_default_geocoder_is_the_offline_gazetteer_and_is_cached(app):
    with app.app_context():
        first = get_geocoder()
        assert isinstance(first, OfflineGazetteer)
        assert get_geocoder() is first is app.extensions["geocoder"]


def test_intake_geocodes_with_geopy_nominatim_against_the_fake(client, coordinator, intake, db, fake_nominatim, app):
    fake_nominatim.add_place(
        "Koulutie 3, 88600 Sotkamo",
        {
            "lat": 64.13321,
            "lon": 28.39012,
            "display_name": "Koulutie 3, 88600 Sotkamo, Suomi",
            "type": "house",
            "class": "place",
        },
    )
    resp = client.submit("/elders/new", intake())
    assert resp.status_code == 302
    elder = _only_elder(db)
    assert (elder.lat, elder.lon) == (64.13321, 28.39012)
    assert elder.geocode_status == "ok"
    # geopy's real client made the request, with our User-Agent and Nominatim's parameters.
    with app.app_context():
        assert isinstance(get_geocoder(), NominatimGeocoder)
    [request] = fake_nominatim.search_requests
    assert request.user_agent == "arjen-pelastajat-tests/1.0 (elders)"
    assert request.params["q"] == "Koulutie 3, 88600 Sotkamo"
    assert request.params["countrycodes"] == "fi" and request.params["format"] == "json"
    page = client.get(f"/elders/{elder.id}").get_data(as_text=True)
    assert "Paikannettu osoitteeseen" in page and "64.13321, 28.39012" in page


def test_failed_lookup_saves_without_coordinates_and_flags_it(client, coordinator, intake, db, fake_nominatim):
    resp = client.submit("/elders/new", intake(street_address="Tuntematon polku 99"), follow_redirects=True)
    assert resp.status_code == 200
    elder = _only_elder(db)
    assert elder.lat is None and elder.lon is None
    assert elder.geocode_status == "failed"
    assert len(fake_nominatim.search_requests) == 1
    html = resp.get_data(as_text=True)
    assert "Osoitetta ei löytynyt kartalta. Tiedot on tallennettu: sijoita henkilö kartalle käsin alla." in html
    assert '<span class="badge warn">Ei kartalla</span>' in html
    listing = client.get("/elders/").get_data(as_text=True)
    assert "Ei kartalla" in listing
    # Everything else was saved as typed.
    assert elder.street_address == "Tuntematon polku 99" and elder.health_notes


def test_nominatim_down_still_saves(client, coordinator, intake, db, fake_nominatim):
    fake_nominatim.fail_next(1, status=503)
    assert client.submit("/elders/new", intake()).status_code == 302
    elder = _only_elder(db)
    assert elder.geocode_status == "failed" and elder.lat is None


def test_nominatim_point_outside_finland_is_not_trusted(client, coordinator, intake, db, fake_nominatim):
    fake_nominatim.add_place("Koulutie 3, 88600 Sotkamo", (59.33, 18.06, "Koulutie 3, Stockholm"))
    client.submit("/elders/new", intake())
    assert _only_elder(db).geocode_status == "failed"


def test_approximate_nominatim_answer_prefers_the_chosen_village(client, coordinator, intake, db, fake_nominatim, make):
    vuokatti = make.village("Vuokatti")
    fake_nominatim.add_place(
        "Kuusitie 8, Sotkamo", {"lat": 64.1315, "lon": 28.386, "display_name": "Sotkamo, Suomi", "type": "town"}
    )
    client.submit("/elders/new", intake(street_address="Kuusitie 8", postcode="", village_id=str(vuokatti.id)))
    elder = _only_elder(db)
    assert (elder.lat, elder.lon, elder.geocode_status) == (vuokatti.lat, vuokatti.lon, "approximate")
