"""Geocoding: the offline Kainuu gazetteer, and geopy's real Nominatim client against FakeNominatim."""

from __future__ import annotations

import math
import socket
import time

import pytest

from app.geocoding import (
    FallbackGeocoder,
    Geocoder,
    GeoResult,
    NominatimGeocoder,
    OfflineGazetteer,
    SharedNominatimState,
    build_geocoder,
    list_places,
)
from tests.conftest import redis_or_skip, redis_url_for_tests
from tests.fakes.nominatim_server import FakeNominatim

UA = "arjen-pelastajat-tests/1.0 (unit tests)"
KNOWN = {
    "Kauppakatu 1, Kajaani": (64.2263, 27.7290, "Kauppakatu 1, 87100 Kajaani, Suomi"),
    "Vuokatti": {
        "lat": 64.1340,
        "lon": 28.2810,
        "display_name": "Vuokatti, Sotkamo, Kainuu, Suomi",
        "type": "village",
        "address": {"village": "Vuokatti", "municipality": "Sotkamo", "country_code": "fi"},
    },
    "Kajaani": {
        "lat": 64.2245,
        "lon": 27.7334,
        "display_name": "Kajaani, Kainuu, Suomi",
        "type": "town",
        "class": "place",
        "address": {"town": "Kajaani", "country_code": "fi"},
    },
}

# Municipal centres (independent of the data file), tolerance ~0.03 degrees.
CENTRES = {
    "Kajaani": (64.22, 27.73),
    "Paltamo": (64.41, 27.84),
    "Hyrynsalmi": (64.68, 28.49),
    "Ristijärvi": (64.50, 28.21),
    "Suomussalmi": (64.88, 28.91),
    "Kuhmo": (64.13, 29.52),
    "Sotkamo": (64.13, 28.39),
    "Puolanka": (64.87, 27.67),
}


@pytest.fixture(scope="module")
def gazetteer() -> OfflineGazetteer:
    return OfflineGazetteer()


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lat1, lon1), (lat2, lon2) = a, b
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(h))


# -- offline gazetteer ----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CENTRES))
def test_each_municipality(gazetteer, name):
    result = gazetteer.geocode(name)
    assert result is not None
    assert result.precision == "municipality" and result.municipality == name
    lat, lon = CENTRES[name]
    assert abs(result.lat - lat) < 0.03 and abs(result.lon - lon) < 0.03


@pytest.mark.parametrize(
    ("village", "municipality"),
    [
        ("Vuolijoki", "Kajaani"),
        ("Otanmäki", "Kajaani"),
        ("Kontiomäki", "Paltamo"),
        ("Vuokatti", "Sotkamo"),
        ("Tipasoja", "Sotkamo"),
        ("Lentiira", "Kuhmo"),
        ("Ämmänsaari", "Suomussalmi"),
        ("Juntusranta", "Suomussalmi"),
        ("Ukkohalla", "Hyrynsalmi"),
        ("Moisiovaara", "Hyrynsalmi"),
        ("Pyhäntä", "Ristijärvi"),
        ("Kotila", "Puolanka"),
    ],
)
def test_villages(gazetteer, village, municipality):
    result = gazetteer.geocode(village)
    assert result is not None
    assert result.precision == "village"
    assert result.municipality == municipality
    assert village in result.display_name


def test_every_listed_village_resolves_near_its_centre(gazetteer):
    places = gazetteer.list_places()
    assert set(places) == set(CENTRES)
    for municipality, villages in places.items():
        centre = gazetteer.geocode(municipality)
        for village in villages:
            result = gazetteer.geocode(village)
            assert result.precision == "village" and result.municipality == municipality, village
            assert 63.5 < result.lat < 65.7 and 26.5 < result.lon < 30.7, village  # inside Kainuu
            assert km((result.lat, result.lon), (centre.lat, centre.lon)) < 90, village


