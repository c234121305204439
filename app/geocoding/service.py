"""Geocoding: turn a free-text place or address into coordinates.

Two backends share the :class:`Geocoder` protocol:

* :class:`OfflineGazetteer` (the default) needs no network. It knows the Kainuu
  municipal centres, their main villages and postal codes from a JSON file
  shipped with the code. It has no streets: an address resolves to its village,
  postal code or municipal centre, and ``GeoResult.precision`` says which.
* :class:`NominatimGeocoder` asks a Nominatim server (OpenStreetMap) through
  geopy, rate limited, restricted to Finland, with a bounded in-memory cache.
  Network trouble never raises to the caller: it logs and returns ``None``.
  Given a Redis client (``REDIS_URL``), the one-request-a-second limit and the
  cache are shared by every process on every app node (:class:`SharedNominatimState`).

Plain adapter: no Flask, no database. The application picks one with
:func:`build_geocoder` from its configuration.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable
from urllib.parse import urlsplit

import redis

log = logging.getLogger(__name__)

Precision = Literal["address", "village", "postcode", "municipality"]

GAZETTEER_PATH = Path(__file__).resolve().parent / "data" / "kainuu_gazetteer.json"

_POSTCODE_RE = re.compile(r"(?<!\d)(\d{5})(?!\d)")


@dataclass(frozen=True)
class GeoResult:
    """A geocoded place.

    ``precision`` tells how exact the point is: ``"address"`` (a building or
    street), ``"village"`` (a village centre), ``"postcode"`` (the centre of a
    postal code area) or ``"municipality"`` (the municipal centre).
    """

    lat: float
    lon: float
    display_name: str
    municipality: str | None
    precision: Precision


@runtime_checkable
class Geocoder(Protocol):
    def geocode(self, query: str) -> GeoResult | None:
        """Return the best match for ``query``, or ``None`` if there is none."""
        ...


def normalise(text: str) -> str:
    """Case- and accent-insensitive form used for matching: "Ristijärvi" -> "ristijarvi".

    Punctuation and hyphens become single spaces, so "Yli-Vuokki" -> "yli vuokki".
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", stripped).split())


# --------------------------------------------------------------------------
# Offline gazetteer
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Place:
    name: str
    municipality: str
    lat: float
    lon: float
    kind: Literal["village", "municipality"]
    postcode: str | None
    keys: tuple[str, ...]  # normalised name and aliases


