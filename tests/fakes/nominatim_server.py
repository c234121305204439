"""A fake Nominatim (OpenStreetMap geocoder) on 127.0.0.1 for tests.

Answers ``/search`` the way Nominatim does (a JSON list; lat/lon as strings)
from a small dictionary of known places, so geopy's real ``Nominatim`` client
can be pointed at it::

    places = {"Kauppakatu 1, Kajaani": (64.2263, 27.7290, "Kauppakatu 1, 87100 Kajaani, Suomi")}
    with FakeNominatim(places) as fake:
        geocoder = NominatimGeocoder(fake.base_url, user_agent="arjen-tests/1.0")
        ...
        assert fake.requests[0].user_agent == "arjen-tests/1.0"

A place value is ``(lat, lon, display_name)`` or a dict with ``lat``, ``lon``,
``display_name`` and optionally ``type``, ``class``, ``addresstype``,
``address`` (dict) and ``country_code``. Query matching ignores case and
repeated spaces. Unknown queries answer ``[]``.

Parameters understood: ``q``, ``format`` (json, jsonv2), ``limit``,
``countrycodes``, ``addressdetails``, ``accept-language``. ``/reverse`` (lat,
lon) answers the nearest known place within ``reverse_max_km``; ``/status``
answers "OK". Every request is recorded with its User-Agent and a monotonic
timestamp (``fake.requests``) so tests can check caching and rate limiting.
Knobs: ``delay_seconds``, ``fail_next(n, status=503)``,
``require_user_agent`` (403 without one, like the public server).
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

LICENCE = "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright"
_POSTCODE = re.compile(r"\b(\d{5})\s+([^\d,][^,]*)")


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


@dataclass
class RecordedRequest:
    path: str
    params: dict[str, str]
    user_agent: str | None
    status: int
    at: float = field(default_factory=time.monotonic)


class FakeNominatim:
    """Context manager running the fake server in a daemon thread on an ephemeral port."""

    def __init__(
        self,
        places: Mapping[str, Any] | None = None,
        *,
        delay_seconds: float = 0.0,
        require_user_agent: bool = True,
        reverse_max_km: float = 2.0,
    ) -> None:
        self.delay_seconds = delay_seconds
        self.require_user_agent = require_user_agent
        self.reverse_max_km = reverse_max_km
        self._places: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._fail_queue: list[int] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        for query, value in (places or {}).items():
            self.add_place(query, value)

    # -- data ----------------------------------------------------------------

    def add_place(self, query: str, value: Any) -> None:
        if isinstance(value, Mapping):
            spec = dict(value)
        else:
            lat, lon, display_name = value
            spec = {"lat": lat, "lon": lon, "display_name": display_name}
        with self._lock:
            index = len(self._places) + 1
            self._places[_key(query)] = _build_place(index, spec)

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> FakeNominatim:
        if self._server is not None:
            return self
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-nominatim", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeNominatim:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeNominatim is not running")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- knobs and inspection --------------------------------------------------

    def fail_next(self, n: int = 1, status: int = 503) -> None:
        """The next ``n`` requests answer ``status`` with an error body."""
        with self._lock:
            self._fail_queue.extend([status] * n)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def search_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == "/search"]

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._fail_queue.clear()

    # -- handling --------------------------------------------------------------

    def _record(self, path: str, params: dict[str, str], user_agent: str | None, status: int, at: float) -> None:
        with self._lock:
            self._requests.append(RecordedRequest(path, params, user_agent, status, at))

    def _take_failure(self) -> int | None:
        with self._lock:
            return self._fail_queue.pop(0) if self._fail_queue else None

    def _search(self, params: dict[str, str]) -> tuple[int, Any]:
        fmt = params.get("format", "xml")
        if fmt not in {"json", "jsonv2"}:
            return 400, {"error": {"code": 400, "message": f"format {fmt!r} is not supported by the fake"}}
        query = params.get("q", "")
        if not query.strip():
            return 400, {"error": {"code": 400, "message": "Nothing to search for."}}
        with self._lock:
            place = self._places.get(_key(query))
        results = [place] if place else []
        countries = {c.strip().lower() for c in params.get("countrycodes", "").split(",") if c.strip()}
        if countries:
            results = [p for p in results if p["_country_code"] in countries]
        try:
            limit = int(params.get("limit", "10"))
        except ValueError:
            return 400, {"error": {"code": 400, "message": "Integer expected for parameter 'limit'"}}
        results = results[: max(1, min(limit, 40))]
        details = params.get("addressdetails", "0") not in {"0", "", "false"}
        return 200, [_render(p, fmt, details) for p in results]

    def _reverse(self, params: dict[str, str]) -> tuple[int, Any]:
        fmt = params.get("format", "xml")
        if fmt not in {"json", "jsonv2"}:
            return 400, {"error": {"code": 400, "message": f"format {fmt!r} is not supported by the fake"}}
        try:
            lat, lon = float(params["lat"]), float(params["lon"])
        except (KeyError, ValueError):
            return 400, {"error": {"code": 400, "message": "Parameter 'lat' and 'lon' must be numbers."}}
        with self._lock:
            places = list(self._places.values())
        best = min(places, key=lambda p: _km(lat, lon, float(p["lat"]), float(p["lon"])), default=None)
        if best is None or _km(lat, lon, float(best["lat"]), float(best["lon"])) > self.reverse_max_km:
            return 200, {"error": "Unable to geocode"}
        details = params.get("addressdetails", "1") not in {"0", "", "false"}
        return 200, _render(best, fmt, details)


def _build_place(index: int, spec: dict[str, Any]) -> dict[str, Any]:
    lat, lon = float(spec["lat"]), float(spec["lon"])
    display_name = str(spec["display_name"])
    first_part = display_name.split(",")[0]
    looks_like_address = bool(re.search(r"\d", first_part))
    kind = spec.get("type") or ("house" if looks_like_address else "village")
    category = spec.get("class") or ("place" if kind in {"house", "village", "hamlet", "town", "city"} else "highway")
    country_code = str(spec.get("country_code", "fi")).lower()
    address = spec.get("address") or _derive_address(display_name, kind, country_code)
    return {
        "place_id": 100000 + index,
        "licence": LICENCE,
        "osm_type": "node",
        "osm_id": 9000000 + index,
        "lat": f"{lat:.7f}",
        "lon": f"{lon:.7f}",
        "_class": category,
        "_type": kind,
        "place_rank": 30 if kind == "house" else 19,
        "importance": 0.2,
        "addresstype": spec.get("addresstype") or ("place" if kind == "house" else kind),
        "name": "" if kind == "house" else first_part.strip(),
        "display_name": display_name,
        "boundingbox": [f"{lat - 0.0005:.7f}", f"{lat + 0.0005:.7f}", f"{lon - 0.0005:.7f}", f"{lon + 0.0005:.7f}"],
        "_address": address,
        "_country_code": country_code,
    }


def _derive_address(display_name: str, kind: str, country_code: str) -> dict[str, str]:
    parts = [p.strip() for p in display_name.split(",") if p.strip()]
    address: dict[str, str] = {}
    if kind == "house" and parts:
        m = re.match(r"^(?P<road>.*?)\s+(?P<number>\d+\w*)$", parts[0])
        if m:
            address["road"], address["house_number"] = m.group("road"), m.group("number")
    elif parts:
        address[kind] = parts[0]
    for part in parts:
        m = _POSTCODE.search(part)
        if m:
            address["postcode"] = m.group(1)
            address["municipality"] = m.group(2).strip()
            break
    if country_code == "fi":
        address["country"] = "Suomi"
    address["country_code"] = country_code
    return address


def _render(place: dict[str, Any], fmt: str, details: bool) -> dict[str, Any]:
    out = {k: v for k, v in place.items() if not k.startswith("_")}
    if fmt == "jsonv2":
        out["category"] = place["_class"]
    else:
        out["class"] = place["_class"]
    out["type"] = place["_type"]
    if details:
        out["address"] = dict(place["_address"])
    return out


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


class _Handler(BaseHTTPRequestHandler):
    fake: FakeNominatim  # set on the bound subclass
    server_version = "FakeNominatim/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        at = time.monotonic()
        fake = self.fake
        parts = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        user_agent = self.headers.get("User-Agent")
        if fake.delay_seconds:
            time.sleep(fake.delay_seconds)

        failure = fake._take_failure()
        if failure is not None:
            status, payload = failure, {"error": {"code": failure, "message": "Injected failure"}}
        elif fake.require_user_agent and not (user_agent or "").strip():
            status, payload = 403, {"error": {"code": 403, "message": "Access blocked: a User-Agent is required"}}
        elif parts.path == "/search":
            status, payload = fake._search(params)
        elif parts.path == "/reverse":
            status, payload = fake._reverse(params)
        elif parts.path == "/status":
            fake._record(parts.path, params, user_agent, 200, at)
            self._send(200, b"OK", "text/plain; charset=utf-8")
            return
        else:
            status, payload = 404, {"error": {"code": 404, "message": "Page not found"}}
        fake._record(parts.path, params, user_agent, status, at)
        self._send(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

    def _send(self, status: int, data: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