@pytest.mark.parametrize(
    ("code", "municipality", "place"),
    [
        ("87100", "Kajaani", "Kajaani"),
        ("88300", "Paltamo", "Paltamo"),
        ("89400", "Hyrynsalmi", "Hyrynsalmi"),
        ("88400", "Ristijärvi", "Ristijärvi"),
        ("89600", "Suomussalmi", "Suomussalmi"),
        ("88900", "Kuhmo", "Kuhmo"),
        ("88600", "Sotkamo", "Sotkamo"),
        ("89200", "Puolanka", "Puolanka"),
        ("88610", "Sotkamo", "Vuokatti"),
        ("88270", "Kajaani", "Vuolijoki"),
        ("88470", "Paltamo", "Kontiomäki"),
    ],
)
def test_postal_codes(gazetteer, code, municipality, place):
    result = gazetteer.geocode(code)
    assert result is not None
    assert result.precision == "postcode" and result.municipality == municipality
    assert result.display_name == f"{code} {place}"


def test_postcode_area_lies_at_its_place(gazetteer):
    vuokatti = gazetteer.geocode("88610")
    assert km((vuokatti.lat, vuokatti.lon), (gazetteer.geocode("Vuokatti").lat, gazetteer.geocode("Vuokatti").lon)) < 1


@pytest.mark.parametrize(
    ("query", "precision", "municipality"),
    [
        ("Kauppakatu 5, Vuokatti", "village", "Sotkamo"),
        ("Katajamäentie 3, Otanmäki, Kajaani", "village", "Kajaani"),
        ("Kainuuntie 12, 88900 Kuhmo", "postcode", "Kuhmo"),
        ("Kuhmontie 5, 88600 Sotkamo", "postcode", "Sotkamo"),
        ("Puolangantie 8, Paltamo", "municipality", "Paltamo"),
        ("Kajaanintie 3, Paltamo", "municipality", "Paltamo"),  # a street named after a town is not the town
        ("Vuokatinkatu 1, 88610 Vuokatti", "village", "Sotkamo"),
    ],
)
def test_street_addresses_resolve_to_known_place_and_say_so(gazetteer, query, precision, municipality):
    result = gazetteer.geocode(query)
    assert result is not None
    assert result.precision == precision and result.municipality == municipality
    assert result.precision != "address"  # the gazetteer has no streets


def test_case_and_accent_insensitive(gazetteer):
    assert gazetteer.geocode("Ristijarvi") == gazetteer.geocode("Ristijärvi") == gazetteer.geocode("  RISTIJÄRVI ")
    assert gazetteer.geocode("otanmaki") == gazetteer.geocode("Otanmäki")
    assert gazetteer.geocode("ammansaari").municipality == "Suomussalmi"
    assert gazetteer.geocode("Ylivuokki") == gazetteer.geocode("yli-vuokki")
    assert gazetteer.geocode("Kajana").municipality == "Kajaani"  # Swedish name


@pytest.mark.parametrize(
    "query", ["", "   ", "Helsinki", "00100", "Hämeenkatu 1, 33100 Tampere", "Sotkamontie", "Ylisotkamontie 4"]
)
def test_unknown_returns_none(gazetteer, query):
    assert gazetteer.geocode(query) is None


def test_named_municipality_wins_over_a_village_elsewhere(gazetteer):
    result = gazetteer.geocode("Vuokatti, Kuhmo")
    assert result.municipality == "Kuhmo" and result.precision == "municipality"


def test_list_places_for_pickers():
    places = list_places()
    assert list(places) == sorted(places)
    assert {"Vuolijoki", "Otanmäki"} <= set(places["Kajaani"])
    assert "Vuokatti" in places["Sotkamo"]
    assert "Lentiira" in places["Kuhmo"]


def test_result_type_and_protocol(gazetteer):
    result = gazetteer.geocode("Kuhmo")
    assert isinstance(result, GeoResult)
    with pytest.raises(AttributeError):
        result.lat = 0  # frozen
    assert isinstance(gazetteer, Geocoder)


# -- Nominatim through geopy ------------------------------------------------------


@pytest.fixture
def nominatim_server():
    with FakeNominatim(KNOWN) as server:
        yield server


def test_nominatim_result_is_parsed(nominatim_server):
    geocoder = NominatimGeocoder(nominatim_server.base_url, user_agent=UA, min_delay_seconds=0.2)
    result = geocoder.geocode("Kauppakatu 1, Kajaani")
    assert result == GeoResult(64.2263, 27.729, "Kauppakatu 1, 87100 Kajaani, Suomi", "Kajaani", "address")

    village = geocoder.geocode("Vuokatti")
    assert village.precision == "village" and village.municipality == "Sotkamo"
    town = geocoder.geocode("Kajaani")
    assert town.precision == "municipality" and town.municipality == "Kajaani"