@lru_cache(maxsize=4)
def _load_gazetteer(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


class OfflineGazetteer:
    """Geocoder backed by the shipped Kainuu gazetteer; works with no network.

    Accepts a municipality or village name ("Sotkamo", "Vuokatti"), a postal
    code alone ("88610"), or an address such as "Kauppakatu 5, Vuokatti" or
    "Kainuuntie 12, 88900 Kuhmo". Matching ignores case and accents
    ("Ristijarvi" finds Ristijärvi). The most precise known place wins:
    village, then postal code, then municipality. When the query names a
    municipality, villages and postal codes of other municipalities are ignored.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        data = _load_gazetteer(str(path or GAZETTEER_PATH))
        self._municipalities: list[_Place] = []
        self._villages: list[_Place] = []
        self._postcodes: dict[str, _Place] = {}
        for muni in data["municipalities"]:
            mname = muni["name"]
            mplace = _Place(
                name=mname,
                municipality=mname,
                lat=float(muni["lat"]),
                lon=float(muni["lon"]),
                kind="municipality",
                postcode=muni.get("postcode"),
                keys=_keys(mname, muni.get("aliases", ())),
            )
            self._municipalities.append(mplace)
            if mplace.postcode:
                self._postcodes[mplace.postcode] = mplace
            for village in muni.get("villages", ()):
                vplace = _Place(
                    name=village["name"],
                    municipality=mname,
                    lat=float(village["lat"]),
                    lon=float(village["lon"]),
                    kind="village",
                    postcode=village.get("postcode"),
                    keys=_keys(village["name"], village.get("aliases", ())),
                )
                self._villages.append(vplace)
                if vplace.postcode:
                    self._postcodes.setdefault(vplace.postcode, vplace)

    def geocode(self, query: str) -> GeoResult | None:
        if not query or not query.strip():
            return None
        text = f" {normalise(query)} "

        munis = _matches(self._municipalities, text)
        muni_names = {p.name for p, _ in munis}
        villages = _matches(self._villages, text)
        postcodes = [
            (self._postcodes[code], m.start())
            for m in _POSTCODE_RE.finditer(query)
            if (code := m.group(1)) in self._postcodes
        ]
        if muni_names:
            villages = [(p, pos) for p, pos in villages if p.municipality in muni_names]
            postcodes = [(p, pos) for p, pos in postcodes if p.municipality in muni_names]

        if villages:
            place = _last(villages)
            return GeoResult(place.lat, place.lon, f"{place.name}, {place.municipality}", place.municipality, "village")
        if postcodes:
            place = _last(postcodes)
            return GeoResult(place.lat, place.lon, f"{place.postcode} {place.name}", place.municipality, "postcode")
        if munis:
            place = _last(munis)
            return GeoResult(place.lat, place.lon, place.name, place.municipality, "municipality")
        return None

    def list_places(self) -> dict[str, list[str]]:
        """Municipality -> its villages (both sorted), for place pickers."""
        out: dict[str, list[str]] = {m.name: [] for m in sorted(self._municipalities, key=lambda p: p.name)}
        for village in self._villages:
            out[village.municipality].append(village.name)
        for names in out.values():
            names.sort()
        return out

    def postcodes(self) -> dict[str, str]:
        """Known postal code -> postal place name."""
        return {code: place.name for code, place in sorted(self._postcodes.items())}


def _keys(name: str, aliases: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(normalise(n) for n in (name, *aliases) if normalise(n)))


def _matches(places: Sequence[_Place], padded_text: str) -> list[tuple[_Place, int]]:
    """Places whose name appears as whole words in the text, with the last position found."""
    found: list[tuple[_Place, int]] = []
    for place in places:
        positions = [padded_text.rfind(f" {key} ") for key in place.keys]
        best = max(positions)
        if best >= 0:
            found.append((place, best))
    return found


def _last(candidates: list[tuple[_Place, int]]) -> _Place:
    """The place mentioned last: in "street, village, municipality" the locality comes last."""
    return max(candidates, key=lambda item: item[1])[0]


@lru_cache(maxsize=1)
def _default_gazetteer() -> OfflineGazetteer:
    return OfflineGazetteer()


def list_places() -> dict[str, list[str]]:
    """Municipality -> villages from the shipped gazetteer, for pickers."""
    return _default_gazetteer().list_places()


# --------------------------------------------------------------------------
# Nominatim (OpenStreetMap) through geopy
# --------------------------------------------------------------------------

_VILLAGE_TYPES = {
    "village",
    "hamlet",
    "suburb",
    "neighbourhood",
    "quarter",
    "isolated_dwelling",
    "locality",
    "farm",
    "allotments",
    "city_district",
    "borough",
}
_MUNICIPALITY_TYPES = {"city", "town", "municipality", "administrative", "county", "state", "region"}


class SharedNominatimState:
    """Nominatim's rate limit and answers kept in Redis, for every process of every app node.

    * The turn: before a request, ``SET <turn key> NX PX <min delay>``; only the
      process that sets it may ask now, the others wait until it expires, so two
      requests to the server are ``min_delay_seconds`` apart whichever node sends them.
    * The answers: one key per query (misses included) holding the result as JSON,
      expiring after ``ttl_seconds``.

    Redis errors raise ``redis.RedisError``; :class:`NominatimGeocoder` then
    falls back to its own process's limiter and cache.
    """

    def __init__(self, client: redis.Redis, server: str, ttl_seconds: int = 7 * 24 * 3600) -> None:
        self.client = client
        self.ttl_seconds = int(ttl_seconds)
        self.prefix = "geocode:" + hashlib.sha256(server.encode()).hexdigest()[:12]
        self.turn_key = self.prefix + ":turn"

    def _key(self, query: str) -> str:
        return f"{self.prefix}:q:{hashlib.sha256(query.encode()).hexdigest()[:32]}"

    def get(self, query: str) -> tuple[bool, GeoResult | None]:
        """``(found, result)``: whether an answer is kept, and the answer (``None`` for a miss)."""
        raw = self.client.get(self._key(query))
        if raw is None:
            return False, None
        data = json.loads(raw)
        return True, (GeoResult(**data) if data else None)

    def put(self, query: str, result: GeoResult | None) -> None:
        value = json.dumps(asdict(result) if result is not None else None)
        self.client.set(self._key(query), value, ex=self.ttl_seconds)

    def wait_for_turn(self, min_delay_seconds: float) -> None:
        """Block until this process may send the next request (``min_delay_seconds`` after the last)."""
        ms = int(min_delay_seconds * 1000)
        if ms <= 0:
            return
        while not self.client.set(self.turn_key, "1", nx=True, px=ms):
            left = self.client.pttl(self.turn_key)
            time.sleep(left / 1000 if left > 0 else 0.005)


class NominatimGeocoder:
    """Geocoder using geopy's real ``Nominatim`` client against ``url``.

    * ``url``: the server, e.g. ``https://nominatim.openstreetmap.org`` or a
      self-hosted one (a path prefix is kept: ``https://host/nominatim``).
    * ``user_agent``: required by the Nominatim usage policy; sent on every request.
    * Requests are spaced at least ``min_delay_seconds`` apart (geopy's
      ``RateLimiter``; the public server allows 1 per second), limited to
      Finland (``countrycodes=fi``), and answers are cached in a bounded LRU
      (``cache_size`` queries, misses included) so a repeated query does not
      reach the server. With ``shared`` (:class:`SharedNominatimState`) the
      spacing and the answers are kept in Redis instead, for every process.
    * Errors (timeouts, refused connections, HTTP errors) are logged and turn
      into ``None``; they are not cached, so a later call tries again.
    """

    def __init__(
        self,
        url: str,
        user_agent: str,
        min_delay_seconds: float = 1.0,
        timeout: float = 5,
        *,
        cache_size: int = 512,
        country_codes: str | Sequence[str] = "fi",
        language: str = "fi",
        shared: SharedNominatimState | None = None,
    ) -> None:
        from geopy.adapters import RequestsAdapter
        from geopy.extra.rate_limiter import RateLimiter
        from geopy.geocoders import Nominatim

        if not user_agent or not user_agent.strip():
            raise ValueError("NominatimGeocoder needs a user_agent that identifies this application")
        parts = urlsplit(url if "://" in url else f"https://{url}")
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError(f"Nominatim URL must be http(s)://host[:port][/path], got {url!r}")
        if min_delay_seconds < 0:
            raise ValueError("min_delay_seconds must be >= 0")
        if timeout <= 0:
            raise ValueError("timeout must be > 0")

        self.url = url
        self.user_agent = user_agent
        self.min_delay_seconds = float(min_delay_seconds)
        self.timeout = float(timeout)
        self.cache_size = max(0, int(cache_size))
        self.country_codes = [country_codes] if isinstance(country_codes, str) else list(country_codes)
        self.language = language

        domain = parts.netloc + parts.path.rstrip("/")
        # geopy's requests adapter retries twice by default; those retries would bypass the
        # rate limiter (and triple the wait on a timeout), so one request per lookup.
        self._client = Nominatim(
            domain=domain,
            scheme=parts.scheme,
            user_agent=user_agent,
            timeout=self.timeout,
            adapter_factory=functools.partial(RequestsAdapter, max_retries=0),
        )
        self._limited = RateLimiter(
            self._client.geocode,
            min_delay_seconds=self.min_delay_seconds,
            max_retries=0,
            error_wait_seconds=self.min_delay_seconds,
            swallow_exceptions=False,
        )
        self._cache: OrderedDict[str, GeoResult | None] = OrderedDict()
        self._lock = threading.Lock()
        self.shared = shared

    def geocode(self, query: str) -> GeoResult | None:
        key = " ".join((query or "").casefold().split())
        if not key:
            return None
        found, kept = self._kept(key)
        if found:
            return kept
        arguments = {
            "exactly_one": True,
            "country_codes": self.country_codes,
            "addressdetails": True,
            "language": self.language,
        }
        try:
            location = self._ask_in_turn(query.strip(), arguments)
        except Exception as exc:  # network, HTTP and parsing errors alike: never raise to the caller
            log.warning("Nominatim lookup failed (%s: %s); returning no result", type(exc).__name__, exc)
            return None
        result = _from_location(location) if location is not None else None
        self._remember(key, result)
        return result

    def _kept(self, key: str) -> tuple[bool, GeoResult | None]:
        if self.shared is not None:
            try:
                return self.shared.get(key)
            except (redis.RedisError, ValueError, TypeError):
                log.warning("Shared geocoding cache unavailable; using this process's own", exc_info=True)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return True, self._cache[key]
        return False, None

    def _ask_in_turn(self, query: str, arguments: dict[str, Any]) -> Any:
        """One request to the server, spaced from the last one (of every node with ``shared``)."""
        if self.shared is not None:
            try:
                self.shared.wait_for_turn(self.min_delay_seconds)
            except redis.RedisError:
                log.warning("Shared geocoding limiter unavailable; using this process's own", exc_info=True)
            else:
                return self._client.geocode(query, **arguments)
        return self._limited(query, **arguments)

    def _remember(self, key: str, result: GeoResult | None) -> None:
        if self.shared is not None:
            try:
                self.shared.put(key, result)
                return
            except redis.RedisError:
                log.warning("Shared geocoding cache unavailable; keeping the answer here", exc_info=True)
        if self.cache_size == 0:
            return
        with self._lock:
            self._cache[key] = result
            self._cache.move_to_end(key)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def cache_clear(self) -> None:
        with self._lock:
            self._cache.clear()


def _from_location(location: Any) -> GeoResult | None:
    raw: Mapping[str, Any] = getattr(location, "raw", None) or {}
    try:
        lat, lon = float(location.latitude), float(location.longitude)
    except (TypeError, ValueError):
        return None
    address: Mapping[str, Any] = raw.get("address") or {}
    municipality = (
        address.get("municipality")
        or address.get("city")
        or address.get("town")
        or address.get("village")
        or address.get("hamlet")
    )
    display = location.address or raw.get("display_name") or ""
    return GeoResult(lat, lon, display, municipality, _precision(raw, address))


def _precision(raw: Mapping[str, Any], address: Mapping[str, Any]) -> Precision:
    kinds = {str(raw.get("addresstype") or ""), str(raw.get("type") or "")} - {""}
    category = str(raw.get("class") or raw.get("category") or "")
    if "postcode" in kinds or category == "postcode":
        return "postcode"
    if (
        "house_number" in address
        or kinds & {"house", "building", "road", "street"}
        or category in {"building", "highway"}
    ):
        return "address"
    if kinds & _VILLAGE_TYPES:
        return "village"
    if kinds & _MUNICIPALITY_TYPES or category == "boundary":
        return "municipality"
    return "address" if "road" in address else "village"


# --------------------------------------------------------------------------
# Chaining and construction from settings
# --------------------------------------------------------------------------


class FallbackGeocoder:
    """Ask each geocoder in turn; the first non-``None`` answer wins."""

    def __init__(self, *geocoders: Geocoder) -> None:
        if not geocoders:
            raise ValueError("FallbackGeocoder needs at least one geocoder")
        self.geocoders = geocoders

    def geocode(self, query: str) -> GeoResult | None:
        for geocoder in self.geocoders:
            result = geocoder.geocode(query)
            if result is not None:
                return result
        return None


def build_geocoder(name: str, settings: Mapping[str, Any] | None = None) -> Geocoder:
    """Build the geocoder named in configuration.

    ``name``: ``"offline"`` (alias ``"gazetteer"``), ``"nominatim"``, or
    ``"nominatim+offline"`` (Nominatim first, the gazetteer when it has no answer).
    Settings read for Nominatim: ``NOMINATIM_URL`` and ``NOMINATIM_USER_AGENT``
    (required), ``NOMINATIM_MIN_DELAY_SECONDS`` (default 1.0), ``NOMINATIM_TIMEOUT``
    (default 5), ``NOMINATIM_CACHE_SIZE`` (default 512) and ``REDIS_URL`` (when
    set, the limit and the cache are shared through Redis).
    """
    settings = settings or {}
    key = (name or "").strip().lower()
    if key in {"offline", "gazetteer"}:
        return OfflineGazetteer()
    if key in {"nominatim", "nominatim+offline"}:
        missing = [k for k in ("NOMINATIM_URL", "NOMINATIM_USER_AGENT") if not str(settings.get(k) or "").strip()]
        if missing:
            raise ValueError(f"geocoder {name!r} needs setting(s): {', '.join(missing)}")
        url = str(settings["NOMINATIM_URL"]).strip()
        redis_url = str(settings.get("REDIS_URL") or "").strip()
        shared = (
            SharedNominatimState(redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2), url)
            if redis_url
            else None
        )
        nominatim = NominatimGeocoder(
            url=url,
            user_agent=str(settings["NOMINATIM_USER_AGENT"]).strip(),
            min_delay_seconds=_number(settings, "NOMINATIM_MIN_DELAY_SECONDS", 1.0),
            timeout=_number(settings, "NOMINATIM_TIMEOUT", 5.0),
            cache_size=int(_number(settings, "NOMINATIM_CACHE_SIZE", 512)),
            shared=shared,
        )
        if key == "nominatim+offline":
            return FallbackGeocoder(nominatim, OfflineGazetteer())
        return nominatim
    raise ValueError(f"unknown geocoder {name!r}: use 'offline', 'nominatim' or 'nominatim+offline'")


def _number(settings: Mapping[str, Any], key: str, default: float) -> float:
    raw = settings.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"setting {key} must be a number, got {raw!r}") from None