def test_nominatim_sends_our_user_agent_and_finland_only(nominatim_server):
    NominatimGeocoder(nominatim_server.base_url, user_agent=UA, min_delay_seconds=0.2).geocode("Vuokatti")
    [req] = nominatim_server.search_requests
    assert req.user_agent == UA
    assert req.params["q"] == "Vuokatti"
    assert req.params["format"] == "json"
    assert req.params["countrycodes"] == "fi"
    assert req.params["limit"] == "1"


def test_nominatim_unknown_is_none(nominatim_server):
    assert (
        NominatimGeocoder(nominatim_server.base_url, user_agent=UA, min_delay_seconds=0.2).geocode("Atlantis") is None
    )


def test_nominatim_cache_prevents_second_request(nominatim_server):
    geocoder = NominatimGeocoder(nominatim_server.base_url, user_agent=UA, min_delay_seconds=0.2)
    first = geocoder.geocode("Kauppakatu 1, Kajaani")
    again = geocoder.geocode("  kauppakatu 1,   KAJAANI ")
    geocoder.geocode("Atlantis")
    geocoder.geocode("atlantis")  # misses are cached too
    assert first == again
    assert [r.params["q"] for r in nominatim_server.search_requests] == ["Kauppakatu 1, Kajaani", "Atlantis"]


def test_nominatim_cache_is_bounded(nominatim_server):
    geocoder = NominatimGeocoder(nominatim_server.base_url, user_agent=UA, min_delay_seconds=0.0, cache_size=2)
    for query in ("Vuokatti", "Kajaani", "Atlantis", "Vuokatti"):
        geocoder.geocode(query)
    assert len(nominatim_server.search_requests) == 4  # Vuokatti was evicted by the third query


def test_nominatim_rate_limiter_spaces_requests(nominatim_server):
    geocoder = NominatimGeocoder(nominatim_server.base_url, user_agent=UA, min_delay_seconds=1.0)
    started = time.monotonic()
    geocoder.geocode("Vuokatti")
    geocoder.geocode("Kajaani")
    first, second = nominatim_server.search_requests
    assert second.at - first.at >= 0.95
    assert time.monotonic() - started < 3


def test_nominatim_server_down_returns_none():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    geocoder = NominatimGeocoder(f"http://127.0.0.1:{port}", user_agent=UA, min_delay_seconds=0.2, timeout=1)
    started = time.monotonic()
    assert geocoder.geocode("Vuokatti") is None
    assert time.monotonic() - started < 2


def test_nominatim_timeout_returns_none():
    with FakeNominatim(KNOWN, delay_seconds=1.0) as server:
        geocoder = NominatimGeocoder(server.base_url, user_agent=UA, min_delay_seconds=0.0, timeout=0.3)
        started = time.monotonic()
        assert geocoder.geocode("Vuokatti") is None
        assert time.monotonic() - started < 0.9


def test_nominatim_errors_are_not_cached(nominatim_server):
    geocoder = NominatimGeocoder(nominatim_server.base_url, user_agent=UA, min_delay_seconds=0.0)
    nominatim_server.fail_next(1, status=503)
    assert geocoder.geocode("Vuokatti") is None
    assert geocoder.geocode("Vuokatti").precision == "village"
    assert len(nominatim_server.search_requests) == 2


def test_nominatim_needs_user_agent():
    with pytest.raises(ValueError):
        NominatimGeocoder("http://127.0.0.1:9", user_agent=" ")


def test_build_geocoder(nominatim_server):
    assert isinstance(build_geocoder("offline", {}), OfflineGazetteer)
    settings = {
        "NOMINATIM_URL": nominatim_server.base_url,
        "NOMINATIM_USER_AGENT": UA,
        "NOMINATIM_MIN_DELAY_SECONDS": "0",
        "NOMINATIM_TIMEOUT": "2",
    }
    nominatim = build_geocoder("nominatim", settings)
    assert isinstance(nominatim, NominatimGeocoder) and nominatim.timeout == 2.0
    assert nominatim.geocode("Vuokatti").municipality == "Sotkamo"

    chained = build_geocoder("nominatim+offline", settings)
    assert isinstance(chained, FallbackGeocoder)
    assert chained.geocode("Lentiira").precision == "village"  # unknown to the server, known offline

    with pytest.raises(ValueError, match="NOMINATIM_USER_AGENT"):
        build_geocoder("nominatim", {"NOMINATIM_URL": nominatim_server.base_url, "NOMINATIM_USER_AGENT": ""})
    with pytest.raises(ValueError, match="unknown geocoder"):
        build_geocoder("google", {})


@pytest.mark.parametrize(
    ("raw", "address", "expected"),
    [
        (
            {"class": "place", "type": "house", "addresstype": "place"},
            {"house_number": "1", "road": "Kauppakatu"},
            "address",
        ),
        ({"class": "highway", "type": "residential", "addresstype": "road"}, {"road": "Kauppakatu"}, "address"),
        ({"class": "place", "type": "village", "addresstype": "village"}, {"village": "Lentiira"}, "village"),
        ({"class": "boundary", "type": "administrative", "addresstype": "municipality"}, {}, "municipality"),
        ({"class": "place", "type": "town", "addresstype": "town"}, {"town": "Kajaani"}, "municipality"),
        ({"class": "place", "type": "postcode", "addresstype": "postcode"}, {"postcode": "88610"}, "postcode"),
    ],
)
def test_nominatim_precision_mapping(raw, address, expected):
    from app.geocoding.service import _precision

    assert _precision(raw, address) == expected


# -- Several app nodes: the limit and the cache shared through Redis ------------------------

REDIS_URL = redis_url_for_tests("redis://127.0.0.1:6379/9")  # the two-nodes part's own (or TEST_REDIS_URL)


@pytest.fixture
def shared_redis():
    client = redis_or_skip(REDIS_URL, "no Redis on 127.0.0.1:6379")
    for key in client.scan_iter("geocode:*"):
        client.delete(key)
    yield client
    for key in client.scan_iter("geocode:*"):
        client.delete(key)


def _node(server, client, delay: float) -> NominatimGeocoder:
    """A geocoder as one process of one app node builds it with REDIS_URL."""
    shared = SharedNominatimState(client, server.base_url)
    return NominatimGeocoder(server.base_url, user_agent=UA, min_delay_seconds=delay, shared=shared)


def test_two_processes_keep_one_request_a_second_between_them(nominatim_server, shared_redis):
    node_a, node_b = _node(nominatim_server, shared_redis, 0.5), _node(nominatim_server, shared_redis, 0.5)
    for geocoder, query in ((node_a, "Vuokatti"), (node_b, "Kajaani"), (node_a, "Atlantis")):
        geocoder.geocode(query)
    times = [r.at for r in nominatim_server.search_requests]
    assert len(times) == 3
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.45


def test_an_answer_found_by_one_process_is_known_to_the_other(nominatim_server, shared_redis):
    node_a, node_b = _node(nominatim_server, shared_redis, 0.0), _node(nominatim_server, shared_redis, 0.0)
    first = node_a.geocode("Kauppakatu 1, Kajaani")
    assert node_b.geocode("kauppakatu 1,  KAJAANI") == first
    assert node_a.geocode("Atlantis") is None and node_b.geocode("atlantis") is None  # misses too
    assert [r.params["q"] for r in nominatim_server.search_requests] == ["Kauppakatu 1, Kajaani", "Atlantis"]
    assert 0 < shared_redis.ttl(next(shared_redis.scan_iter("geocode:*:q:*"))) <= 7 * 24 * 3600


def test_build_geocoder_with_redis_url_shares_and_falls_back_when_redis_is_away(nominatim_server, shared_redis):
    settings = {"NOMINATIM_URL": nominatim_server.base_url, "NOMINATIM_USER_AGENT": UA}
    shared = build_geocoder("nominatim", settings | {"REDIS_URL": REDIS_URL})
    assert isinstance(shared, NominatimGeocoder) and shared.shared is not None
    assert build_geocoder("nominatim", settings).shared is None
    away = build_geocoder(
        "nominatim", settings | {"REDIS_URL": "redis://127.0.0.1:1/9", "NOMINATIM_MIN_DELAY_SECONDS": "0"}
    )
    assert away.geocode("Vuokatti").municipality == "Sotkamo"  # its own limiter and cache instead
    assert away.geocode("Vuokatti").municipality == "Sotkamo"
    assert len(nominatim_server.search_requests) == 1
